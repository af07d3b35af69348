package coinop

import "context"

// RankEntry is one line of the players' ranking.
type RankEntry struct {
	PersonID int64
	Name     string
	Value    int64
}

// RankingService ranks the players.
type RankingService interface {
	// Ranking returns the top balances and the top earnings from games
	// (credits paid by games), at most limit of each; the bank is not a
	// player.
	Ranking(ctx context.Context, limit int) (balances, earnings []RankEntry, err error)
}
