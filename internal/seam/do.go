package seam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"time"
)

// maxResponseBytes bounds a response body; list_users returns whole groups.
const maxResponseBytes = 256 << 20

// requestIDHeader is the header Seam puts its request id in.
const requestIDHeader = "Seam-Request-Id"

// attemptResult is what one HTTP exchange produced.
type attemptResult struct {
	status    int
	header    http.Header
	body      []byte
	requestID string
	err       error // transport failure (no status, or body cut short)
	timedOut  bool  // the attempt's own timeout fired
	// decoded says a 2xx answer was decoded as it streamed in (out is a
	// streamer); decodeErr is its decoding failure, which is no transport
	// failure and is not retried.
	decoded   bool
	decodeErr error
}

// streamer is an out that decodes a successful answer from the stream
// itself (a group's members: megabytes that need not be held whole). It
// must reset what it decoded before, since a retry decodes again.
type streamer interface{ decodeFrom(io.Reader) error }

// readErrs remembers the first read error of a response body, so that a
// body cut short (a transport failure, retried) is told from a body that is
// not what was expected (a decoding failure, not retried).
type readErrs struct {
	r   io.Reader
	err error
}

func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// Timing says where a call's time went; pass one per call with
// [WithTiming].
type Timing struct {
	// Sending is the attempts' own time: from each request leaving the
	// pacer until its response was read.
	Sending time.Duration
	// Queued is the time spent waiting: for the pacer (the rate, a shared
	// pause, the requests ahead) and between attempts (backoff,
	// Retry-After).
	Queued time.Duration
}

type timingKey struct{}

type stopKey struct{}

// WithTiming returns a context under which a call records into t where its
// time went, before it returns. Use one Timing per call: calls do not add
// to it concurrently.
func WithTiming(ctx context.Context, t *Timing) context.Context {
	return context.WithValue(ctx, timingKey{}, t)
}

// WithStop returns a context under which a call is not sent once stop is
// closed: a call still waiting in the client (for the rate, a pause, a
// backoff or a Retry-After) returns at once an *APIError wrapping
// [ErrNotSent]. A request already on the wire is not interrupted; ctx
// bounds it, as always. This is how a run stops scheduling without
// cancelling what is in flight.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// do sends one API call with pacing and retries and decodes a 2xx JSON body
// into out (when out is not nil). Every return carries Meta; every failure
// after the request was built is an *APIError.
//
// Retries: 408, 429, 5xx except 501, timeouts and connection failures, up to
// MaxAttempts. POST is not idempotent (create): it is retried only when the
// request provably did not reach the server, i.e. a 429 (refused by the rate
// limiter) or a failure to connect; a 5xx or a connection dropped after
// sending may have created the user, so it is returned to the caller.
//
// A retry waits, on its own, its Retry-After or its backoff; the pacer
// decides whether the response also holds everyone else (see pacer.go).
func (c *Client) do(ctx context.Context, method, route string, query url.Values, body, out any) (Meta, error) {
	start := time.Now()
	var meta Meta
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return meta, fmt.Errorf("seam: %s %s: encode request: %w", method, route, err)
		}
		payload = b
	}
	target := c.endpoint + route
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	var timing Timing
	if t, ok := ctx.Value(timingKey{}).(*Timing); ok && t != nil {
		defer func() { *t = timing }()
	}
	finish := func(e *APIError) (Meta, error) {
		meta.Duration = time.Since(start)
		e.Method, e.Route, e.Meta = method, route, meta
		return meta, e
	}
	// withCause adds a later cause (the context ending) to an earlier failure.
	withCause := func(e *APIError, err error) *APIError {
		if e.Err == nil {
			e.Err = err
		} else {
			e.Err = fmt.Errorf("%w, then %w", e.Err, err)
		}
		return e
	}

	var last *APIError // the previous attempt's failure, if any
	var notBefore time.Time
	for attempt := 1; ; attempt++ {
		tk, waited, err := c.pacer.wait(ctx, stop, notBefore)
		timing.Queued += waited
		if err != nil {
			if errors.Is(err, errStopped) {
				err = ErrNotSent
				if last != nil {
					err = fmt.Errorf("retry %w", ErrNotSent)
				}
			}
			if last == nil {
				last = &APIError{}
			}
			return finish(withCause(last, err))
		}
		sent := time.Now()
		res := c.attempt(ctx, method, target, payload, out)
		timing.Sending += time.Since(sent)
		c.pacer.requests.Add(1)
		meta.Attempts = attempt
		meta.Status = res.status
		if res.requestID != "" {
			meta.RequestID = res.requestID
		}

		var retryAfter time.Duration
		hasRetryAfter := false
		if res.err == nil && retryableStatus(res.status) {
			if ra, ok := parseRetryAfter(res.header.Get("Retry-After"), time.Now()); ok {
				retryAfter, hasRetryAfter = min(ra, c.maxRetryAfter), true
			}
		}
		if res.status != 0 {
			o := c.pacer.observe(tk, res.status, retryAfter, hasRetryAfter)
			c.logPacing(ctx, o)
		}

		if res.err == nil && res.status >= 200 && res.status <= 299 {
			c.logAttempt(ctx, method, route, attempt, res, 0, "")
			if res.decodeErr != nil {
				return finish(&APIError{Err: fmt.Errorf("decode response: %w", res.decodeErr)})
			}
			if out != nil && !res.decoded && len(bytes.TrimSpace(res.body)) > 0 {
				if err := json.Unmarshal(res.body, out); err != nil {
					return finish(&APIError{Err: fmt.Errorf("decode response: %w", err)})
				}
			}
			meta.Duration = time.Since(start)
			return meta, nil
		}

		e := &APIError{}
		var retryable, provablyNotSent bool
		switch {
		case res.err != nil && ctx.Err() != nil:
			// The caller gave up during the attempt; the transport error
			// only says so.
			c.logAttempt(ctx, method, route, attempt, res, 0, ctx.Err().Error())
			return finish(withCause(e, ctx.Err()))
		case res.err != nil:
			e.Err = fmt.Errorf("no response: %w", res.err)
			if res.timedOut {
				e.Err = fmt.Errorf("attempt timed out after %s: %w", c.attemptTimeout, res.err)
			}
			retryable = res.timedOut || retryableTransport(res.err)
			provablyNotSent = res.status == 0 && notSent(res.err)
		default:
			e.fillFromBody(res.body)
			e.Message = redact(e.Message, c.token)
			e.Body = redact(e.Body, c.token)
			retryable = retryableStatus(res.status)
			provablyNotSent = res.status == http.StatusTooManyRequests
		}
		e.Retryable = retryable

		retry := retryable && attempt < c.maxAttempts && (method != http.MethodPost || provablyNotSent)
		if retry && res.status != http.StatusTooManyRequests && !c.pacer.takeRetry() {
			retry = false
			e = withCause(e, ErrRetryBudgetExhausted)
		}
		if !retry {
			c.logAttempt(ctx, method, route, attempt, res, 0, errText(e))
			return finish(e)
		}
		wait := retryAfter
		if !hasRetryAfter {
			wait = c.backoff(attempt)
		}
		c.logAttempt(ctx, method, route, attempt, res, wait, errText(e))
		c.pacer.retries.Add(1)
		last = e
		notBefore = c.pacer.clk.Now().Add(wait)
	}
}

