package coinop

import (
	"errors"
	"fmt"
	"time"
)

// Application error codes. Each is a stable string that clients may rely on;
// the HTTP adapter maps every code to a status in exactly one table.
const (
	EINVALID      = "invalid"                // malformed or invalid input (400)
	EFUNDS        = "insufficient_funds"     // the payer's available balance is too low (402)
	EVALUE        = "invalid_value"          // a value that is not a natural number (402 on /credit, as the document says)
	EBANKFUNDS    = "bank_funds"             // the bank cannot pay this credit (409)
	EIDEMPOTENCY  = "idempotency_key_reused" // the Idempotency-Key was used with another body (422)
	EUNAUTHORIZED = "unauthorized"           // missing or bad credentials (401)
	EFORBIDDEN    = "forbidden"              // authenticated but not allowed (403)
	ENOTFOUND     = "not_found"              // no such resource (404)
	EMETHOD       = "method_not_allowed"     // wrong HTTP method (405)
	ECONFLICT     = "conflict"               // state does not allow it (409)
	ETOOLARGE     = "too_large"              // request body too large (413)
	ERATELIMIT    = "rate_limited"           // too many requests (429)
	EINTERNAL     = "internal"               // unexpected failure (500)
	EUNAVAILABLE  = "unavailable"            // a dependency is down (503)
)

// Error is an application error: a stable code and a message safe to show to
// the client. Any other error is internal and its text is never shown.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when set on an ERATELIMIT error, tells the client when to
	// try again.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("coinop error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any
// other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an application error, or a generic
// text for any other error so that internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
