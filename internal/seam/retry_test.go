package seam

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// failing returns a handler that fails the first `failures` requests with
// fail and then answers {"ok":true}.
func failing(t *testing.T, n *reqCounter, failures int, fail func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if n.next() <= failures {
			fail(w, r)
			return
		}
		writeJSON(w, 200, "req_ok", map[string]any{"ok": true})
	}
}

func statusFail(status int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		writeSeamError(w, status, "req_fail", "some_error", "failed")
	}
}

func TestRetryClassification(t *testing.T) {
	type tc struct {
		name string
		fail func(t *testing.T) func(http.ResponseWriter, *http.Request)
	}
	status := func(s int) func(*testing.T) func(http.ResponseWriter, *http.Request) {
		return func(*testing.T) func(http.ResponseWriter, *http.Request) { return statusFail(s) }
	}
	never := []tc{
		{"400", status(400)}, {"401", status(401)}, {"403", status(403)}, {"404", status(404)},
		{"409", status(409)}, {"422", status(422)}, {"501", status(501)},
	}
	for _, c := range never {
		t.Run("never retried/"+c.name, func(t *testing.T) {
			var n reqCounter
			srv := httptest.NewServer(failing(t, &n, 100, c.fail(t)))
			defer srv.Close()
			cl := newTestClient(t, srv, nil)
			meta, err := cl.AddUserToGroup(context.Background(), "g1", "u1")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if n.get() != 1 || meta.Attempts != 1 || ae.Attempts != 1 {
				t.Errorf("requests = %d, meta.Attempts = %d, APIError.Attempts = %d; want 1, 1, 1", n.get(), meta.Attempts, ae.Attempts)
			}
			if ae.Retryable {
				t.Error("APIError.Retryable = true")
			}
			if got := cl.Stats(); got.Requests != 1 || got.Retries != 0 {
				t.Errorf("stats = %+v, want 1 request, 0 retries", got)
			}
		})
	}
	retried := []tc{
		{"408", status(408)}, {"429", status(429)}, {"500", status(500)}, {"502", status(502)},
		{"503", status(503)}, {"504", status(504)},
		{"dropped connection", func(t *testing.T) func(http.ResponseWriter, *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) { dropConnection(t, w) }
		}},
		{"attempt timeout", func(t *testing.T) func(http.ResponseWriter, *http.Request) {
			// Hang until the client's per-attempt timeout gives up.
			// The server notices a closed connection only once the body is read.
			return func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}
		}},
	}
	for _, c := range retried {
		t.Run("retried/"+c.name, func(t *testing.T) {
			var n reqCounter
			srv := httptest.NewServer(failing(t, &n, 2, c.fail(t)))
			defer srv.Close()
			cl := newTestClient(t, srv, func(o *Options) { o.AttemptTimeout = 20 * time.Millisecond })
			meta, err := cl.AddUserToGroup(context.Background(), "g1", "u1")
			if err != nil {
				t.Fatalf("AddUserToGroup: %v", err)
			}
			if n.get() != 3 || meta.Attempts != 3 {
				t.Errorf("requests = %d, meta.Attempts = %d; want 3, 3", n.get(), meta.Attempts)
			}
			if meta.Status != 200 || meta.RequestID != "req_ok" {
				t.Errorf("meta = %+v, want status 200, request id req_ok", meta)
			}
			if got := cl.Stats(); got.Requests != 3 || got.Retries != 2 {
				t.Errorf("stats = %+v, want 3 requests, 2 retries", got)
			}
		})
	}
}

