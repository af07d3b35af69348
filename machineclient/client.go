// Package machineclient is coinop's reference machine: a client that holds
// the machine WebSocket (GET /api/v2/machine), shows the greeting and code
// of a vending machine, and releases a slot or inserts a coin, by running a
// command (to drive real hardware) or by simulating it. It reconnects with
// backoff. `coinop machine run` runs it; tests and the demo use it.
package machineclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// Client is one machine.
type Client struct {
	URL  string // the server's base URL, http(s)://host:port
	Key  string // the machine's API key
	Kind coinop.MachineKind
	// Release drops the product of a slot; Coin inserts a coin in an
	// arcade. Nil: simulated (a short pause).
	Release func(ctx context.Context, slot int64) error
	Coin    func(ctx context.Context, arcade int64) error
	Display io.Writer // the machine's screen; nil: nothing shown
	// OnEvent, if set, hears what the machine does (for the demo's page).
	OnEvent func(Event)
	Log     *slog.Logger
	// Backoff bounds the wait between reconnections.
	MinBackoff, MaxBackoff time.Duration
}

// Run connects and serves until ctx ends, reconnecting after failures.
func (c *Client) Run(ctx context.Context) error {
	backoff := c.minBackoff()
	for {
		start := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if time.Since(start) > time.Minute {
			backoff = c.minBackoff()
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		c.log().Warn("machine disconnected; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, c.maxBackoff())
	}
}

// Event is something the machine did or showed.
type Event struct {
	Kind      string // connected, disconnected, code, releasing, released, cancelled, coin
	Username  string
	Code      int
	Operation int64
	Slot      int64 // the slot released, or the arcade's number
	Text      string
}

func (c *Client) emit(e Event) {
	if c.OnEvent != nil {
		c.OnEvent(e)
	}
}

type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

func (c *Client) minBackoff() time.Duration {
	if c.MinBackoff > 0 {
		return c.MinBackoff
	}
	return 500 * time.Millisecond
}

func (c *Client) maxBackoff() time.Duration {
	if c.MaxBackoff > 0 {
		return c.MaxBackoff
	}
	return 30 * time.Second
}

func (c *Client) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (c *Client) show(format string, args ...any) {
	if c.Display != nil {
		fmt.Fprintf(c.Display, format+"\n", args...)
	}
}

// session is one connection: hello, then messages until it breaks.
func (c *Client) session(ctx context.Context) error {
	url := "ws" + strings.TrimPrefix(strings.TrimSuffix(c.URL, "/"), "http") + "/api/v2/machine"
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, url, http.Header{"Authorization": {"Bearer " + c.Key}})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return &fatalError{errors.New("the server refused this machine's key")}
		}
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.log().Info("machine connected", "url", url)
	c.emit(Event{Kind: "connected"})
	defer c.emit(Event{Kind: "disconnected"})
	if c.Kind == coinop.KindVending {
		c.show("Olá! Escolha um produto no app.")
		if err := send(conn, "stateUpdate", map[string]any{"state": "idle", "operation": 0}); err != nil {
			return err
		}
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if err := c.handle(ctx, conn, data); err != nil {
			return err
		}
	}
}

// send writes {"name": payload}.
func send(conn *websocket.Conn, name string, payload any) error {
	b, err := json.Marshal(map[string]any{name: payload})
	if err != nil {
		return err
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return conn.WriteMessage(websocket.TextMessage, b)
}
