package sqlstore

// ReadStatements is how many read queries are kept prepared (tests only).
func (s *Store) ReadStatements() int { return int(s.nReads.Load()) }