// attempt performs one HTTP exchange under its own timeout. The pacer wait
// happens before, on the caller's context. A 2xx answer for an out that is
// a streamer is decoded as it is read; any other is read whole.
func (c *Client) attempt(ctx context.Context, method, target string, payload []byte, out any) attemptResult {
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, target, body)
	if err != nil {
		return attemptResult{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.workspaceID != "" {
		req.Header.Set("Seam-Workspace", c.workspaceID)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	timedOut := func(err error) bool {
		if ctx.Err() != nil {
			return false
		}
		var ne net.Error
		return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the repeated method and URL
		}
		return attemptResult{err: err, timedOut: timedOut(err)}
	}
	defer resp.Body.Close()
	res := attemptResult{
		status:    resp.StatusCode,
		header:    resp.Header,
		requestID: resp.Header.Get(requestIDHeader),
	}
	if st, ok := out.(streamer); ok && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		body := &readErrs{r: io.LimitReader(resp.Body, maxResponseBytes)}
		derr := st.decodeFrom(body)
		if body.err == nil {
			_, _ = io.Copy(io.Discard, body) // what follows the value, for the connection's reuse
		}
		switch {
		case body.err != nil:
			res.err = fmt.Errorf("read %d response: %w", resp.StatusCode, body.err)
			res.timedOut = timedOut(body.err)
		case derr != nil:
			res.decoded, res.decodeErr = true, derr
		default:
			res.decoded = true
		}
		return res
	}
	res.body, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		res.err = fmt.Errorf("read %d response: %w", resp.StatusCode, err)
		res.timedOut = timedOut(err)
	}
	return res
}

// backoff is the full-jitter exponential backoff before retry number n
// (n = 1 after the first attempt): random in [0, min(max, base*2^(n-1))).
func (c *Client) backoff(n int) time.Duration {
	ceiling := c.baseBackoff
	for i := 1; i < n && ceiling < c.maxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.maxBackoff)
	return time.Duration(c.rand() * float64(ceiling))
}

// logAttempt writes the one debug line per attempt. It never logs headers.
func (c *Client) logAttempt(ctx context.Context, method, route string, attempt int, res attemptResult, wait time.Duration, errText string) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", res.status),
		slog.String("request_id", res.requestID),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait),
	}
	if errText != "" {
		attrs = append(attrs, slog.String("error", errText))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "seam request", attrs...)
}

// logPacing writes a debug line when a response changed the pacing: a new
// estimate of the limit, or a pause of every request.
func (c *Client) logPacing(ctx context.Context, o outcome) {
	if (!o.adjusted && !o.pauseAll) || c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "seam pacing",
		slog.Float64("limit_estimate", math.Round(o.estimate*100)/100),
		slog.Float64("rate", math.Round(o.rate*100)/100),
		slog.Bool("pause_all", o.pauseAll))
}

// errText is the short description of a failed attempt for the log line.
func errText(e *APIError) string {
	switch {
	case e.Type != "":
		return e.Type
	case e.Err != nil:
		return e.Err.Error()
	}
	return ""
}
