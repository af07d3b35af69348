package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/coinop/coinop"
)

// testLegacy: legacy identities map to machines of their namespace's kind;
// a new mapping of an identity replaces the old one; every mapping is
// audited.
func testLegacy(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	vending := &coinop.Machine{Name: "Vending", Kind: coinop.KindVending}
	arcade := &coinop.Machine{Name: "Arcade", Kind: coinop.KindArcade}
	arcade2 := &coinop.Machine{Name: "Arcade 2", Kind: coinop.KindArcade}
	for _, m := range []*coinop.Machine{vending, arcade, arcade2} {
		if _, err := s.CreateMachine(ctx, 0, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.LegacyMachine(ctx, coinop.LegacyVending, "0"); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Fatalf("unmapped identity: %v", err)
	}
	for name, c := range map[string]struct {
		ns, id  string
		machine int64
		code    string
	}{
		"unknown namespace": {"/", "0", vending.ID, coinop.EINVALID},
		"empty id":          {coinop.LegacyArcade, " ", arcade.ID, coinop.EINVALID},
		"wrong kind":        {coinop.LegacyArcade, "1", vending.ID, coinop.EINVALID},
		"unknown machine":   {coinop.LegacyVending, "0", 999, coinop.ENOTFOUND},
	} {
		if err := s.MapLegacyMachine(ctx, 0, c.ns, c.id, c.machine); coinop.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.MapLegacyMachine(ctx, 0, coinop.LegacyVending, "0", vending.ID))
	must(s.MapLegacyMachine(ctx, 0, coinop.LegacyArcade, "1", arcade.ID))
	must(s.MapLegacyMachine(ctx, 0, coinop.LegacyArcade, "1", arcade2.ID)) // replaces
	for _, c := range []struct {
		ns, id string
		want   int64
	}{{coinop.LegacyVending, "0", vending.ID}, {coinop.LegacyArcade, "1", arcade2.ID}} {
		m, err := s.LegacyMachine(ctx, c.ns, c.id)
		if err != nil || m.ID != c.want || m.Kind != coinop.LegacyKind(c.ns) || m.Name == "" {
			t.Errorf("%s %s: %+v %v, want machine %d", c.ns, c.id, m, err, c.want)
		}
	}
	if _, err := s.LegacyMachine(ctx, coinop.LegacyArcade, "0"); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Errorf("another arcade id: %v", err)
	}
	entries, err := s.Audit(ctx, 10)
	must(err)
	n := 0
	for _, e := range entries {
		if e.Action == "map_legacy_machine" && strings.Contains(e.Detail, `"legacy_id"`) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d audited mappings, want 3", n)
	}
}
