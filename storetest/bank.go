package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

// login creates a person for the tests.
func login(t *testing.T, s coinop.Store, sub string) *coinop.Person {
	t.Helper()
	p, _, err := s.Login(context.Background(), &coinop.Identity{Issuer: "https://issuer.test", Subject: sub, Name: "Person " + sub, GivenName: sub, Email: sub + "@example.com"}, false)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fund gives p value from the bank.
func fund(t *testing.T, s coinop.Store, p *coinop.Person, value int64) {
	t.Helper()
	if _, err := s.AdminCredit(context.Background(), coinop.AdminCreditRequest{ToID: p.ID, Value: value, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := coinop.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func checkInvariants(t *testing.T, s coinop.Store) {
	t.Helper()
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func testBankStart(t *testing.T, open Open) {
	s := open(t)
	b, err := s.Bank(context.Background())
	if err != nil || b.Balance != 1000000 || b.Held != 0 || b.Issued != 1000000 {
		t.Fatalf("bank at start = %+v, %v", b, err)
	}
	bank, err := s.Person(context.Background(), coinop.BankID)
	if err != nil || bank.Name != "Banco Central" || bank.Subject != "" {
		t.Fatalf("person 1 = %+v, %v", bank, err)
	}
	checkInvariants(t, s)
}

func testLogin(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	id := &coinop.Identity{Issuer: "https://issuer.test", Subject: "42", Name: "Ana Souza", GivenName: "Ana", Email: "ana@example.com"}
	p, created, err := s.Login(ctx, id, false)
	if err != nil || !created || p.ID <= coinop.BankID || p.Name != "Ana Souza" || p.Operator {
		t.Fatalf("first login = %+v, %v, %v", p, created, err)
	}
	if b, _ := s.Balance(ctx, p.ID); b != 0 {
		t.Fatalf("new person's balance %d", b)
	}
	id.Name, id.Email = "Ana S. Lima", "ana@new.example"
	p2, created, err := s.Login(ctx, id, true)
	if err != nil || created || p2.ID != p.ID || p2.Name != "Ana S. Lima" || p2.Email != "ana@new.example" || !p2.Operator {
		t.Fatalf("second login = %+v, %v, %v", p2, created, err)
	}
	// Same e-mail, other subject: another person.
	other, created, _ := s.Login(ctx, &coinop.Identity{Issuer: "https://issuer.test", Subject: "43", Email: "ana@new.example"}, false)
	if !created || other.ID == p.ID {
		t.Fatal("a person was matched by e-mail instead of (issuer, subject)")
	}
	if got, err := s.PersonByIdentity(ctx, "https://issuer.test", "42"); err != nil || got.ID != p.ID {
		t.Fatalf("PersonByIdentity = %v, %v", got, err)
	}
	_, err = s.PersonByIdentity(ctx, "https://other.test", "42")
	wantCode(t, "other issuer", err, coinop.ENOTFOUND)
	if p.FirstName() != "Ana" {
		t.Fatalf("first name %q", p.FirstName())
	}
	found, err := s.SearchPeople(ctx, "LIMA", 10)
	if err != nil || len(found) != 1 || found[0].ID != p.ID {
		t.Fatalf("search = %v, %v", found, err)
	}
	g, err := s.GrantOperator(ctx, p.ID, "", other.ID)
	if err != nil || !g.Operator {
		t.Fatalf("grant = %v, %v", g, err)
	}
	_, err = s.GrantOperator(ctx, p.ID, "nobody@example.com", 0)
	wantCode(t, "grant unknown", err, coinop.ENOTFOUND)
}

func newGame(t *testing.T, s coinop.Store, clients ...string) *coinop.Product {
	t.Helper()
	g := &coinop.Product{Name: "Space Race", Type: coinop.TypeGames, ClientIDs: clients}
	if err := s.CreateProduct(context.Background(), 0, g); err != nil {
		t.Fatal(err)
	}
	return g
}

func testCredit(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	p := login(t, s, "p")
	game := newGame(t, s, "game-client")
	food := &coinop.Product{Name: "Chips", Type: coinop.TypeFoods, Price: 5}
	s.CreateProduct(ctx, 0, food)
	req := func(product, value int64, client string, window time.Duration) coinop.CreditRequest {
		return coinop.CreditRequest{PersonID: p.ID, ProductID: product, ClientID: client, Value: value, Limit: 1000, Window: window}
	}
	// A store may take a shorter path without an Idempotency-Key (a stored
	// procedure on PostgreSQL): both paths refuse alike.
	both := func(what string, r coinop.CreditRequest, code, msg string) error {
		t.Helper()
		var first error
		for i, idem := range []coinop.Idempotency{{}, {Key: "refused " + what, Hash: []byte{1}}} {
			r.Idem = idem
			_, err := s.Credit(ctx, r)
			wantCode(t, what, err, code)
			if msg != "" && coinop.ErrorMessage(err) != msg {
				t.Errorf("%s (path %d): message %q, want %q", what, i, coinop.ErrorMessage(err), msg)
			}
			if i == 0 {
				first = err
			}
		}
		return first
	}
	both("value 0", req(game.ID, 0, "game-client", 0), coinop.EVALUE, "value must be a natural number")
	both("over the limit", req(game.ID, 1001, "game-client", 0), coinop.EFORBIDDEN, "value above the limit of 1000")
	both("unknown product", req(999, 10, "game-client", 0), coinop.EFORBIDDEN, "this client may not pay out for product 999")
	both("not a game", req(food.ID, 10, "game-client", 0), coinop.EFORBIDDEN, fmt.Sprintf("this client may not pay out for product %d", food.ID))
	both("another game's client", req(game.ID, 10, "other-client", 0), coinop.EFORBIDDEN, fmt.Sprintf("this client may not pay out for product %d", game.ID))
	nobody := req(game.ID, 10, "game-client", 0)
	nobody.PersonID = 99999
	both("to nobody", nobody, coinop.ENOTFOUND, "no person with id 99999")

	op, err := s.Credit(ctx, req(game.ID, 100, "game-client", 5*time.Minute))
	if err != nil || op.ID == 0 || op.Value != 100 || op.Kind != coinop.OpCredit || op.Status != coinop.StatusCompleted || op.CreatedAt.IsZero() {
		t.Fatalf("credit = %+v, %v", op, err)
	}
	if op.FromName != "Banco Central" || op.ToName != p.Name || op.ProductName != game.Name ||
		op.After == nil || op.After.To != 100 || op.After.From != 1000000-100 {
		t.Fatalf("credit returned names %q %q %q, balances after %+v", op.FromName, op.ToName, op.ProductName, op.After)
	}
	if ops, err := s.Statement(ctx, coinop.StatementQuery{PersonID: p.ID, Limit: 1}); err != nil || len(ops) != 1 ||
		ops[0].ID != op.ID || !ops[0].CreatedAt.Equal(op.CreatedAt) || ops[0].ProductID != game.ID || ops[0].FromID != coinop.BankID {
		t.Fatalf("statement %+v, %v; the credit returned %+v", ops, err, op)
	}
	err = both("second credit in the window", req(game.ID, 100, "game-client", 5*time.Minute), coinop.ERATELIMIT,
		"a credit from this game was made less than 5m0s ago; try again later")
	if e := err.(*coinop.Error); e.RetryAfter <= 4*time.Minute || e.RetryAfter > 5*time.Minute {
		t.Fatalf("Retry-After %v", e.RetryAfter)
	}
	if _, err := s.Credit(ctx, req(game.ID, 50, "game-client", 0)); err != nil {
		t.Fatalf("window 0: %v", err)
	}
	// A game-specific payout limit overrides the default.
	limit := int64(20)
	if _, err := s.UpdateProduct(ctx, 0, game.ID, coinop.ProductUpdate{PayoutLimit: &limit}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Credit(ctx, req(game.ID, 21, "game-client", 0))
	wantCode(t, "over the game's limit", err, coinop.EFORBIDDEN)
	if b, _ := s.Balance(ctx, p.ID); b != 150 {
		t.Fatalf("balance %d, want 150", b)
	}
	// The bank never goes negative.
	rich := login(t, s, "rich")
	bank, _ := s.Bank(ctx)
	fund(t, s, rich, bank.Balance-10)
	both("bank without funds", req(game.ID, 11, "game-client", 0), coinop.EBANKFUNDS, "the bank cannot pay 11 now")
	if b, _ := s.Balance(ctx, p.ID); b != 150 {
		t.Fatalf("balance %d after the bank could not pay, want 150", b)
	}
	if _, err := s.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: coinop.BankID, Value: 500, Reason: "more money"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credit(ctx, req(game.ID, 11, "game-client", 0)); err != nil {
		t.Fatalf("after issuing money: %v", err)
	}
	if b, _ := s.Bank(ctx); b.Issued != 1000500 {
		t.Fatalf("issued %d", b.Issued)
	}
	checkInvariants(t, s)
}

func testTransfer(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	a, b := login(t, s, "a"), login(t, s, "b")
	fund(t, s, a, 100)
	tr := func(to, value int64, window time.Duration) error {
		_, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: to, Value: value, Window: window})
		return err
	}
	// A store may take a shorter path without an Idempotency-Key (one
	// stored procedure on PostgreSQL): both paths refuse alike.
	keyed := func(to, value int64, window time.Duration) error {
		_, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: to, Value: value, Window: window,
			Idem: coinop.Idempotency{Key: fmt.Sprint("refused ", to, value), Hash: []byte{1}}})
		return err
	}
	for _, c := range []struct {
		what      string
		to, value int64
		code, msg string
	}{
		{"more than the balance", b.ID, 101, coinop.EFUNDS, "insufficient funds: 100 available"},
		{"value 0", b.ID, 0, coinop.EFORBIDDEN, "a transfer needs a positive value and another person"},
		{"negative", b.ID, -5, coinop.EFORBIDDEN, "a transfer needs a positive value and another person"},
		{"to oneself", a.ID, 5, coinop.EFORBIDDEN, "a transfer needs a positive value and another person"},
		{"to nobody", 9999, 5, coinop.EFORBIDDEN, "no person with id 9999"},
		{"to the bank", coinop.BankID, 5, coinop.EFORBIDDEN, "a transfer needs a positive value and another person"},
	} {
		for _, f := range []func(int64, int64, time.Duration) error{tr, keyed} {
			err := f(c.to, c.value, 0)
			wantCode(t, c.what, err, c.code)
			if got := coinop.ErrorMessage(err); got != c.msg {
				t.Errorf("%s: message %q, want %q", c.what, got, c.msg)
			}
		}
	}
	if _, err := s.Transfer(ctx, coinop.TransferRequest{FromID: 9999, ToID: a.ID, Value: 1}); coinop.ErrorMessage(err) != "insufficient funds: 0 available" {
		t.Errorf("from nobody: %v", err)
	}
	if err := tr(b.ID, 30, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(int64, int64, time.Duration) error{tr, keyed} {
		err := f(b.ID, 30, time.Minute)
		wantCode(t, "second in the window", err, coinop.ERATELIMIT)
		var ce *coinop.Error
		if !errors.As(err, &ce) || ce.RetryAfter <= 50*time.Second || ce.RetryAfter > time.Minute {
			t.Errorf("second in the window: %#v, want Retry-After just under a minute", err)
		}
	}
	op, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 30})
	if err != nil {
		t.Fatal(err)
	}
	// The write tells what live events need: names and both new balances.
	if op.FromName != a.Name || op.ToName != b.Name || op.After == nil || *op.After != (coinop.Balances{From: 40, To: 60}) {
		t.Fatalf("transfer returned names %q %q, balances after %+v", op.FromName, op.ToName, op.After)
	}
	if op.ID == 0 || op.Status != coinop.StatusCompleted || op.CreatedAt.IsZero() {
		t.Fatalf("transfer returned %+v", op)
	}
	ba, _ := s.Balance(ctx, a.ID)
	bb, _ := s.Balance(ctx, b.ID)
	if ba != 40 || bb != 60 {
		t.Fatalf("balances %d %d", ba, bb)
	}
	ops, err := s.Statement(ctx, coinop.StatementQuery{PersonID: a.ID, Limit: 50})
	if err != nil || len(ops) != 3 {
		t.Fatalf("statement = %v, %v", ops, err)
	}
	if ops[0].ID != op.ID || !ops[0].CreatedAt.Equal(op.CreatedAt) {
		t.Fatalf("statement's newest %+v, the transfer returned %+v", ops[0], op)
	}
	if ops[0].Kind != coinop.OpTransfer || ops[0].FromName != "Person a" || ops[0].ToName != "Person b" || !ops[0].Completed() || ops[2].Kind != coinop.OpCredit || ops[2].FromName != "Banco Central" {
		t.Fatalf("statement newest first with names: %+v %+v", ops[0], ops[2])
	}
	page, _ := s.Statement(ctx, coinop.StatementQuery{PersonID: a.ID, Limit: 1, Before: ops[0].ID})
	if len(page) != 1 || page[0].ID != ops[1].ID {
		t.Fatalf("paging: %v", page)
	}
	checkInvariants(t, s)
}

func testIdempotency(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	a, b := login(t, s, "a"), login(t, s, "b")
	fund(t, s, a, 100)
	idem := coinop.Idempotency{Key: "k1", Hash: []byte("to b, 10")}
	op1, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 10, Window: time.Hour, Idem: idem})
	if err != nil {
		t.Fatal(err)
	}
	op2, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 10, Window: time.Hour, Idem: idem})
	if err != nil || op2.ID != op1.ID {
		t.Fatalf("replay = %v, %v; want operation %d", op2, err, op1.ID)
	}
	if bal, _ := s.Balance(ctx, a.ID); bal != 90 {
		t.Fatalf("balance after replay %d, want 90", bal)
	}
	_, err = s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 20, Idem: coinop.Idempotency{Key: "k1", Hash: []byte("to b, 20")}})
	wantCode(t, "same key, other body", err, coinop.EIDEMPOTENCY)
	// A failed request does not use up its key.
	fail := coinop.Idempotency{Key: "k2", Hash: []byte("to b, 1000")}
	_, err = s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1000, Idem: fail})
	wantCode(t, "too much", err, coinop.EFUNDS)
	fund(t, s, a, 1000)
	if _, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1000, Idem: fail}); err != nil {
		t.Fatalf("retry after a failure: %v", err)
	}
	// Keys are per person.
	fund(t, s, b, 5)
	if op, err := s.Transfer(ctx, coinop.TransferRequest{FromID: b.ID, ToID: a.ID, Value: 5, Idem: idem}); err != nil || op.ID == op1.ID {
		t.Fatalf("another person's key: %v, %v", op, err)
	}
	checkInvariants(t, s)
}

