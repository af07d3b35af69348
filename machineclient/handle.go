package machineclient

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
)

type message struct {
	StateMFA *struct {
		Username  string `json:"username"`
		Code      int    `json:"code"`
		Operation int64  `json:"operation"`
	} `json:"stateMFA"`
	StateReleasing *struct {
		Product   int64 `json:"product"`
		Operation int64 `json:"operation"`
	} `json:"stateReleasing"`
	StateCancel *struct {
		Operation int64  `json:"operation"`
		Reason    string `json:"reason"`
	} `json:"stateCancel"`
	CoinInsert *struct {
		Arcade    int64 `json:"arcade"`
		Coins     int   `json:"coins"`
		Operation int64 `json:"operation"`
	} `json:"coinInsert"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handle acts on one message from the server.
func (c *Client) handle(ctx context.Context, conn *websocket.Conn, data []byte) error {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		c.log().Warn("unreadable message", "data", string(data))
		return nil
	}
	switch {
	case m.StateMFA != nil:
		c.show("Olá, %s! Confirme a compra no app com o código %02d.", m.StateMFA.Username, m.StateMFA.Code)
		c.emit(Event{Kind: "code", Username: m.StateMFA.Username, Code: m.StateMFA.Code, Operation: m.StateMFA.Operation})
		return send(conn, "stateUpdate", map[string]any{"state": "mfa", "operation": m.StateMFA.Operation})
	case m.StateReleasing != nil:
		return c.release(ctx, conn, m.StateReleasing.Product, m.StateReleasing.Operation)
	case m.StateCancel != nil:
		c.show("Compra cancelada: %s", m.StateCancel.Reason)
		c.emit(Event{Kind: "cancelled", Operation: m.StateCancel.Operation, Text: m.StateCancel.Reason})
		return send(conn, "stateUpdate", map[string]any{"state": "idle", "operation": 0})
	case m.CoinInsert != nil:
		return c.coin(ctx, conn, m.CoinInsert.Arcade, m.CoinInsert.Operation)
	case m.Error != nil:
		c.log().Warn("the server refused a message", "code", m.Error.Code, "message", m.Error.Message)
	}
	return nil
}

func (c *Client) release(ctx context.Context, conn *websocket.Conn, slot, op int64) error {
	if err := send(conn, "stateUpdate", map[string]any{"state": "releasing", "operation": op}); err != nil {
		return err
	}
	c.show("Liberando o produto da posição %d...", slot)
	c.emit(Event{Kind: "releasing", Operation: op, Slot: slot})
	if err := c.act(ctx, c.Release, slot); err != nil {
		// The product may not have dropped: report nothing, so an operator
		// settles the operation.
		c.log().Error("release failed; leaving the operation to an operator", "slot", slot, "err", err)
		return nil
	}
	c.show("Pronto! Bom apetite.")
	c.emit(Event{Kind: "released", Operation: op, Slot: slot})
	return send(conn, "stateUpdate", map[string]any{"state": "idle", "operation": op})
}

func (c *Client) coin(ctx context.Context, conn *websocket.Conn, arcade, op int64) error {
	if err := c.act(ctx, c.Coin, arcade); err != nil {
		c.log().Error("coin insert failed", "arcade", arcade, "err", err)
		return nil
	}
	c.show("Crédito inserido no fliperama %d.", arcade)
	c.emit(Event{Kind: "coin", Operation: op, Slot: arcade})
	return send(conn, "coinInserted", map[string]any{"arcade": arcade, "operation": op})
}

// act runs fn, or simulates the hardware with a short pause.
func (c *Client) act(ctx context.Context, fn func(context.Context, int64) error, n int64) error {
	if fn != nil {
		return fn(ctx, n)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}