func TestMaxAttempts(t *testing.T) {
	for _, max := range []int{1, 2, 5} {
		var n reqCounter
		srv := httptest.NewServer(failing(t, &n, 1000, statusFail(503)))
		cl := newTestClient(t, srv, func(o *Options) { o.MaxAttempts = max })
		meta, err := cl.RemoveUserFromGroup(context.Background(), "g1", "u1")
		srv.Close()
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("max %d: error %v is not an *APIError", max, err)
		}
		if n.get() != max || meta.Attempts != max || ae.Attempts != max {
			t.Errorf("max %d: requests = %d, meta.Attempts = %d, APIError.Attempts = %d", max, n.get(), meta.Attempts, ae.Attempts)
		}
		if !ae.Retryable || ae.Status != 503 {
			t.Errorf("max %d: APIError = %+v, want retryable 503", max, ae)
		}
	}
	t.Run("default is 5", func(t *testing.T) {
		var n reqCounter
		srv := httptest.NewServer(failing(t, &n, 1000, statusFail(500)))
		defer srv.Close()
		cl := newTestClient(t, srv, nil)
		cl.AddUserToGroup(context.Background(), "g1", "u1")
		if n.get() != DefaultMaxAttempts {
			t.Errorf("requests = %d, want %d", n.get(), DefaultMaxAttempts)
		}
	})
}

func TestCreateUserRetriesOnlyWhenNotSent(t *testing.T) {
	params := CreateUserParams{SystemID: "sys1", FullName: "Ann Lee", EmailAddress: "ann@example.com"}
	created := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, "req_created", map[string]any{"ok": true, "acs_user": fullUser("u_new", "sys1", "Ann Lee")})
	}
	cases := []struct {
		name         string
		fail         func(http.ResponseWriter, *http.Request)
		wantRequests int
		wantErr      bool
	}{
		{"503 may have created the user: not retried", statusFail(503), 1, true},
		{"500 not retried", statusFail(500), 1, true},
		{"429 was refused before processing: retried", statusFail(429), 3, false},
		{"dropped connection after sending: not retried", nil, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n reqCounter
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost {
					t.Errorf("method = %s, want POST", r.Method)
				}
				if n.next() <= 2 {
					if tc.fail == nil {
						dropConnection(t, w)
					} else {
						tc.fail(w, r)
					}
					return
				}
				created(w, r)
			}))
			defer srv.Close()
			cl := newTestClient(t, srv, nil)
			u, meta, err := cl.CreateUser(context.Background(), params)
			if n.get() != tc.wantRequests || meta.Attempts != tc.wantRequests {
				t.Errorf("requests = %d, meta.Attempts = %d, want %d", n.get(), meta.Attempts, tc.wantRequests)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && (u.ID != "u_new" || u.FullName != "Ann Lee" || meta.RequestID != "req_created") {
				t.Errorf("user %+v, meta %+v", u, meta)
			}
		})
	}
	t.Run("connection refused is retried", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		opts := testOptions(t, srv, true)
		opts.Endpoint = "http://" + addr
		opts.MaxAttempts = 3
		cl, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, meta, err := cl.CreateUser(context.Background(), params)
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Retryable || ae.Status != 0 {
			t.Fatalf("err = %#v, want a retryable *APIError without status", err)
		}
		if meta.Attempts != 3 {
			t.Errorf("attempts = %d, want 3", meta.Attempts)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"5", 5 * time.Second, true},
		{" 0 ", 0, true},
		{"120", 2 * time.Minute, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Wed, 04 Mar 2026 05:07:07 GMT", time.Minute, true},
		{"Wednesday, 04-Mar-26 05:07:07 GMT", time.Minute, true}, // RFC 850
		{"", 0, false},
		{"soon", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999", 0, false}, // overflows uint64: unreadable
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
	if got, ok := parseRetryAfter("9223372036854775807", now); !ok || got <= 0 {
		t.Errorf("huge seconds = %v, %v; want a positive duration", got, ok)
	}
}

// pauseHook replaces a client's sleep: each call reports its duration on
// sleeping and blocks until release is closed, then lifts the pause so that
// the waiter proceeds.
// useClock puts the client's pacer on clk.
func useClock(c *Client, clk *fakeClock) {
	c.pacer.mu.Lock()
	defer c.pacer.mu.Unlock()
	c.pacer.clk = clk
	c.pacer.filled = clk.Now()
}

// retryAfterServer answers the first request with status and Retry-After
// ra, the others with {"ok":true}, and reports each request's user.
func retryAfterServer(t *testing.T, status int, ra string, users chan<- string) *httptest.Server {
	var n reqCounter
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			User string `json:"acs_user_id"`
		}
		decodeBody(t, r, &body)
		users <- body.User
		if n.next() == 1 {
			w.Header().Set("Retry-After", ra)
			writeSeamError(w, status, "req_ra", "rate_limited", "slow down")
			return
		}
		writeJSON(w, 200, "req_ok", map[string]any{"ok": true})
	}))
}

