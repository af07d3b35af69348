// Package coinop holds the domain of the coinop server: the types and
// service interfaces shared by every adapter. It imports no adapter; the
// storage, token, ticker and HTTP packages depend on it, never the reverse.
//
// coinop runs two systems on one platform: a live crypto price ticker
// (API keys exchanged for HMAC-signed tokens, a WebSocket broadcast) and the
// bank of a game fair (wallets, games, a vending machine and arcades).
package coinop

// Version is the program's version, reported by `coinop --version`.
var Version = "0.1.0-dev"
