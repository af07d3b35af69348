package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

func testImport(t *testing.T, open Open) {
	t.Run("History", func(t *testing.T) { testImportHistory(t, open) })
	t.Run("Refusals", func(t *testing.T) { testImportRefusals(t, open) })
	t.Run("Linking", func(t *testing.T) { testImportLinking(t, open) })
	t.Run("BankByIssue", func(t *testing.T) { testImportBankByIssue(t, open) })
}

func importer(t *testing.T, s coinop.Store) coinop.ImportService {
	t.Helper()
	im, ok := s.(coinop.ImportService)
	if !ok {
		t.Fatalf("%T does not implement coinop.ImportService", s)
	}
	return im
}

// v2Data is a small v2 database: the bank (1), Ana (2), Bruno (3), Carla
// (4, who ends negative), Dora (5, nothing), Eva (6, an operator), and
// operations naming person 99, whom v2's people lack.
func v2Data() *coinop.ImportData {
	t0 := time.Date(2024, 10, 18, 14, 0, 0, 0, time.UTC)
	op := func(id, from, to, product, value int64, completed bool) coinop.ImportOperation {
		return coinop.ImportOperation{ID: id, From: from, To: to, Product: product, Value: value, Completed: completed, Date: t0.Add(time.Duration(id) * time.Minute)}
	}
	return &coinop.ImportData{
		Source: "test",
		People: []coinop.ImportPerson{
			{ID: 1, Name: "Banco Central", Email: "feiradejogosifscsaojose@gmail.com", Operator: true},
			{ID: 2, Name: "Ana", Email: "ana@v2.example"},
			{ID: 3, Name: "Bruno", Email: "bruno@v2.example"},
			{ID: 4, Name: "Carla", Email: "carla@v2.example"},
			{ID: 5, Name: "Dora", Email: "dora@v2.example"},
			{ID: 6, Name: "Eva", Email: "Eva@V2.example", Operator: true},
		},
		Types: []coinop.ImportType{{ID: 1, Name: "games"}, {ID: 2, Name: "foods"}, {ID: 3, Name: "arcade"}},
		Products: []coinop.ImportProduct{
			{ID: 10, Name: "Space Race", Type: 1, URL: "https://games.example/space"},
			{ID: 11, Name: "Chips", Type: 2, Price: 5, Image: "chips.png"},
			{ID: 12, Name: "Pinball", Type: 3, Price: 2},
		},
		Machines: []coinop.ImportMachine{{ID: 7, Name: "Vending 1", Location: "hall"}, {ID: 8, Name: "Arcade 1"}},
		Stock:    []coinop.ImportStock{{ID: 1, Machine: 7, Product: 11, Slot: 3, Quantity: 10}, {ID: 2, Machine: 8, Product: 12, Slot: 1, Quantity: 50}},
		Operations: []coinop.ImportOperation{
			op(1, 0, 1, 0, 1000000, true), // the initial issue (dml.sql)
			op(2, 1, 2, 10, 100, true),    // credit: a game pays Ana
			op(3, 1, 3, 0, 50, true),      // credit
			op(4, 2, 3, 0, 30, true),      // transfer
			op(5, 2, 1, 11, 5, true),      // debit: Ana buys chips
			op(6, 3, 1, 11, 5, false),     // a debit never completed: held from Bruno
			op(7, 2, 99, 0, 10, true),     // to a person v2 lacks
			op(8, 4, 1, 11, 20, true),     // Carla pays what she never had
			op(9, 2, 3, 0, 7, false),      // a transfer never completed: voided
			op(10, 0, 1, 0, 500, true),    // more money issued
			op(11, 5, 1, 11, 50, false),   // Dora cannot cover it: voided
			op(12, 1, 5, 0, 0, true),      // moves nothing: skipped
			op(13, 1, 6, 0, 40, true),     // credit
		},
	}
}

func balance(t *testing.T, s coinop.Store, id int64) int64 {
	t.Helper()
	b, err := s.Balance(context.Background(), id)
	if err != nil {
		t.Fatalf("balance of %d: %v", id, err)
	}
	return b
}