func testCatalogue(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	chips := &coinop.Product{Name: "Chips", Description: "150g", Type: coinop.TypeFoods, Price: 5, Image: "chips.png"}
	coin := &coinop.Product{Name: "Arcade credit", Type: coinop.TypeArcade, Price: 2}
	game := newGame(t, s, "c1", "c2")
	for _, p := range []*coinop.Product{chips, coin} {
		if err := s.CreateProduct(ctx, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	err := s.CreateProduct(ctx, 0, &coinop.Product{Name: "x", Type: "drinks"})
	wantCode(t, "bad type", err, coinop.EINVALID)
	vending := &coinop.Machine{Name: "Vending 1", Kind: coinop.KindVending, Location: "hall"}
	key, err := s.CreateMachine(ctx, 0, vending)
	if err != nil || vending.ID == 0 || !coinop.LooksLikeAPIKey(key) {
		t.Fatalf("create machine: %v %v", vending, err)
	}
	k, err := s.FindAPIKey(ctx, key)
	if err != nil || k.Role != coinop.RoleMachine || k.ID != vending.KeyID || k.UserID != fmt.Sprintf("machine-%d", vending.ID) {
		t.Fatalf("machine key = %+v, %v", k, err)
	}
	_, err = s.CreateMachine(ctx, 0, &coinop.Machine{Name: "Vending 1", Kind: coinop.KindVending})
	wantCode(t, "duplicate name", err, coinop.ECONFLICT)
	arcade := &coinop.Machine{Name: "Arcade", Kind: coinop.KindArcade}
	s.CreateMachine(ctx, 0, arcade)
	if err := s.SetStock(ctx, 0, coinop.Stock{MachineID: vending.ID, Slot: 1, ProductID: chips.ID, Quantity: 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStock(ctx, 0, coinop.Stock{MachineID: vending.ID, Slot: 1, ProductID: chips.ID, Quantity: 4}); err != nil {
		t.Fatal(err)
	}
	s.SetStock(ctx, 0, coinop.Stock{MachineID: arcade.ID, Slot: 1, ProductID: coin.ID, Quantity: 100})
	wantCode(t, "food in an arcade", s.SetStock(ctx, 0, coinop.Stock{MachineID: arcade.ID, Slot: 2, ProductID: chips.ID, Quantity: 1}), coinop.EINVALID)
	wantCode(t, "game in a machine", s.SetStock(ctx, 0, coinop.Stock{MachineID: vending.ID, Slot: 2, ProductID: game.ID, Quantity: 1}), coinop.EINVALID)
	wantCode(t, "negative", s.SetStock(ctx, 0, coinop.Stock{MachineID: vending.ID, Slot: 1, ProductID: chips.ID, Quantity: -1}), coinop.EINVALID)
	wantCode(t, "no machine", s.SetStock(ctx, 0, coinop.Stock{MachineID: 99, Slot: 1, ProductID: chips.ID, Quantity: 1}), coinop.ENOTFOUND)

	all, _ := s.Products(ctx, "")
	games, _ := s.Products(ctx, coinop.TypeGames)
	if len(all) != 3 || len(games) != 1 || games[0].ID != game.ID || len(games[0].ClientIDs) != 2 {
		t.Fatalf("products %d, games %v", len(all), games)
	}
	for _, p := range all {
		if p.ID == chips.ID && (p.Stock != 4 || p.Description != "150g" || p.Price != 5) {
			t.Fatalf("chips = %+v", p)
		}
	}
	price := int64(6)
	if p, err := s.UpdateProduct(ctx, 0, chips.ID, coinop.ProductUpdate{Price: &price}); err != nil || p.Price != 6 || p.Name != "Chips" {
		t.Fatalf("update = %+v, %v", p, err)
	}
	_, err = s.UpdateProduct(ctx, 0, 999, coinop.ProductUpdate{Price: &price})
	wantCode(t, "update unknown", err, coinop.ENOTFOUND)
	machines, _ := s.Machines(ctx)
	stock, _ := s.MachineStock(ctx, vending.ID)
	if len(machines) != 2 || len(stock) != 1 || stock[0].Quantity != 4 {
		t.Fatalf("machines %v stock %v", machines, stock)
	}
	audit, err := s.Audit(ctx, 100)
	if err != nil || len(audit) < 6 || audit[0].Action != "update_product" {
		t.Fatalf("audit = %v, %v", audit, err)
	}
}

func testPruneIdempotencyKeys(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	a, b := login(t, s, "a"), login(t, s, "b")
	fund(t, s, a, 10)
	idem := coinop.Idempotency{Key: "old", Hash: []byte("h")}
	op1, _ := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1, Idem: idem})
	if n, err := s.PruneIdempotencyKeys(ctx); err != nil || n != 0 {
		t.Fatalf("pruned a fresh key: %d, %v", n, err)
	}
	if op, _ := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1, Idem: idem}); op.ID != op1.ID {
		t.Fatal("a fresh key was not honoured")
	}
}

func testRanking(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	game := newGame(t, s, "g")
	a, b, c := login(t, s, "a"), login(t, s, "b"), login(t, s, "c")
	fund(t, s, a, 100) // an operator's credit: a balance, no earnings
	for _, p := range []*coinop.Person{b, b, c} {
		if _, err := s.Credit(ctx, coinop.CreditRequest{PersonID: p.ID, ProductID: game.ID, ClientID: "g", Value: 30, Limit: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	bal, earn, err := s.Ranking(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(bal) != 2 || bal[0].PersonID != a.ID || bal[0].Value != 100 || bal[1].PersonID != b.ID || bal[1].Value != 60 {
		t.Fatalf("balances %+v", bal)
	}
	if len(earn) != 2 || earn[0].PersonID != b.ID || earn[0].Value != 60 || earn[1].PersonID != c.ID || earn[0].Name != "Person b" {
		t.Fatalf("earnings %+v", earn)
	}
}
