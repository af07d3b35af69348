package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/coinop/coinop"
)

// importKind is the imports row of the v2 import: one per store.
const importKind = "v2"

// ImportV2 implements coinop.ImportService. The whole import is one write
// transaction: it plans everything in memory from data (planImport), writes
// the plan, then checks the money invariants before committing.
func (s *Store) ImportV2(ctx context.Context, data *coinop.ImportData) (*coinop.ImportSummary, error) {
	var sum *coinop.ImportSummary
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		sum = nil
		// A concurrent import waits here, then finds this one recorded.
		if err := s.lockPeople(ctx, tx, coinop.BankID); err != nil {
			return err
		}
		// PostgreSQL's serial columns must follow the ids kept from v2;
		// SQLite has no sequences (the probe fails there, harmlessly).
		var seq sql.NullString
		sequences := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence('people', 'id')`).Scan(&seq) == nil && seq.Valid
		issued, err := s.importable(ctx, tx)
		if err != nil {
			return err
		}
		now := ms(s.Now())
		p, err := planImport(data, issued, now)
		if err != nil {
			return err
		}
		if err := s.writeImport(ctx, tx, p, now, sequences); err != nil {
			return err
		}
		sum = &p.sum
		return nil
	})
	return sum, err
}

// importable refuses a store that was imported into or holds anything but
// the bank and its issues, and returns the money issued so far.
func (s *Store) importable(ctx context.Context, tx *sql.Tx) (int64, error) {
	var source string
	var at int64
	err := s.row(ctx, tx, `SELECT source, imported_at FROM imports WHERE kind = $1`, importKind).Scan(&source, &at)
	if err == nil {
		return 0, coinop.Errorf(coinop.ECONFLICT, "this store already holds the v2 data (imported %s from %s); an import runs only once",
			fromMS(at).UTC().Format("2006-01-02 15:04:05 UTC"), source)
	} else if !isNoRows(err) {
		return 0, err
	}
	var people, products, machines, ops, issued, balance, held int64
	err = s.row(ctx, tx, `SELECT (SELECT COUNT(*) FROM people WHERE id <> 1), (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM machines),
			(SELECT COUNT(*) FROM operations WHERE NOT (kind = 'issue' AND status = 'completed' AND to_id = 1)),
			(SELECT COALESCE(SUM(value), 0) FROM operations WHERE kind = 'issue' AND status = 'completed'), balance, held
		FROM people WHERE id = 1`).Scan(&people, &products, &machines, &ops, &issued, &balance, &held)
	if err != nil {
		return 0, err
	}
	if people > 0 || products > 0 || machines > 0 || ops > 0 || balance != issued || held != 0 {
		return 0, coinop.Errorf(coinop.ECONFLICT, "the store is in use (%d people besides the bank, %d products, %d machines, %d operations besides issues); "+
			"the v2 data is imported only into a fresh store", people, products, machines, ops)
	}
	return issued, nil
}

// importPlan is everything an import writes, in coinop's ids.
type importPlan struct {
	sum      coinop.ImportSummary
	bank     *impPerson // account 1: balance and held are added to its own
	people   []*impPerson
	byID     map[int64]*impPerson // by coinop id, the bank too
	products []*impProduct
	machines []*impMachine
	stock    []coinop.Stock
	ops      []*impOp
}

type impPerson struct {
	id, legacy    int64
	name, email   string
	operator      bool
	placeholder   bool
	balance, held int64
}

type impProduct struct {
	id                            int64
	name, description, image, url string
	typ                           coinop.ProductType
	price                         int64
}

type impMachine struct {
	id                          int64
	name, description, location string
	kind                        coinop.MachineKind
}

type impOp struct {
	kind                     coinop.OpKind
	from, to, product, value int64 // from 0: an issue; product 0: none
	status                   coinop.OpStatus
	reason                   string
	legacy, created          int64 // legacy 0: made by the import
}

// bankName is the v2 central bank's name in dml.sql.
const bankName = "Banco Central"

// planImport maps data into coinop, given the money coinop has issued
// already (its initial issue, which v2's first issue to the bank becomes).
// It decides every hard case:
//
//   - the central bank: v2's person named Banco Central, else the operator
//     that received the first completed issue, is account 1 (no second bank);
//   - ids: people, products and machines keep their v2 ids (the bank
//     becomes 1; a v2 person whose id is 1 or less gets a new one);
//   - operations referring to people v2 lacks: a placeholder account per
//     missing id keeps that money (it has no e-mail, so nobody logs into it);
//   - completed operations are completed operations, their kind inferred:
//     from nobody an issue (to someone else than the bank: an issue to the
//     bank and a credit), from the bank a credit, to the bank a debit,
//     else a transfer; a negative value is the opposite movement; a value
//     of 0 is skipped; a movement to oneself is voided;
//   - balances are what the completed history gives; a negative one is
//     brought to 0 by a credit from the bank, recorded with its reason;
//   - operations v2 never completed: a debit is imported as unknown with the
//     price held from the buyer (if the balance covers it), for an operator
//     to settle (complete or refund) like any unknown debit; anything else
//     (or a debit the balance cannot cover) as voided; an unfinished issue
//     is skipped. All are listed as anomalies.
//
// It refuses data whose money cannot balance: a completed negative issue,
// no completed issue to the bank, a first issue smaller than what coinop
// issued already, or a bank that would end negative.
func planImport(d *coinop.ImportData, issued, now int64) (*importPlan, error) {
	p := &importPlan{}
	p.sum.Source = d.Source
	p.sum.Operations = len(d.Operations)
	p.sum.Types = len(d.Types)
	anomaly := func(format string, args ...any) {
		p.sum.Anomalies = append(p.sum.Anomalies, fmt.Sprintf(format, args...))
	}

	// People, and the bank among them.
	people := map[int64]*coinop.ImportPerson{}
	for i := range d.People {
		v := &d.People[i]
		if people[v.ID] != nil {
			return nil, coinop.Errorf(coinop.EINVALID, "v2 person %d appears twice", v.ID)
		}
		people[v.ID] = v
	}
	bankID, err := findBank(d, people)
	if err != nil {
		return nil, err
	}
	p.sum.BankLegacyID = bankID
	p.bank = &impPerson{id: coinop.BankID, legacy: bankID}
	p.byID = map[int64]*impPerson{coinop.BankID: p.bank}
	legacy := map[int64]*impPerson{bankID: p.bank} // by v2 id
	var missing []int64
	lacks := func(id int64) bool { return people[id] == nil && !slices.Contains(missing, id) }
	for _, o := range d.Operations {
		if o.From != 0 && lacks(o.From) {
			missing = append(missing, o.From)
		}
		if lacks(o.To) {
			missing = append(missing, o.To)
		}
	}
	maxID := int64(1)
	for id := range people {
		maxID = max(maxID, id)
	}
	for _, id := range missing {
		maxID = max(maxID, id)
	}
	next := maxID + 1
	var olds []int64
	for id := range people {
		olds = append(olds, id)
	}
	olds = append(olds, missing...)
	slices.Sort(olds)
	emails := map[string][]int64{}
	for _, old := range olds {
		if old == bankID {
			continue
		}
		ip := &impPerson{id: old, legacy: old}
		if v := people[old]; v != nil {
			ip.name, ip.email, ip.operator = v.Name, strings.TrimSpace(v.Email), v.Operator
			if ip.email == "" {
				anomaly("v2 person %d (%s) has no e-mail: nobody can log into that account", old, ip.name)
			} else {
				emails[strings.ToLower(ip.email)] = append(emails[strings.ToLower(ip.email)], old)
			}
		} else {
			ip.name, ip.placeholder = fmt.Sprintf("v2 person %d (unknown)", old), true
			p.sum.Placeholders++
		}
		if old <= coinop.BankID {
			ip.id = next
			next++
			anomaly("v2 person %d (%s) is person %d in coinop: account 1 is the bank", old, ip.name, ip.id)
		}
		legacy[old] = ip
		p.byID[ip.id] = ip
		p.people = append(p.people, ip)
	}
	for _, email := range slices.Sorted(maps.Keys(emails)) {
		if ids := emails[email]; len(ids) > 1 {
			anomaly("v2 people %v share the e-mail %s: none of them is linked at login", ids, email)
		}
	}
	p.sum.People = len(p.people)

	// Types, products, machines, stock.
	types := map[int64]coinop.ProductType{}
	for _, t := range d.Types {
		typ, ok := productType(t.Name)
		if !ok {
			anomaly("v2 type %d (%q) is none of games, foods, arcade: its products are imported as foods", t.ID, t.Name)
		}
		types[t.ID] = typ
	}
	products := map[int64]*impProduct{} // by v2 id
	maxProduct := int64(0)
	for _, v := range d.Products {
		maxProduct = max(maxProduct, v.ID)
	}
	for _, v := range sortedBy(d.Products, func(v coinop.ImportProduct) int64 { return v.ID }) {
		if products[v.ID] != nil {
			return nil, coinop.Errorf(coinop.EINVALID, "v2 product %d appears twice", v.ID)
		}
		ip := &impProduct{id: v.ID, name: v.Name, description: v.Description, image: v.Image, url: v.URL, price: v.Price}
		typ, ok := types[v.Type]
		if !ok {
			typ = coinop.TypeFoods
			anomaly("v2 product %d (%s) has the unknown type %d: imported as foods", v.ID, v.Name, v.Type)
		}
		ip.typ = typ
		if ip.price < 0 {
			anomaly("v2 product %d (%s) has the price %d: imported with price 0", v.ID, v.Name, v.Price)
			ip.price = 0
		}
		if ip.id <= 0 {
			maxProduct++
			ip.id = maxProduct
			anomaly("v2 product %d (%s) is product %d in coinop", v.ID, v.Name, ip.id)
		}
		products[v.ID] = ip
		p.products = append(p.products, ip)
	}
	p.sum.Products = len(p.products)

	stocked := map[int64][]coinop.ProductType{} // v2 machine → types of its stock
	for _, st := range d.Stock {
		if pr := products[st.Product]; pr != nil {
			stocked[st.Machine] = append(stocked[st.Machine], pr.typ)
		}
	}
	machines := map[int64]*impMachine{}
	maxMachine := int64(0)
	for _, v := range d.Machines {
		maxMachine = max(maxMachine, v.ID)
	}
	for _, v := range sortedBy(d.Machines, func(v coinop.ImportMachine) int64 { return v.ID }) {
		if machines[v.ID] != nil {
			return nil, coinop.Errorf(coinop.EINVALID, "v2 machine %d appears twice", v.ID)
		}
		m := &impMachine{id: v.ID, name: v.Name, description: v.Description, location: v.Location, kind: coinop.KindVending}
		if ts := stocked[v.ID]; len(ts) > 0 && !slices.ContainsFunc(ts, func(t coinop.ProductType) bool { return t != coinop.TypeArcade }) {
			m.kind = coinop.KindArcade
		}
		if m.id <= 0 {
			maxMachine++
			m.id = maxMachine
			anomaly("v2 machine %d (%s) is machine %d in coinop", v.ID, v.Name, m.id)
		}
		machines[v.ID] = m
		p.machines = append(p.machines, m)
	}
	p.sum.Machines = len(p.machines)

	slots := map[[2]int64]bool{}
	for _, st := range sortedBy(d.Stock, func(v coinop.ImportStock) int64 { return v.ID }) {
		m, pr := machines[st.Machine], products[st.Product]
		switch {
		case m == nil || pr == nil:
			anomaly("v2 stock %d names machine %d and product %d, which v2 lacks: not imported", st.ID, st.Machine, st.Product)
			continue
		case st.Slot < 0:
			anomaly("v2 stock %d has the slot %d: not imported", st.ID, st.Slot)
			continue
		case slots[[2]int64{m.id, st.Slot}]:
			anomaly("v2 stock %d is a second product in slot %d of machine %d: not imported", st.ID, st.Slot, st.Machine)
			continue
		case (m.kind == coinop.KindVending) != (pr.typ == coinop.TypeFoods) || pr.typ == coinop.TypeGames:
			anomaly("v2 stock %d puts product %d (%s) in the %s machine %d: not imported", st.ID, st.Product, pr.typ, m.kind, st.Machine)
			continue
		}
		q := st.Quantity
		if q < 0 {
			anomaly("v2 stock %d has the quantity %d: imported as 0", st.ID, q)
			q = 0
		}
		slots[[2]int64{m.id, st.Slot}] = true
		p.stock = append(p.stock, coinop.Stock{MachineID: m.id, Slot: st.Slot, ProductID: pr.id, Quantity: q})
	}
	p.sum.Stock = len(p.stock)

	// Operations, in v2's order.
	seen := map[int64]bool{}
	merged := false
	var pending []*impOp
	name := func(id int64) string {
		if id == coinop.BankID {
			return "the bank"
		}
		ip := p.byID[id]
		return fmt.Sprintf("v2 person %d (%s)", ip.legacy, ip.name)
	}
	for _, o := range sortedBy(d.Operations, func(v coinop.ImportOperation) int64 { return v.ID }) {
		if seen[o.ID] {
			return nil, coinop.Errorf(coinop.EINVALID, "v2 operation %d appears twice", o.ID)
		}
		seen[o.ID] = true
		if o.Completed && o.From == 0 {
			p.sum.MoneyBefore += o.Value
		}
		from, to, value := o.From, o.To, o.Value
		switch {
		case value == 0:
			anomaly("v2 operation %d moves nothing (value 0): not imported", o.ID)
			p.sum.Skipped++
			continue
		case value < 0 && from == 0 && o.Completed:
			return nil, coinop.Errorf(coinop.EINVALID, "v2 operation %d issues the negative value %d: coinop cannot remove money; correct it in v2 first", o.ID, value)
		case value < 0 && !o.Completed:
			anomaly("v2 operation %d has the value %d and was not completed: not imported", o.ID, value)
			p.sum.Skipped++
			continue
		case from == 0 && !o.Completed:
			anomaly("v2 operation %d, an issue of %d to v2 person %d, was not completed: not imported", o.ID, value, to)
			p.sum.Skipped++
			continue
		case value < 0:
			from, to, value = to, from, -value
			anomaly("v2 operation %d has the value %d: imported as %d from v2 person %d to v2 person %d", o.ID, o.Value, value, from, to)
		}
		op := &impOp{value: value, legacy: o.ID, created: now, reason: fmt.Sprintf("v2 operation %d", o.ID), status: coinop.StatusCompleted}
		if !o.Date.IsZero() {
			op.created = ms(o.Date)
		}
		if from != 0 {
			op.from = legacy[from].id
		}
		op.to = legacy[to].id
		if o.Product != 0 {
			if pr := products[o.Product]; pr != nil {
				op.product = pr.id
			} else {
				anomaly("v2 operation %d names product %d, which v2 lacks: imported without a product", o.ID, o.Product)
			}
		}
		switch {
		case op.from == 0:
			op.kind, op.product = coinop.OpIssue, 0
		case op.from == coinop.BankID:
			op.kind = coinop.OpCredit
		case op.to == coinop.BankID:
			op.kind = coinop.OpDebit
		default:
			op.kind = coinop.OpTransfer
		}

		if op.from == op.to {
			op.status = coinop.StatusVoided
			anomaly("v2 operation %d moves %d from %s to itself: imported as voided", o.ID, value, name(op.to))
			p.sum.Voided++
			p.ops = append(p.ops, op)
			continue
		}
		if !o.Completed {
			if op.kind == coinop.OpDebit {
				pending = append(pending, op) // held or voided below
			} else {
				op.status = coinop.StatusVoided
				anomaly("v2 operation %d, a %s of %d from %s to %s on %s, was not completed: imported as voided, nothing moved",
					o.ID, op.kind, value, name(op.from), name(op.to), o.Date.UTC().Format("2006-01-02 15:04"))
				p.sum.Voided++
			}
			p.ops = append(p.ops, op)
			continue
		}
		p.sum.Completed++
		if op.kind == coinop.OpIssue {
			switch {
			case op.to == coinop.BankID && !merged:
				// v2's initial issue is coinop's own initial issue.
				merged = true
				p.sum.MergedIssue = o.ID
				if value < issued {
					return nil, coinop.Errorf(coinop.EINVALID, "v2's first issue to the bank (operation %d) is %d, less than the %d this store issued at its start: "+
						"the totals could not agree", o.ID, value, issued)
				}
				p.bank.balance += value - issued
				if value > issued {
					op.value = value - issued
					op.reason = fmt.Sprintf("v2 operation %d: the initial issue beyond the %d issued at the store's start", o.ID, issued)
					p.ops = append(p.ops, op)
				}
				continue
			case op.to != coinop.BankID:
				// coinop issues to the bank only: an issue, then a credit.
				anomaly("v2 operation %d issued %d straight to %s: imported as an issue to the bank and a credit", o.ID, value, name(op.to))
				credit := *op
				credit.kind, credit.from = coinop.OpCredit, coinop.BankID
				op.to = coinop.BankID
				p.ops = append(p.ops, op, &credit)
				p.byID[credit.to].balance += value
				continue
			}
		}
		if op.from != 0 {
			p.byID[op.from].balance -= value
		}
		p.byID[op.to].balance += value
		p.ops = append(p.ops, op)
	}
	if !merged {
		return nil, coinop.Errorf(coinop.EINVALID, "v2 has no completed issue to its central bank (v2 person %d): the %d this store issued at its start would have no counterpart", bankID, issued)
	}

	// Negative balances: the bank covers them, with a recorded credit.
	for _, ip := range p.people {
		if ip.balance >= 0 {
			continue
		}
		cover := -ip.balance
		anomaly("%s has a negative balance of %d in v2: the bank credits %d, so the account starts at 0", name(ip.id), ip.balance, cover)
		p.ops = append(p.ops, &impOp{kind: coinop.OpCredit, from: coinop.BankID, to: ip.id, value: cover, status: coinop.StatusCompleted,
			reason: fmt.Sprintf("import: covers the negative v2 balance of %d", ip.balance), created: now})
		ip.balance = 0
		p.bank.balance -= cover
		p.sum.Covered += cover
	}
	// Unfinished debits: held for an operator where the balance allows.
	for _, op := range pending {
		payer := p.byID[op.from]
		when := fromMS(op.created).UTC().Format("2006-01-02 15:04")
		if payer.balance >= op.value {
			op.status = coinop.StatusUnknown
			payer.balance -= op.value
			payer.held += op.value
			p.sum.Unknown++
			p.sum.Held += op.value
			anomaly("v2 operation %d, a debit of %d by %s on %s, was not completed: imported as unknown with %d held; an operator settles it (complete or refund)",
				op.legacy, op.value, name(op.from), when, op.value)
		} else {
			op.status = coinop.StatusVoided
			p.sum.Voided++
			anomaly("v2 operation %d, a debit of %d by %s on %s, was not completed and the balance (%d) cannot hold it: imported as voided",
				op.legacy, op.value, name(op.from), when, payer.balance)
		}
	}
	for _, ip := range p.people {
		if ip.placeholder {
			anomaly("v2 operations refer to person %d, whom v2's people lack: imported as the placeholder account %d (%s) with balance %d",
				ip.legacy, ip.id, ip.name, ip.balance)
		}
	}
	if issued+p.bank.balance < 0 {
		return nil, coinop.Errorf(coinop.EINVALID, "the bank would end with %d (after covering %d of negative balances): v2 paid out more than it issued", issued+p.bank.balance, p.sum.Covered)
	}

	// The money: what v2 issued is what coinop has issued, and it is all
	// in balances and holds.
	p.sum.MoneyAfter = issued
	for _, op := range p.ops {
		if op.kind == coinop.OpIssue && op.status == coinop.StatusCompleted {
			p.sum.MoneyAfter += op.value
		}
	}
	total := issued + p.bank.balance + p.bank.held
	for _, ip := range p.people {
		total += ip.balance + ip.held
	}
	if total != p.sum.MoneyAfter || p.sum.MoneyBefore != p.sum.MoneyAfter {
		return nil, fmt.Errorf("import: the plan does not balance: v2 issued %d, coinop would have issued %d and hold %d", p.sum.MoneyBefore, p.sum.MoneyAfter, total)
	}
	if p.sum.Anomalies == nil {
		p.sum.Anomalies = []string{}
	}
	return p, nil
}

// findBank is the v2 person that becomes account 1: the one named Banco
// Central, else the operator that received the first completed issue
// (else whoever received it).
func findBank(d *coinop.ImportData, people map[int64]*coinop.ImportPerson) (int64, error) {
	var named []int64
	for id, v := range people {
		if strings.EqualFold(strings.TrimSpace(v.Name), bankName) {
			named = append(named, id)
		}
	}
	if len(named) > 0 {
		return slices.Min(named), nil
	}
	first := int64(0)
	for _, o := range sortedBy(d.Operations, func(v coinop.ImportOperation) int64 { return v.ID }) {
		if o.From != 0 || !o.Completed || o.Value <= 0 || people[o.To] == nil {
			continue
		}
		if people[o.To].Operator {
			return o.To, nil
		}
		if first == 0 {
			first = o.To
		}
	}
	if first != 0 {
		return first, nil
	}
	return 0, coinop.Errorf(coinop.EINVALID, "cannot tell which v2 person is the central bank: nobody is named %q and nobody received an issue", bankName)
}

// productType maps a v2 type name to coinop's (foods when unknown).
func productType(name string) (coinop.ProductType, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "games", "game", "jogos", "jogo":
		return coinop.TypeGames, true
	case "foods", "food", "comidas", "comida", "alimentos", "alimento":
		return coinop.TypeFoods, true
	case "arcade", "arcades", "fliperama", "fliperamas":
		return coinop.TypeArcade, true
	}
	return coinop.TypeFoods, false
}

// sortedBy returns a copy of s ordered by key.
func sortedBy[T any](s []T, key func(T) int64) []T {
	out := slices.Clone(s)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// writeImport writes a plan, records the import and checks the invariants.
func (s *Store) writeImport(ctx context.Context, tx *sql.Tx, p *importPlan, now int64, sequences bool) error {
	if _, err := s.exec(ctx, tx, `UPDATE people SET legacy_id = $1, balance = balance + $2, held = held + $3 WHERE id = 1`,
		p.bank.legacy, p.bank.balance, p.bank.held); err != nil {
		return err
	}
	for _, ip := range p.people {
		if _, err := s.exec(ctx, tx, `INSERT INTO people (id, name, email, operator, balance, held, created_at, legacy_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			ip.id, ip.name, ip.email, ip.operator, ip.balance, ip.held, now, ip.legacy); err != nil {
			return fmt.Errorf("import v2 person %d: %w", ip.legacy, err)
		}
	}
	for _, pr := range p.products {
		if _, err := s.exec(ctx, tx, `INSERT INTO products (id, name, description, type, image, url, price, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			pr.id, pr.name, pr.description, pr.typ, pr.image, pr.url, pr.price, now); err != nil {
			return fmt.Errorf("import v2 product %d: %w", pr.id, err)
		}
	}
	for _, m := range p.machines {
		if _, err := s.exec(ctx, tx, `INSERT INTO machines (id, name, kind, description, location, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			m.id, m.name, m.kind, m.description, m.location, now); err != nil {
			return fmt.Errorf("import v2 machine %d: %w", m.id, err)
		}
	}
	for _, st := range p.stock {
		if _, err := s.exec(ctx, tx, `INSERT INTO stock (machine_id, slot, product_id, quantity) VALUES ($1, $2, $3, $4)`,
			st.MachineID, st.Slot, st.ProductID, st.Quantity); err != nil {
			return err
		}
	}
	for _, op := range p.ops {
		var settled sql.NullInt64
		if op.status == coinop.StatusCompleted || op.status == coinop.StatusVoided {
			settled = sql.NullInt64{Int64: op.created, Valid: true}
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO operations (kind, from_id, to_id, product_id, value, status, reason, created_at, settled_at, legacy_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			op.kind, nullInt(op.from), op.to, nullInt(op.product), op.value, op.status, op.reason, op.created, settled, nullInt(op.legacy)); err != nil {
			return fmt.Errorf("import v2 operation %d: %w", op.legacy, err)
		}
	}
	if sequences {
		for _, table := range []string{"people", "products", "machines"} {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT GREATEST(MAX(id), 1) FROM `+table+`))`); err != nil {
				return err
			}
		}
	}
	summary, err := json.Marshal(&p.sum)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO imports (kind, source, imported_at, summary) VALUES ($1, $2, $3, $4)`,
		importKind, p.sum.Source, now, string(summary)); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, 0, "import_v2", map[string]any{"source": p.sum.Source, "people": p.sum.People, "operations": p.sum.Operations,
		"money": p.sum.MoneyAfter, "anomalies": len(p.sum.Anomalies)}); err != nil {
		return err
	}

	// Before committing: the money adds up and every account matches its
	// history, as CheckInvariants will see it.
	var balances, held, minimum, issued int64
	if err := s.row(ctx, tx, `SELECT COALESCE(SUM(balance), 0), COALESCE(SUM(held), 0), COALESCE(MIN(balance), 0),
		(SELECT COALESCE(SUM(value), 0) FROM operations WHERE kind = 'issue' AND status = 'completed') FROM people`).
		Scan(&balances, &held, &minimum, &issued); err != nil {
		return err
	}
	if balances+held != issued || issued != p.sum.MoneyAfter || minimum < 0 {
		return fmt.Errorf("import: balances %d + held %d against %d issued (%d planned): not committed", balances, held, issued, p.sum.MoneyAfter)
	}
	return s.checkHistory(ctx, readTx{tx})
}