func hasAnomaly(sum *coinop.ImportSummary, parts ...string) bool {
	for _, a := range sum.Anomalies {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(a, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func testImportHistory(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	sum, err := importer(t, s).ImportV2(ctx, v2Data())
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if sum.MoneyBefore != 1000500 || sum.MoneyAfter != sum.MoneyBefore {
		t.Fatalf("money before %d, after %d; want 1000500 both", sum.MoneyBefore, sum.MoneyAfter)
	}
	if sum.BankLegacyID != 1 || sum.MergedIssue != 1 || sum.People != 6 || sum.Placeholders != 1 || sum.Types != 3 || sum.Products != 3 ||
		sum.Machines != 2 || sum.Stock != 2 || sum.Operations != 13 || sum.Completed != 9 || sum.Unknown != 1 || sum.Voided != 2 ||
		sum.Skipped != 1 || sum.Held != 5 || sum.Covered != 20 {
		t.Fatalf("summary %+v", sum)
	}
	for _, want := range [][]string{
		{"person 99", "placeholder", "balance 10"},
		{"Carla", "negative balance of -20"},
		{"operation 6", "unknown", "5 held"},
		{"operation 9", "voided"},
		{"operation 11", "voided"},
		{"operation 12", "not imported"},
	} {
		if !hasAnomaly(sum, want...) {
			t.Errorf("no anomaly with %q in %q", want, sum.Anomalies)
		}
	}

	// Balances from the completed history; Bruno's unfinished debit held.
	for id, want := range map[int64]int64{2: 55, 3: 75, 4: 0, 5: 0, 6: 40, 99: 10} {
		if got := balance(t, s, id); got != want {
			t.Errorf("balance of %d = %d, want %d", id, got, want)
		}
	}
	b, err := s.Bank(ctx)
	if err != nil || b.Balance != 1000315 || b.Held != 0 || b.Issued != 1000500 {
		t.Fatalf("bank %+v, %v", b, err)
	}
	bank, _ := s.Person(ctx, coinop.BankID)
	if bank.Name != "Banco Central" || bank.Subject != "" || bank.Operator {
		t.Fatalf("the bank became %+v", bank)
	}
	if _, err := s.Person(ctx, 7); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Fatalf("a second bank or a stray person: %v", err)
	}
	ana, _ := s.Person(ctx, 2)
	eva, _ := s.Person(ctx, 6)
	if ana.Name != "Ana" || ana.Email != "ana@v2.example" || ana.Subject != "" || ana.Operator || !eva.Operator {
		t.Fatalf("people %+v %+v", ana, eva)
	}

	// Products, machines and stock keep their v2 ids.
	for id, want := range map[int64]coinop.ProductType{10: coinop.TypeGames, 11: coinop.TypeFoods, 12: coinop.TypeArcade} {
		if p, err := s.Product(ctx, id); err != nil || p.Type != want {
			t.Errorf("product %d = %+v, %v", id, p, err)
		}
	}
	if p, _ := s.Product(ctx, 11); p.Price != 5 || p.Stock != 10 || p.Image != "chips.png" {
		t.Errorf("chips %+v", p)
	}
	ms, _ := s.Machines(ctx)
	if len(ms) != 2 || ms[0].ID != 7 || ms[0].Kind != coinop.KindVending || ms[0].Location != "hall" || ms[1].ID != 8 || ms[1].Kind != coinop.KindArcade {
		t.Fatalf("machines %+v", ms)
	}
	if st, _ := s.MachineStock(ctx, 8); len(st) != 1 || st[0].Slot != 1 || st[0].ProductID != 12 || st[0].Quantity != 50 {
		t.Fatalf("arcade stock %+v", st)
	}

	// The kinds inferred, in v2's order.
	st, err := s.Statement(ctx, coinop.StatementQuery{PersonID: 2, Limit: 50})
	if err != nil || len(st) != 5 {
		t.Fatalf("Ana's statement %v, %v", st, err)
	}
	want := []struct {
		kind   coinop.OpKind
		to     int64
		value  int64
		status coinop.OpStatus
	}{{coinop.OpTransfer, 3, 7, coinop.StatusVoided}, {coinop.OpTransfer, 99, 10, coinop.StatusCompleted},
		{coinop.OpDebit, 1, 5, coinop.StatusCompleted}, {coinop.OpTransfer, 3, 30, coinop.StatusCompleted}, {coinop.OpCredit, 2, 100, coinop.StatusCompleted}}
	for i, w := range want {
		if o := st[i]; o.Kind != w.kind || o.ToID != w.to || o.Value != w.value || o.Status != w.status {
			t.Errorf("Ana's operation %d = %+v, want %+v", i, o, w)
		}
	}
	if st[4].ProductID != 10 || st[2].ProductID != 11 || !st[4].CreatedAt.Equal(time.Date(2024, 10, 18, 14, 2, 0, 0, time.UTC)) {
		t.Errorf("products or dates lost: %+v %+v", st[4], st[2])
	}
	carla, _ := s.Statement(ctx, coinop.StatementQuery{PersonID: 4, Limit: 50})
	if len(carla) != 2 || carla[0].Kind != coinop.OpCredit || carla[0].Value != 20 || !strings.Contains(carla[0].Reason, "negative") {
		t.Fatalf("Carla's statement %+v", carla)
	}

	// The unfinished debit is an operator's, like any unknown debit.
	unknown, _ := s.Operations(ctx, coinop.StatusUnknown, 10)
	if len(unknown) != 1 || unknown[0].FromID != 3 || unknown[0].Value != 5 || unknown[0].Kind != coinop.OpDebit {
		t.Fatalf("unknown operations %+v", unknown)
	}
	if _, err := s.Settle(ctx, 0, unknown[0].ID, false); err != nil {
		t.Fatal(err)
	}
	if got := balance(t, s, 3); got != 80 {
		t.Fatalf("Bruno after the refund: %d", got)
	}
	checkInvariants(t, s)

	// New rows get ids of their own after the kept ones.
	p := login(t, s, "new")
	if p.ID <= 99 {
		t.Fatalf("a new person got id %d, among the imported ones", p.ID)
	}
	g := newGame(t, s, "c")
	if g.ID <= 12 {
		t.Fatalf("a new product got id %d", g.ID)
	}
	fund(t, s, p, 10)
	if _, err := s.Transfer(ctx, coinop.TransferRequest{FromID: 2, ToID: p.ID, Value: 5}); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)

	// Once only.
	_, err = importer(t, s).ImportV2(ctx, v2Data())
	wantCode(t, "second import", err, coinop.ECONFLICT)
	if !strings.Contains(coinop.ErrorMessage(err), "already") {
		t.Fatalf("refusal %q does not say why", coinop.ErrorMessage(err))
	}
	if b2, _ := s.Bank(ctx); b2.Issued != b.Issued {
		t.Fatalf("a refused import changed the bank: %+v", b2)
	}
	checkInvariants(t, s)
}

func testImportRefusals(t *testing.T, open Open) {
	ctx := context.Background()

	// A store in use.
	s := open(t)
	login(t, s, "someone")
	_, err := importer(t, s).ImportV2(ctx, v2Data())
	wantCode(t, "store in use", err, coinop.ECONFLICT)

	// Money that cannot balance: nothing is written, and a good import
	// follows.
	s = open(t)
	bad := v2Data()
	bad.Operations = append(bad.Operations, coinop.ImportOperation{ID: 20, To: 1, Value: -5, Completed: true})
	_, err = importer(t, s).ImportV2(ctx, bad)
	wantCode(t, "negative issue", err, coinop.EINVALID)
	small := v2Data()
	small.Operations[0].Value = 1000
	_, err = importer(t, s).ImportV2(ctx, small)
	wantCode(t, "initial issue below coinop's", err, coinop.EINVALID)
	if _, err := s.Person(ctx, 2); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Fatalf("a refused import left people behind: %v", err)
	}
	if _, err := importer(t, s).ImportV2(ctx, v2Data()); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
}

