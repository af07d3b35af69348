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

// Login implements coinop.PersonService.
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
		res, err := s.exec(ctx, tx, `INSERT INTO people (issuer, subject, name, given_name, email, operator, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer, subject) DO NOTHING`,
			id.Issuer, id.Subject, name, id.GivenName, id.Email, makeOperator, ms(s.Now()))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		if !created {
			_, err = s.exec(ctx, tx, `UPDATE people SET name = $1, given_name = $2, email = $3, operator = (operator OR $4)
				WHERE issuer = $5 AND subject = $6`, name, id.GivenName, id.Email, makeOperator, id.Issuer, id.Subject)
			if err != nil {
				return err
			}
		}
		p, err = scanPerson(s.row(ctx, tx, `SELECT `+personColumns+` FROM people WHERE issuer = $1 AND subject = $2`, id.Issuer, id.Subject))
		return err
	})
	return p, created, err
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
