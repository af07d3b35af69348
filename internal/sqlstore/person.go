package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/coinop/coinop"
)

const personColumns = `id, COALESCE(issuer, ''), COALESCE(subject, ''), name, given_name, email, operator, created_at`

func scanPerson(sc interface{ Scan(...any) error }) (*coinop.Person, error) {
	var p coinop.Person
	var created int64
	if err := sc.Scan(&p.ID, &p.Issuer, &p.Subject, &p.Name, &p.GivenName, &p.Email, &p.Operator, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMS(created)
	return &p, nil
}

// Login implements coinop.PersonService. A person is found by (issuer,
// subject) only. A new identity whose e-mail the provider verified takes
// over the one imported person (see ImportV2) with that e-mail and no
// identity yet, if there is exactly one, never the bank: that links the
// account once, and from then on only (issuer, subject) counts.
func (s *Store) Login(ctx context.Context, id *coinop.Identity, makeOperator bool) (*coinop.Person, bool, error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, false, coinop.Errorf(coinop.EUNAUTHORIZED, "identity without issuer or subject")
	}
	name := id.Name
	if name == "" {
		name = id.Email
	}
	var p *coinop.Person
	var created bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		created = false
		// Known: refresh name and e-mail.
		var err error
		p, err = s.refreshPerson(ctx, tx, id, name, makeOperator)
		if !isNoRows(err) {
			return err
		}
		if id.EmailVerified && strings.TrimSpace(id.Email) != "" {
			if p, err = s.linkImported(ctx, tx, id, name, makeOperator); p != nil || err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, tx, `INSERT INTO people (issuer, subject, name, given_name, email, operator, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer, subject) DO NOTHING`,
			id.Issuer, id.Subject, name, id.GivenName, id.Email, makeOperator, ms(s.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			p, err = scanPerson(s.row(ctx, tx, `SELECT `+personColumns+` FROM people WHERE issuer = $1 AND subject = $2`, id.Issuer, id.Subject))
			return err
		}
		// Created meanwhile by a concurrent login of the same identity.
		p, err = s.refreshPerson(ctx, tx, id, name, makeOperator)
		return err
	})
	return p, created, err
}

// refreshPerson updates the person of id's (issuer, subject) and returns it,
// or sql.ErrNoRows.
func (s *Store) refreshPerson(ctx context.Context, tx *sql.Tx, id *coinop.Identity, name string, makeOperator bool) (*coinop.Person, error) {
	return scanPerson(s.row(ctx, tx, `UPDATE people SET name = $1, given_name = $2, email = $3, operator = (operator OR $4)
		WHERE issuer = $5 AND subject = $6 RETURNING `+personColumns, name, id.GivenName, id.Email, makeOperator, id.Issuer, id.Subject))
}

// linkImported gives id's (issuer, subject) to the one imported person
// without an identity whose e-mail is id's, and returns it; nil if there
// is none or more than one.
func (s *Store) linkImported(ctx context.Context, tx *sql.Tx, id *coinop.Identity, name string, makeOperator bool) (*coinop.Person, error) {
	rows, err := s.rows(ctx, tx, `SELECT id FROM people
		WHERE issuer IS NULL AND legacy_id IS NOT NULL AND lower(email) = lower($1) AND id <> 1 LIMIT 2`, strings.TrimSpace(id.Email))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, pid)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) != 1 {
		return nil, err
	}
	// The condition again: a concurrent login may have linked it first.
	p, err := scanPerson(s.row(ctx, tx, `UPDATE people SET issuer = $1, subject = $2, name = $3, given_name = $4, email = $5, operator = (operator OR $6)
		WHERE id = $7 AND issuer IS NULL AND subject IS NULL RETURNING `+personColumns,
		id.Issuer, id.Subject, name, id.GivenName, id.Email, makeOperator, ids[0]))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// PersonByIdentity implements coinop.PersonService.
func (s *Store) PersonByIdentity(ctx context.Context, issuer, subject string) (*coinop.Person, error) {
	p, err := scanPerson(s.row(ctx, s.read, `SELECT `+personColumns+` FROM people WHERE issuer = $1 AND subject = $2`, issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "unknown person")
	}
	return p, err
}

// Person implements coinop.PersonService.
func (s *Store) Person(ctx context.Context, id int64) (*coinop.Person, error) {
	p, err := scanPerson(s.row(ctx, s.read, `SELECT `+personColumns+` FROM people WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "no person with id %d", id)
	}
	return p, err
}

// SearchPeople implements coinop.PersonService.
func (s *Store) SearchPeople(ctx context.Context, q string, limit int) ([]*coinop.Person, error) {
	pattern := "%" + strings.ToLower(q) + "%"
	rows, err := s.rows(ctx, s.read, `SELECT `+personColumns+` FROM people
		WHERE lower(name) LIKE $1 OR lower(email) LIKE $1 ORDER BY id LIMIT $2`, pattern, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*coinop.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GrantOperator implements coinop.PersonService.
func (s *Store) GrantOperator(ctx context.Context, actorID int64, email string, id int64) (*coinop.Person, error) {
	var p *coinop.Person
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if email != "" {
			p, err = scanPerson(s.row(ctx, tx, `SELECT `+personColumns+` FROM people WHERE lower(email) = lower($1) AND id <> 1 ORDER BY id LIMIT 1`, email))
		} else {
			p, err = scanPerson(s.row(ctx, tx, `SELECT `+personColumns+` FROM people WHERE id = $1 AND id <> 1`, id))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return coinop.Errorf(coinop.ENOTFOUND, "no such person")
		} else if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE people SET operator = $1 WHERE id = $2`, true, p.ID); err != nil {
			return err
		}
		p.Operator = true
		return s.audit(ctx, tx, actorID, "grant_operator", map[string]any{"person": p.ID})
	})
	return p, err
}