func testImportLinking(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	if _, err := importer(t, s).ImportV2(ctx, v2Data()); err != nil {
		t.Fatal(err)
	}
	id := func(sub, email string, verified bool) *coinop.Identity {
		return &coinop.Identity{Issuer: "https://issuer.test", Subject: sub, Name: "Login " + sub, GivenName: sub, Email: email, EmailVerified: verified}
	}
	// An unverified e-mail links nothing.
	p, created, err := s.Login(ctx, id("ana-unverified", "ana@v2.example", false), false)
	if err != nil || !created || p.ID == 2 {
		t.Fatalf("unverified login = %+v, %v, %v", p, created, err)
	}
	// The verified one (in any case) takes over Ana's account, once.
	p, created, err = s.Login(ctx, id("ana", "ANA@v2.example", true), false)
	if err != nil || created || p.ID != 2 || p.Subject != "ana" || p.Name != "Login ana" {
		t.Fatalf("verified login = %+v, %v, %v", p, created, err)
	}
	if balance(t, s, p.ID) != 55 {
		t.Fatal("the linked account lost its balance")
	}
	p, created, err = s.Login(ctx, id("ana", "ana@elsewhere.example", true), false)
	if err != nil || created || p.ID != 2 || p.Email != "ana@elsewhere.example" {
		t.Fatalf("second login = %+v, %v, %v", p, created, err)
	}
	if got, err := s.PersonByIdentity(ctx, "https://issuer.test", "ana"); err != nil || got.ID != 2 {
		t.Fatalf("PersonByIdentity = %+v, %v", got, err)
	}
	// Another identity with the same verified e-mail: only (issuer, subject)
	// counts now.
	p, created, err = s.Login(ctx, id("ana-2", "ana@v2.example", true), false)
	if err != nil || !created || p.ID == 2 {
		t.Fatalf("another identity = %+v, %v, %v", p, created, err)
	}
	// Never the bank.
	p, created, err = s.Login(ctx, id("bank", "feiradejogosifscsaojose@gmail.com", true), false)
	if err != nil || !created || p.ID == coinop.BankID {
		t.Fatalf("the bank's e-mail = %+v, %v, %v", p, created, err)
	}
	if bank, _ := s.Person(ctx, coinop.BankID); bank.Subject != "" || bank.Issuer != "" {
		t.Fatalf("the bank was linked: %+v", bank)
	}
	// An imported operator stays one; makeOperator still grants.
	p, _, err = s.Login(ctx, id("eva", "eva@v2.example", true), false)
	if err != nil || p.ID != 6 || !p.Operator {
		t.Fatalf("Eva = %+v, %v", p, err)
	}
	p, _, err = s.Login(ctx, id("dora", "dora@v2.example", true), true)
	if err != nil || p.ID != 5 || !p.Operator {
		t.Fatalf("Dora = %+v, %v", p, err)
	}
	checkInvariants(t, s)

	// An e-mail two imported people share (in different case) links neither.
	s = open(t)
	d := &coinop.ImportData{Source: "test",
		People:     []coinop.ImportPerson{{ID: 1, Name: "Banco Central"}, {ID: 2, Name: "Gil", Email: "gil@v2.example"}, {ID: 3, Name: "GIL", Email: "GIL@v2.example"}},
		Operations: []coinop.ImportOperation{{ID: 1, To: 1, Value: 1000000, Completed: true}}}
	sum, err := importer(t, s).ImportV2(ctx, d)
	if err != nil || !hasAnomaly(sum, "share the e-mail gil@v2.example") {
		t.Fatalf("import %+v, %v", sum, err)
	}
	p, created, err = s.Login(ctx, id("gil", "gil@v2.example", true), false)
	if err != nil || !created || p.ID == 2 || p.ID == 3 {
		t.Fatalf("a shared e-mail linked %+v, %v, %v", p, created, err)
	}
}

