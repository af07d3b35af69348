package coinop

import (
	"context"
	"time"
)

// BankID is the central bank's person and account: it issues all money and
// pays every credit.
const BankID int64 = 1

// Person is someone with an account: a player, an operator, or the bank.
// A person is known by the identity provider's (issuer, subject), never by
// e-mail; imported people have no identity until their first login.
type Person struct {
	ID        int64
	Issuer    string
	Subject   string
	Name      string
	GivenName string
	Email     string
	Operator  bool
	CreatedAt time.Time
}

// FirstName is what a machine's greeting shows.
func (p *Person) FirstName() string {
	if p.GivenName != "" {
		return p.GivenName
	}
	for i, r := range p.Name {
		if r == ' ' {
			return p.Name[:i]
		}
	}
	return p.Name
}

// PersonService finds and records people.
type PersonService interface {
	// Login records the person of a verified identity, creating them with a
	// zero balance if new (created is then true) and refreshing name and
	// e-mail otherwise. makeOperator grants the operator role.
	Login(ctx context.Context, id *Identity, makeOperator bool) (p *Person, created bool, err error)
	// PersonByIdentity returns the person of (issuer, subject), or ENOTFOUND.
	PersonByIdentity(ctx context.Context, issuer, subject string) (*Person, error)
	// Person returns a person by id, or ENOTFOUND.
	Person(ctx context.Context, id int64) (*Person, error)
	// SearchPeople finds people whose name or e-mail contains q (all if q is
	// empty), at most limit of them, by id.
	SearchPeople(ctx context.Context, q string, limit int) ([]*Person, error)
	// GrantOperator makes the person with this e-mail (or id, if email is
	// empty) an operator.
	GrantOperator(ctx context.Context, actorID int64, email string, id int64) (*Person, error)
}
