package http

import (
	"bytes"
	"encoding/json"
	"errors"
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
	_, err := decodeJSONBody(w, r, v, invalidMsg)
	return err
}

// decodeJSONBody is decodeJSON returning the raw body too, valid until the
// handler returns.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, v any, invalidMsg string) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, coinop.Errorf(coinop.ETOOLARGE, "request body larger than %d bytes", MaxBody)
	} else if err != nil {
		return nil, coinop.Errorf(coinop.EINVALID, "%s", invalidMsg)
	}
	// Unmarshal rejects trailing data after the value.
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		return nil, coinop.Errorf(coinop.EINVALID, "%s", invalidMsg)
	}
	return buf.Bytes(), nil
}
