package seam

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Meta describes how a call went: how many attempts it took, the Seam
// request id and HTTP status of the last attempt, and the call's total time
// (waits included). It is filled on success and on error.
type Meta struct {
	Attempts  int
	RequestID string
	Status    int
	Duration  time.Duration
}

// ErrRetryBudgetExhausted is wrapped by an *APIError whose failure was
// retryable but not retried because the client's run-wide retry budget was
// empty.
var ErrRetryBudgetExhausted = errors.New("retry budget exhausted")

// APIError is the error of every call that reached the retry loop: an HTTP
// error response, a connection failure or timeout, an undecodable response,
// or a context that ended while waiting. Meta says how many attempts were
// made and the last request id.
type APIError struct {
	// Method and Route name the call, e.g. "PUT" and "/acs/access_groups/add_user".
	Method string
	Route  string
	Meta
	// Type and Message are Seam's error type and message, when the body was
	// Seam's JSON error; otherwise Type is empty and Message is the status
	// text.
	Type    string
	Message string
	// ValidationErrors is Seam's validation_errors object, if any.
	ValidationErrors json.RawMessage
	// Data is Seam's error.data, if any: details some errors carry beside
	// the message (its shape depends on the error type).
	Data json.RawMessage
	// Body is the start of a response body that was not Seam's JSON error.
	Body string
	// Retryable reports whether the failure was transient (429, 5xx other
	// than 501, a timeout, a connection failure): a later try may succeed.
	Retryable bool
	// Err is the underlying cause when there is one: a transport error, a
	// decoding error, the context's error, or ErrRetryBudgetExhausted.
	Err error
}

// Error reads like
// "seam: PUT /acs/access_groups/add_user: 429 rate_limited: slow down (request req_12, 5 attempts)",
// with "; data {...}" after the message when Seam sent error.data (compact,
// cut to 200 bytes).
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seam: %s %s: ", e.Method, e.Route)
	what := ""
	if e.Status != 0 {
		what = strconv.Itoa(e.Status)
		switch {
		case e.Type != "":
			what += " " + e.Type
			if e.Message != "" {
				what += ": " + e.Message
			}
			if d := e.DataText(); d != "" {
				what += "; data " + d
			}
		default:
			what += " " + strings.ToLower(http.StatusText(e.Status))
			switch {
			case e.Body != "":
				what += fmt.Sprintf(": body %q", e.Body)
			case e.Status >= 300:
				what += ": empty body"
			}
		}
	}
	b.WriteString(what)
	var paren []string
	if e.RequestID != "" {
		paren = append(paren, "request "+e.RequestID)
	}
	switch e.Attempts {
	case 0:
	case 1:
		paren = append(paren, "1 attempt")
	default:
		paren = append(paren, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if e.Err != nil {
		if what != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if len(paren) > 0 {
		b.WriteString(" (" + strings.Join(paren, ", ") + ")")
	}
	return b.String()
}

// DataText returns Data as compact JSON text cut to a readable length
// (200 bytes, then "..."), or "" when there is none. Reports use it beside
// the message.
func (e *APIError) DataText() string {
	d := bytes.TrimSpace(e.Data)
	if len(d) == 0 || string(d) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, d) == nil {
		d = b.Bytes()
	}
	return snippet(d)
}

// Unwrap returns the underlying cause, so errors.Is(err, context.Canceled)
// and errors.Is(err, ErrRetryBudgetExhausted) work.
func (e *APIError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is an *APIError with HTTP status 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// retryableStatus reports whether a response status is worth retrying.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented:
		return false
	}
	return status >= 500 && status <= 599
}

// retryableTransport reports whether a transport error may go away: anything
// but a certificate or TLS verification failure.
func retryableTransport(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &verify):
		return false
	}
	return true
}

// notSent reports whether a transport error proves the request never reached
// the server (it failed while connecting), so even a POST may be retried.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP date,
// relative to now. A date in the past means zero. ok is false when the value
// is absent or unreadable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		// Cap before multiplying so a huge value cannot overflow.
		const maxSeconds = uint64(1<<63-1) / uint64(time.Second)
		return time.Duration(min(n, maxSeconds)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// seamErrorBody is Seam's JSON error envelope.
type seamErrorBody struct {
	Error *struct {
		Type             string          `json:"type"`
		Message          string          `json:"message"`
		ValidationErrors json.RawMessage `json:"validation_errors"`
		Data             json.RawMessage `json:"data"`
	} `json:"error"`
}

// maxBodySnippet is how much of a non-JSON error body an APIError keeps.
const maxBodySnippet = 200

// fillFromBody sets Type, Message, ValidationErrors and Data from Seam's
// JSON error, or Body from the first bytes of anything else.
func (e *APIError) fillFromBody(body []byte) {
	var eb seamErrorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil && (eb.Error.Type != "" || eb.Error.Message != "") {
		e.Type = eb.Error.Type
		e.Message = eb.Error.Message
		if len(eb.Error.ValidationErrors) > 0 && string(eb.Error.ValidationErrors) != "null" {
			e.ValidationErrors = eb.Error.ValidationErrors
		}
		if len(eb.Error.Data) > 0 && string(eb.Error.Data) != "null" {
			e.Data = eb.Error.Data
		}
		return
	}
	e.Body = snippet(body)
}

// snippet returns the start of body as printable text, trimmed.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxBodySnippet {
		cut := maxBodySnippet
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (!unicode.IsPrint(r) && r != ' ') {
			return '?'
		}
		return r
	}, s)
}

// redact removes a secret from a server-provided string, in case a server
// echoes the credentials back in an error.
func redact(s, secret string) string {
	if secret == "" || s == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, redacted)
}