type callResult struct {
	meta Meta
	err  error
}

func addAsync(cl *Client, user string) <-chan callResult {
	res := make(chan callResult, 1)
	go func() {
		m, err := cl.AddUserToGroup(context.Background(), "g1", user)
		res <- callResult{m, err}
	}()
	return res
}

func TestLongRetryAfterPausesEveryRequest(t *testing.T) {
	users := make(chan string, 10)
	srv := retryAfterServer(t, 429, "30", users)
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.MaxRetryAfter = 45 * time.Second })
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 10)
	useClock(cl, clk)

	resA := addAsync(cl, "userA")
	if u := <-users; u != "userA" {
		t.Fatalf("first request for %s", u)
	}
	if d := <-clk.created; d != 30*time.Second {
		t.Errorf("A waits %v, want its Retry-After of 30s", d)
	}
	resB := addAsync(cl, "userB")
	if d := <-clk.created; d != 30*time.Second {
		t.Errorf("B, which never got a 429, waits %v, want the same 30s pause", d)
	}
	select {
	case u := <-users:
		t.Fatalf("the server got a request for %s during the pause", u)
	default:
	}
	clk.advance(30 * time.Second)
	a, b := <-resA, <-resB
	if a.err != nil || b.err != nil {
		t.Fatalf("errors: A %v, B %v", a.err, b.err)
	}
	if a.meta.Attempts != 2 || b.meta.Attempts != 1 {
		t.Errorf("attempts: A %d, B %d; want 2, 1", a.meta.Attempts, b.meta.Attempts)
	}
	if st := cl.Stats(); st.Throttled != 1 || st.Retries != 1 || st.Requests != 3 || st.Pauses != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestEdgeRetryAfterHoldsOnlyItsRequest(t *testing.T) {
	users := make(chan string, 10)
	srv := retryAfterServer(t, 429, "1", users)
	defer srv.Close()
	cl := newTestClient(t, srv, nil)
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 10)
	useClock(cl, clk)

	resA := addAsync(cl, "userA")
	<-users
	if d := <-clk.created; d != time.Second {
		t.Errorf("A waits %v, want its Retry-After of 1s", d)
	}
	// One 429 at the edge of the limit: B goes at once.
	b := <-addAsync(cl, "userB")
	if b.err != nil || b.meta.Attempts != 1 {
		t.Fatalf("B: %+v", b)
	}
	if u := <-users; u != "userB" {
		t.Errorf("second request for %s, want userB", u)
	}
	clk.advance(time.Second)
	a := <-resA
	if a.err != nil || a.meta.Attempts != 2 {
		t.Fatalf("A: %+v", a)
	}
	if st := cl.Stats(); st.Pauses != 0 || st.Throttled != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	users := make(chan string, 10)
	srv := retryAfterServer(t, 503, "3600", users)
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.MaxRetryAfter = 2 * time.Second })
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 10)
	useClock(cl, clk)
	res := addAsync(cl, "u1")
	if d := <-clk.created; d != 2*time.Second {
		t.Errorf("wait %v, want capped to 2s", d)
	}
	clk.advance(2 * time.Second)
	if r := <-res; r.err != nil || r.meta.Attempts != 2 {
		t.Errorf("result %+v", r)
	}
}

