//go:build race

package sqlite_test

// The race detector slows SQLite's pure-Go engine some twentyfold: fewer
// steps keep TestSimulation's default run short.
func init() { simStepsDivisor = 10 }
