package http

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/coinop/coinop"
)

// codes maps every application error code to its HTTP status: the one place
// where that mapping lives.
var codes = map[string]int{
	coinop.EINVALID:      http.StatusBadRequest,
	coinop.EFUNDS:        http.StatusPaymentRequired,
	coinop.EVALUE:        http.StatusPaymentRequired,
	coinop.EBANKFUNDS:    http.StatusConflict,
	coinop.EIDEMPOTENCY:  http.StatusUnprocessableEntity,
	coinop.EUNAUTHORIZED: http.StatusUnauthorized,
	coinop.EFORBIDDEN:    http.StatusForbidden,
	coinop.ENOTFOUND:     http.StatusNotFound,
	coinop.EMETHOD:       http.StatusMethodNotAllowed,
	coinop.ECONFLICT:     http.StatusConflict,
	coinop.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	coinop.ERATELIMIT:    http.StatusTooManyRequests,
	coinop.EINTERNAL:     http.StatusInternalServerError,
	coinop.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// StatusOf returns the HTTP status for an application error code.
func StatusOf(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the one JSON shape of every error coinop answers.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeError answers err as JSON. Internal errors are logged with the
// request and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := coinop.ErrorCode(err), coinop.ErrorMessage(err)
	if code == coinop.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var e *coinop.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeJSON(w, StatusOf(code), errorBody{Error: code, Message: msg})
}