// TestRetryWaitingAtTheStopIsNotSent: a retry still waiting for its
// Retry-After when the stop arrives is not sent; the call keeps the last
// attempt's failure.
func TestRetryWaitingAtTheStopIsNotSent(t *testing.T) {
	users := make(chan string, 10)
	srv := retryAfterServer(t, 503, "30", users)
	defer srv.Close()
	cl := newTestClient(t, srv, nil)
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 10)
	useClock(cl, clk)
	stop := make(chan struct{})
	res := make(chan callResult, 1)
	go func() {
		m, err := cl.AddUserToGroup(WithStop(context.Background(), stop), "g1", "u1")
		res <- callResult{m, err}
	}()
	<-users
	<-clk.created
	close(stop)
	r := <-res
	var ae *APIError
	if !errors.As(r.err, &ae) || !errors.Is(r.err, ErrNotSent) || ae.Status != 503 || ae.Attempts != 1 || ae.RequestID != "req_ra" {
		t.Fatalf("err = %v (%+v), want the 503 of attempt 1, then not sent", r.err, ae)
	}
	if want := "seam: PUT /acs/access_groups/add_user: 503 rate_limited: slow down: retry not sent: the caller stopped (request req_ra, 1 attempt)"; r.err.Error() != want {
		t.Errorf("error:\n%s\nwant\n%s", r.err, want)
	}
	if len(users) != 0 {
		t.Errorf("the retry reached the server")
	}
}

func TestCancelEndsWait(t *testing.T) {
	cases := []struct {
		name string
		fail func(http.ResponseWriter, *http.Request)
		opts func(*Options)
	}{
		{
			name: "retry-after pause",
			fail: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "30")
				writeSeamError(w, 503, "req_503", "service_unavailable", "down")
			},
		},
		{
			name: "backoff sleep",
			fail: statusFail(503),
			opts: func(o *Options) {
				o.BaseBackoff, o.MaxBackoff = time.Hour, time.Hour
				o.Rand = func() float64 { return 0.5 }
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n reqCounter
			srv := httptest.NewServer(failing(t, &n, 1000, tc.fail))
			defer srv.Close()
			waiting := make(chan struct{}, 10)
			logger := slog.New(recordHandler{fn: func(r slog.Record) {
				r.Attrs(func(a slog.Attr) bool {
					if a.Key == "wait" && a.Value.Duration() > 0 {
						waiting <- struct{}{} // the client is about to wait
					}
					return true
				})
			}})
			cl := newTestClient(t, srv, func(o *Options) {
				o.Logger = logger
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := cl.AddUserToGroup(ctx, "g1", "u1")
				done <- err
			}()
			<-waiting
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not return after cancel")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want it to wrap context.Canceled", err)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 503 || ae.Attempts != 1 || (ae.RequestID != "req_503" && ae.RequestID != "req_fail") {
				t.Errorf("APIError = %+v, want the 503 of attempt 1", ae)
			}
			if n.get() != 1 {
				t.Errorf("requests = %d, want 1", n.get())
			}
		})
	}
}

func TestRetryBudget(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 1000, statusFail(500)))
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.RetryBudget = 2; o.MaxAttempts = 10 })
	_, err := cl.ListSystems(context.Background())
	if !errors.Is(err, ErrRetryBudgetExhausted) {
		t.Fatalf("err = %v, want ErrRetryBudgetExhausted", err)
	}
	if n.get() != 3 {
		t.Errorf("requests = %d, want 3 (1 + a budget of 2 retries)", n.get())
	}
	_, err = cl.ListSystems(context.Background())
	if !errors.Is(err, ErrRetryBudgetExhausted) || n.get() != 4 {
		t.Errorf("second call: err = %v, requests = %d; want budget exhausted after 1 request", err, n.get())
	}
	if st := cl.Stats(); st.RetryBudgetExhausted != 2 || st.Retries != 2 {
		t.Errorf("stats = %+v", st)
	}

	t.Run("429 does not spend the budget", func(t *testing.T) {
		var n reqCounter
		srv := httptest.NewServer(failing(t, &n, 4, statusFail(429)))
		defer srv.Close()
		cl := newTestClient(t, srv, func(o *Options) { o.RetryBudget = 1 })
		if _, err := cl.AddUserToGroup(context.Background(), "g1", "u1"); err != nil {
			t.Fatal(err)
		}
		if n.get() != 5 {
			t.Errorf("requests = %d, want 5", n.get())
		}
	})
}
