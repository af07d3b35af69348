package sqlstore

import (
	"context"

	"github.com/coinop/coinop"
)

// Ranking implements coinop.RankingService.
func (s *Store) Ranking(ctx context.Context, limit int) (balances, earnings []coinop.RankEntry, err error) {
	balances, err = s.rank(ctx, `SELECT id, name, balance + held FROM people WHERE id <> 1 AND balance + held > 0
		ORDER BY balance + held DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, nil, err
	}
	earnings, err = s.rank(ctx, `SELECT p.id, p.name, SUM(o.value) FROM operations o JOIN people p ON p.id = o.to_id
		WHERE o.kind = 'credit' AND o.product_id IS NOT NULL AND o.status = 'completed' AND o.to_id <> 1
		GROUP BY p.id, p.name ORDER BY SUM(o.value) DESC, p.id LIMIT $1`, limit)
	return balances, earnings, err
}

func (s *Store) rank(ctx context.Context, query string, limit int) ([]coinop.RankEntry, error) {
	rows, err := s.rows(ctx, s.read, query, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []coinop.RankEntry{}
	for rows.Next() {
		var e coinop.RankEntry
		if err := rows.Scan(&e.PersonID, &e.Name, &e.Value); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
