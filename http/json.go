package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/coinop/coinop"
)

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = 64 << 10

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeJSON reads one JSON value of at most MaxBody bytes into v. Unknown
// fields are allowed (older clients send extra ones); trailing data is not.
// Errors are EINVALID with message invalidMsg, or ETOOLARGE.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, invalidMsg string) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return coinop.Errorf(coinop.ETOOLARGE, "request body larger than %d bytes", MaxBody)
	} else if err != nil {
		return coinop.Errorf(coinop.EINVALID, "%s", invalidMsg)
	}
	dec := json.NewDecoder(bytesReader(body))
	if err := dec.Decode(v); err != nil {
		return coinop.Errorf(coinop.EINVALID, "%s", invalidMsg)
	}
	if _, err := dec.Token(); err != io.EOF {
		return coinop.Errorf(coinop.EINVALID, "%s", invalidMsg)
	}
	return nil
}
