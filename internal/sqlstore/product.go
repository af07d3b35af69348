package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/coinop/coinop"
)

const productSelect = `SELECT p.id, p.name, p.description, p.type, p.image, p.url, p.price, p.client_ids, p.payout_limit,
	COALESCE((SELECT SUM(quantity) FROM stock s WHERE s.product_id = p.id), 0) FROM products p`

func scanProduct(sc interface{ Scan(...any) error }) (*coinop.Product, error) {
	var p coinop.Product
	var clients string
	err := sc.Scan(&p.ID, &p.Name, &p.Description, &p.Type, &p.Image, &p.URL, &p.Price, &clients, &p.PayoutLimit, &p.Stock)
	p.ClientIDs = strings.Fields(clients)
	return &p, err
}

func validateProduct(p *coinop.Product) error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return coinop.Errorf(coinop.EINVALID, "name required")
	case !p.Type.Valid():
		return coinop.Errorf(coinop.EINVALID, "type must be games, foods or arcade")
	case p.Price < 0 || p.PayoutLimit < 0:
		return coinop.Errorf(coinop.EINVALID, "price and payout limit must not be negative")
	}
	for _, c := range p.ClientIDs {
		if c == "" || strings.ContainsAny(c, " \t\n") {
			return coinop.Errorf(coinop.EINVALID, "client ids must be non-empty and without spaces")
		}
	}
	return nil
}

// CreateProduct implements coinop.ProductService.
func (s *Store) CreateProduct(ctx context.Context, actorID int64, p *coinop.Product) error {
	if err := validateProduct(p); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := s.row(ctx, tx, `INSERT INTO products (name, description, type, image, url, price, client_ids, payout_limit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			p.Name, p.Description, p.Type, p.Image, p.URL, p.Price, strings.Join(p.ClientIDs, " "), p.PayoutLimit, ms(s.Now())).Scan(&p.ID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "create_product", map[string]any{"product": p.ID, "name": p.Name, "type": p.Type, "price": p.Price})
	})
}

// UpdateProduct implements coinop.ProductService.
func (s *Store) UpdateProduct(ctx context.Context, actorID, id int64, u coinop.ProductUpdate) (*coinop.Product, error) {
	var p *coinop.Product
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if p, err = s.product(ctx, tx, id); err != nil {
			return err
		}
		applyUpdate(p, u)
		if err := validateProduct(p); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE products SET name = $1, description = $2, image = $3, url = $4, price = $5,
			client_ids = $6, payout_limit = $7 WHERE id = $8`,
			p.Name, p.Description, p.Image, p.URL, p.Price, strings.Join(p.ClientIDs, " "), p.PayoutLimit, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "update_product", map[string]any{"product": id, "name": p.Name, "price": p.Price,
			"client_ids": p.ClientIDs, "payout_limit": p.PayoutLimit})
	})
	return p, err
}

func applyUpdate(p *coinop.Product, u coinop.ProductUpdate) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Name, u.Name)
	set(&p.Description, u.Description)
	set(&p.Image, u.Image)
	set(&p.URL, u.URL)
	if u.Price != nil {
		p.Price = *u.Price
	}
	if u.PayoutLimit != nil {
		p.PayoutLimit = *u.PayoutLimit
	}
	if u.ClientIDs != nil {
		p.ClientIDs = *u.ClientIDs
	}
}

// Product implements coinop.ProductService.
func (s *Store) Product(ctx context.Context, id int64) (*coinop.Product, error) {
	return s.product(ctx, s.read, id)
}

func (s *Store) product(ctx context.Context, db queryer, id int64) (*coinop.Product, error) {
	p, err := scanProduct(s.row(ctx, db, productSelect+` WHERE p.id = $1`, id))
	if isNoRows(err) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "no product %d", id)
	}
	return p, err
}

// Products implements coinop.ProductService; t "" lists every type.
func (s *Store) Products(ctx context.Context, t coinop.ProductType) ([]*coinop.Product, error) {
	rows, err := s.rows(ctx, s.read, productSelect+` WHERE $1 = '' OR p.type = $1 ORDER BY p.id`, string(t))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*coinop.Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