// testImportBankByIssue: no Banco Central by name; the operator that received
// the first issue is the bank, and v2's person 1 gets another id.
func testImportBankByIssue(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	d := &coinop.ImportData{
		Source: "test",
		People: []coinop.ImportPerson{
			{ID: 1, Name: "Zé", Email: "ze@v2.example"},
			{ID: 3, Name: "Tesouro", Email: "tesouro@v2.example", Operator: true},
			{ID: 4, Name: "Lia", Email: "lia@v2.example"},
		},
		Operations: []coinop.ImportOperation{
			{ID: 1, To: 3, Value: 1200000, Completed: true},
			{ID: 2, From: 3, To: 1, Value: 10, Completed: true},
			{ID: 3, To: 4, Value: 100, Completed: true}, // issued straight to Lia
		},
	}
	sum, err := importer(t, s).ImportV2(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if sum.BankLegacyID != 3 || sum.MoneyBefore != 1200100 || sum.MoneyAfter != 1200100 || !hasAnomaly(sum, "v2 person 1", "person 5") {
		t.Fatalf("summary %+v", sum)
	}
	b, _ := s.Bank(ctx)
	if b.Issued != 1200100 || b.Balance != 1200000-10 {
		t.Fatalf("bank %+v", b)
	}
	ze, err := s.Person(ctx, 5)
	if err != nil || ze.Name != "Zé" || balance(t, s, 5) != 10 || balance(t, s, 4) != 100 {
		t.Fatalf("Zé %+v, %v", ze, err)
	}
	if _, err := s.Person(ctx, 3); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Fatalf("the v2 bank is a second account: %v", err)
	}
}
