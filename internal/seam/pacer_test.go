package seam

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a hand-driven clock for the pacer: timers fire when the test
// advances it past their time.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*fakeTimer
	// created, when set, receives the duration of every timer made.
	created chan time.Duration
	// early is what Early says (the real clock's timers fire late).
	early time.Duration
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Early() time.Duration { return c.early }

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	t := &fakeTimer{at: c.t.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	created := c.created
	c.mu.Unlock()
	if created != nil {
		created <- d
	}
	return t.c, func() {
		c.mu.Lock()
		t.stopped = true
		c.mu.Unlock()
	}
}

// advance moves the clock and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.t):
			t.c <- c.t
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// adaptivePacer is an adaptive pacer of rate on clk, without a budget.
func adaptivePacer(clk *fakeClock, rate float64) *pacer {
	return newPacer(pacerConfig{rate: rate, burst: 1, adaptive: true, minRate: DefaultMinRate, budget: -1, clock: clk})
}

// afterTheStart is an adaptive pacer at --rate 100 whose probing start 20
// successes grew and a 429 ended: cut, with an estimate, at clk's time.
func afterTheStart(clk *fakeClock) *pacer {
	p := adaptivePacer(clk, 100)
	for range 20 {
		p.observe(p.send(true), http.StatusOK, 0, false)
	}
	p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
	return p
}

// send lets one request leave the pacer now, as the head of the queue does.
func (p *pacer) send(held bool) ticket {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(p.clk.Now(), held)
}

// rateNow is the pacing rate at the clock's time.
func (p *pacer) rateNow() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextLocked(p.clk.Now())
	return p.rate
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestProbingStart(t *testing.T) {
	clk := newFakeClock()
	p := adaptivePacer(clk, 50)
	if got := p.rateNow(); got != startRate {
		t.Fatalf("start rate %v, want %v: probe, do not charge at --rate", got, startRate)
	}
	if p.burst != 1 {
		t.Errorf("burst %v, want the configured 1", p.burst)
	}
	p.observe(p.send(true), http.StatusOK, 0, false)
	p.observe(p.send(true), http.StatusNotFound, 0, false) // a 404 is an answer too
	if got, want := p.rateNow(), startRate+2*startGain; !near(got, want) {
		t.Errorf("after two successes the rate held back: %v, want %v", got, want)
	}
	p.observe(p.send(false), http.StatusOK, 0, false)
	p.observe(p.send(true), http.StatusServiceUnavailable, 0, false)
	if got, want := p.rateNow(), startRate+2*startGain; !near(got, want) {
		t.Errorf("a request the rate did not hold back, or a 5xx, grew the rate to %v, want %v", got, want)
	}
	for range 100 {
		p.observe(p.send(true), http.StatusOK, 0, false)
	}
	if got := p.rateNow(); got != 50 {
		t.Errorf("rate %v after many successes, want the ceiling 50", got)
	}
	if st := p.stats(); st.LowestRate != 50 || st.Estimate != 0 || st.Throttled != 0 {
		t.Errorf("stats %+v: the probing start is not a cut", st)
	}
	small := adaptivePacer(clk, 3)
	if got := small.rateNow(); got != 3 {
		t.Errorf("start rate %v with --rate 3, want 3", got)
	}
}

func TestFirst429EndsTheProbingStart(t *testing.T) {
	clk := newFakeClock()
	p := adaptivePacer(clk, 100)
	for range 10 {
		p.observe(p.send(true), http.StatusOK, 0, false)
	}
	// Two requests leave at the rate reached, the first is refused.
	r := startRate + 10*startGain
	clk.advance(50 * time.Millisecond)
	refused, inFlight := p.send(true), p.send(true)
	clk.advance(100 * time.Millisecond)
	out := p.observe(refused, http.StatusTooManyRequests, time.Second, true)
	est := r - startGain
	if !out.adjusted || out.pauseAll || !near(out.estimate, est) || !near(out.rate, est*startCut) {
		t.Fatalf("outcome %+v, want the estimate %v and rate %v, no pause", out, est, est*startCut)
	}
	if p.tokens > 0 || p.burst != 1 {
		t.Errorf("tokens %v, burst %v: after a 429 the bucket is empty, as the server's", p.tokens, p.burst)
	}
	// The other request was on its way before the cut: same event.
	out = p.observe(inFlight, http.StatusTooManyRequests, time.Second, true)
	if out.adjusted || !near(p.estimate, est) {
		t.Errorf("a 429 of a request sent before the cut moved the estimate: %+v", out)
	}
	if st := p.stats(); st.Throttled != 2 || !near(st.LowestRate, est*startCut) || !near(st.Estimate, est) || st.Pauses != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateCurveAfterACut(t *testing.T) {
	clk := newFakeClock()
	p := adaptivePacer(clk, 100)
	for range 20 {
		p.observe(p.send(true), http.StatusOK, 0, false)
	}
	clk.advance(time.Second)
	p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
	est := p.estimate
	cut := est * startCut
	top := est * plateau
	if got := p.rateNow(); !near(got, cut) {
		t.Errorf("at the cut: %v, want %v", got, cut)
	}
	clk.advance(climbTime / 2)
	half := p.rateNow()
	// Concave: more than half the way up after half the time.
	if !(half > cut+(top-cut)/2 && half < top) {
		t.Errorf("half way through the climb: %v, want between %v and %v", half, cut+(top-cut)/2, top)
	}
	clk.advance(climbTime / 2)
	if got := p.rateNow(); !near(got, top) {
		t.Errorf("after the climb: %v, want the plateau %v", got, top)
	}
	clk.advance(startHold)
	if got := p.rateNow(); !near(got, top) {
		t.Errorf("at the end of the hold: %v, want the plateau %v", got, top)
	}
	clk.advance(time.Second)
	if got, want := p.rateNow(), top*(1+probeGrowth); !near(got, want) {
		t.Errorf("a second into the probe: %v, want %v", got, want)
	}
	clk.advance(time.Hour)
	if got := p.rateNow(); got != 100 {
		t.Errorf("an hour on: %v, want the ceiling 100", got)
	}
}

func TestLater429s(t *testing.T) {
	clk := newFakeClock()
	p := afterTheStart(clk)
	first := p.estimate

	// Refused again right after the cut: it was not deep enough.
	clk.advance(quickRepeat / 2)
	sent := p.send(true)
	p.observe(sent, http.StatusTooManyRequests, time.Second, true)
	if want := min(sent.rate, first) * repeatFactor; !near(p.estimate, want) {
		t.Errorf("quick repeat: estimate %v, want %v", p.estimate, want)
	}

	// A 429 at the plateau, long after: the limit is just below the rate
	// refused.
	clk.advance(climbTime + firstHold/2)
	p.rateNow() // the head of the queue looks at the curve before it leaves
	sent = p.send(true)
	p.observe(sent, http.StatusTooManyRequests, time.Second, true)
	if want := sent.rate * belowRefused; !near(p.estimate, want) || !near(p.rateNow(), want*cutFactor) {
		t.Errorf("estimate %v, rate %v; want %v, %v", p.estimate, p.rateNow(), want, want*cutFactor)
	}
	if p.hold != baseHold {
		t.Errorf("hold %v after the estimate held, want %v", p.hold, baseHold)
	}
	for range 5 {
		clk.advance(climbTime + 2*time.Second)
		p.rateNow()
		p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
	}
	if p.hold != maxHold {
		t.Errorf("hold %v after many, want at most %v", p.hold, maxHold)
	}
}

// onTheirWay is an adaptive pacer at --rate 100 whose probing start 30
// successes grew, then n requests sent 25 ms apart behind the one that will
// draw its first 429: the rate they all left at, that one, and the others.
func onTheirWay(clk *fakeClock, n int) (*pacer, float64, ticket, []ticket) {
	p := adaptivePacer(clk, 100)
	for range 30 {
		p.observe(p.send(true), http.StatusOK, 0, false)
	}
	trigger := p.send(true)
	var behind []ticket
	for range n {
		clk.advance(25 * time.Millisecond)
		behind = append(behind, p.send(true))
	}
	return p, startRate + 30*startGain, trigger, behind
}

func TestInFlightRefusalsRefineTheEstimate(t *testing.T) {
	clk := newFakeClock()
	// At the rate reached the server's burst runs out: the first refusal,
	// and four requests behind it, of which the server took one.
	p, r, trigger, behind := onTheirWay(clk, 4)
	p.observe(trigger, http.StatusTooManyRequests, time.Second, true)
	p.observe(behind[0], http.StatusOK, 0, false)
	p.observe(behind[1], http.StatusTooManyRequests, time.Second, true)
	if got, want := p.estimate, r-startGain; !near(got, want) {
		t.Fatalf("one refusal of two is not enough to refine: %v, want %v", got, want)
	}
	p.observe(behind[2], http.StatusTooManyRequests, time.Second, true)
	if got, want := p.estimate, r/3; !near(got, want) {
		t.Errorf("estimate %v, want the server's share of what was sent: %v", got, want)
	}
	if got, want := p.rateNow(), r/3*cutFactor; !near(got, want) {
		t.Errorf("rate %v, want %v", got, want)
	}
	// The fourth was sent before the refinement: the same event still.
	p.observe(behind[3], http.StatusTooManyRequests, time.Second, true)
	if got := p.stats().Throttled; got != 4 {
		t.Errorf("throttled %d, want 4", got)
	}
}

// TestInFlightFailuresDoNotRefine: among the requests on their way at the
// event, a 5xx or a request with no answer (status 0) says nothing of the
// limit: neither taken nor refused, and its rate is not in the share.
func TestInFlightFailuresDoNotRefine(t *testing.T) {
	clk := newFakeClock()
	p, r, trigger, behind := onTheirWay(clk, 5)
	p.observe(trigger, http.StatusTooManyRequests, time.Second, true)
	event := p.estimate
	p.observe(behind[0], http.StatusServiceUnavailable, 0, false)
	p.observe(behind[1], 0, 0, false)
	p.observe(behind[2], http.StatusTooManyRequests, time.Second, true)
	if got := p.estimate; !near(got, event) {
		t.Fatalf("estimate %v after a 503, no answer and one refusal, want the event's %v", got, event)
	}
	p.observe(behind[3], http.StatusOK, 0, false)
	p.observe(behind[4], http.StatusTooManyRequests, time.Second, true)
	if got, want := p.estimate, r/3; !near(got, want) {
		t.Errorf("estimate %v, want the share of the three answers that count: %v", got, want)
	}
}

func TestRetryAfterWhoWaits(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		retryAfter time.Duration
		inARow     int
		wantPause  bool
	}{
		{"a 429 of one second is the edge of the limit", 429, time.Second, 1, false},
		{"three in a row still are", 429, time.Second, 3, false},
		{"four in a row are a storm", 429, time.Second, stormThrottles, true},
		{"a longer Retry-After is the server asking everyone", 429, 2 * time.Second, 1, true},
		{"a 503 with Retry-After is an outage", 503, time.Second, 1, true},
		{"a 503 without one backs off alone", 503, 0, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			p := newPacer(pacerConfig{rate: 10, burst: 5, adaptive: true, minRate: DefaultMinRate, budget: -1, clock: clk})
			var out outcome
			for range tc.inARow {
				out = p.observe(p.send(false), tc.status, tc.retryAfter, tc.retryAfter > 0)
			}
			if out.pauseAll != tc.wantPause {
				t.Errorf("pauseAll %v, want %v", out.pauseAll, tc.wantPause)
			}
			p.mu.Lock()
			at := p.nextLocked(clk.Now())
			tokens, until := p.tokens, p.paused
			p.mu.Unlock()
			// Everyone waits: the shared pause, until the Retry-After at
			// least, and the next request not before it. (Without it, the
			// next one may still wait for the rate the 429 cut to.)
			if paused := until.After(clk.Now()); paused != tc.wantPause {
				t.Errorf("paused until %v, now %v: paused %v, want %v", until, clk.Now(), paused, tc.wantPause)
			}
			if end := clk.Now().Add(tc.retryAfter); tc.wantPause && (until.Before(end) || at.Before(end)) {
				t.Errorf("paused until %v, next request at %v; want both at least %v", until, at, end)
			}
			if tc.wantPause && tokens > 1 {
				t.Errorf("%v tokens after the pause: it must not refill a burst", tokens)
			}
		})
	}
}

func TestPauseRefillsNoBurst(t *testing.T) {
	clk := newFakeClock()
	p := newPacer(pacerConfig{rate: 10, burst: 5, budget: -1, clock: clk})
	p.mu.Lock()
	p.pauseLocked(clk.Now(), clk.Now().Add(10*time.Second))
	p.pauseLocked(clk.Now(), clk.Now().Add(5*time.Second)) // only ever extends
	p.mu.Unlock()
	clk.advance(10 * time.Second)
	var sent []time.Time
	for range 3 {
		p.mu.Lock()
		at := p.nextLocked(clk.Now())
		p.mu.Unlock()
		clk.advance(at.Sub(clk.Now()))
		sent = append(sent, p.send(false).sent)
	}
	start := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	want := []time.Time{start, start.Add(100 * time.Millisecond), start.Add(200 * time.Millisecond)}
	for i := range want {
		if !sent[i].Equal(want[i]) {
			t.Errorf("request %d left at %v, want %v: after a pause, one at a time at the rate", i, sent[i], want[i])
		}
	}
	if st := p.stats(); st.Pauses != 1 {
		t.Errorf("pauses %d, want 1", st.Pauses)
	}
}

func TestPacerNotAdaptive(t *testing.T) {
	clk := newFakeClock()
	p := newPacer(pacerConfig{rate: 4, burst: 2, minRate: 0.5, budget: -1, clock: clk})
	p.observe(p.send(false), http.StatusTooManyRequests, time.Second, true)
	p.observe(p.send(false), http.StatusOK, 0, false)
	if st := p.stats(); st.Rate != 4 || st.LowestRate != 4 || p.burst != 2 || st.Throttled != 1 {
		t.Errorf("stats %+v, burst %v; want a fixed 4/s, burst 2", st, p.burst)
	}
	// Two tokens were there and are spent; the next is 250 ms away.
	p.mu.Lock()
	at := p.nextLocked(clk.Now())
	p.mu.Unlock()
	if d := at.Sub(clk.Now()); d != 250*time.Millisecond {
		t.Errorf("next in %v, want 250ms", d)
	}
	unlimited := newPacer(pacerConfig{budget: -1, clock: clk})
	if unlimited.stats().Rate != 0 {
		t.Error("rate 0 should mean unlimited")
	}
}

func TestRetryBudgetArithmetic(t *testing.T) {
	p := newPacer(pacerConfig{budget: 2, clock: newFakeClock()})
	first, second, third := p.takeRetry(), p.takeRetry(), p.takeRetry()
	if !first || !second || third {
		t.Fatal("want exactly 2 retries from a budget of 2")
	}
	for range 4 {
		p.observe(ticket{}, http.StatusOK, 0, false)
	}
	if p.takeRetry() {
		t.Error("4 successes earned a whole retry, want 5 needed")
	}
	p.observe(ticket{}, http.StatusOK, 0, false)
	if !p.takeRetry() {
		t.Error("5 successes should earn one retry")
	}
	if got := p.stats().RetryBudgetExhausted; got != 2 {
		t.Errorf("exhausted = %d, want 2", got)
	}
}

// queueHook makes p report on the returned channel each request that joins
// its queue.
func queueHook(p *pacer) <-chan struct{} {
	joined := make(chan struct{}, 16)
	p.onQueue = func() { joined <- struct{}{} }
	return joined
}

// TestTimerSetEarlyThenYields: on a clock whose timers fire late (the real
// one), the head of the queue sets its timer Early before its slot and
// yields the rest of the wait: it leaves at its slot, not before and not a
// timer's lateness after. A stop that comes once the timer has fired (in
// that stretch, or before the waiter has woken to it) still stops it.
func TestTimerSetEarlyThenYields(t *testing.T) {
	clk := newFakeClock()
	clk.early = time.Millisecond
	clk.created = make(chan time.Duration, 4)
	p := newPacer(pacerConfig{rate: 1, burst: 1, budget: -1, clock: clk})
	if _, _, err := p.wait(context.Background(), nil, time.Time{}); err != nil {
		t.Fatal(err) // the one token
	}
	slot := clk.Now().Add(time.Second)
	left := make(chan ticket, 1)
	go func() {
		tk, _, err := p.wait(context.Background(), nil, time.Time{})
		if err != nil {
			t.Error(err)
		}
		left <- tk
	}()
	if d := <-clk.created; d != time.Second-clk.early {
		t.Fatalf("the head's timer is set for %v, want %v", d, time.Second-clk.early)
	}
	clk.advance(time.Second - clk.early)
	select {
	case tk := <-left:
		t.Fatalf("left at %v, before its slot %v", tk.sent, slot)
	default:
	}
	clk.advance(clk.early)
	if tk := <-left; !tk.sent.Equal(slot) {
		t.Errorf("left at %v, want its slot %v", tk.sent, slot)
	}

	stop := make(chan struct{})
	stopped := make(chan error, 1)
	go func() {
		_, _, err := p.wait(context.Background(), stop, time.Time{})
		stopped <- err
	}()
	<-clk.created
	clk.advance(time.Second - clk.early)
	close(stop)
	if err := <-stopped; !errors.Is(err, errStopped) {
		t.Errorf("stopped after the timer fired: %v, want errStopped", err)
	}
}

func TestWaitersLeaveInOrderAndStop(t *testing.T) {
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 16)
	p := newPacer(pacerConfig{rate: 1, burst: 1, budget: -1, clock: clk})
	joined := queueHook(p)
	if _, _, err := p.wait(context.Background(), nil, time.Time{}); err != nil {
		t.Fatal(err) // the one token
	}
	<-joined
	stop := make(chan struct{})
	type result struct {
		i   int
		err error
	}
	results := make(chan result, 3)
	for i := range 3 {
		go func() {
			_, _, err := p.wait(context.Background(), stop, time.Time{})
			results <- result{i, err}
		}()
		<-joined // in order: i joins before i+1 starts
	}
	if d := <-clk.created; d != time.Second {
		t.Fatalf("the head waits %v, want 1s", d)
	}
	clk.advance(time.Second)
	if r := <-results; r.i != 0 || r.err != nil {
		t.Fatalf("first to leave: %d (%v), want 0", r.i, r.err)
	}
	<-clk.created // the next head waits for its token
	close(stop)
	for range 2 {
		if r := <-results; !errors.Is(r.err, errStopped) {
			t.Errorf("waiter %d: %v, want errStopped", r.i, r.err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) != 0 {
		t.Errorf("%d left in the queue", len(p.queue))
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	p := newPacer(pacerConfig{rate: 1, burst: 1, budget: -1})
	p.send(false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.wait(ctx, nil, time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestQueuedInThePacerIsNotSent: calls still waiting for the rate when the
// stop arrives return ErrNotSent with no attempt; the server sees only the
// request that had left.
func TestQueuedInThePacerIsNotSent(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 0, nil))
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.Rate, o.Burst = 0.001, 1 })
	joined := queueHook(cl.pacer)
	if _, err := cl.AddUserToGroup(context.Background(), "g1", "u0"); err != nil {
		t.Fatal(err)
	}
	<-joined
	stop := make(chan struct{})
	ctx := WithStop(context.Background(), stop)
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			var timing Timing
			_, err := cl.AddUserToGroup(WithTiming(ctx, &timing), "g1", "u"+string(rune('1'+i)))
			errs <- err
		}()
		<-joined
	}
	close(stop)
	for range 3 {
		err := <-errs
		var ae *APIError
		if !errors.As(err, &ae) || !errors.Is(err, ErrNotSent) || ae.Attempts != 0 {
			t.Errorf("err = %v, want an *APIError wrapping ErrNotSent with no attempt", err)
		}
	}
	if n.get() != 1 {
		t.Errorf("server saw %d requests, want 1", n.get())
	}
}

func TestClientStatsFromOptions(t *testing.T) {
	srv := httptest.NewServer(nil)
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.Rate, o.Burst, o.Adaptive = 8, 3, true })
	if st := cl.Stats(); st.Rate != 8 || st.LowestRate != 8 || st.Requests != 0 {
		t.Errorf("stats = %+v", st)
	}
	if cl.pacer.minRate != DefaultMinRate {
		t.Errorf("floor %v", cl.pacer.minRate)
	}
}

// TestTimingSeparatesTheWaitFromTheAttempt: a call the rate holds back for
// one second (by the pacer's clock) reports that second as Queued, and as
// Sending only its attempt's own time: report.csv's queued_ms and
// duration_ms.
func TestTimingSeparatesTheWaitFromTheAttempt(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 0, nil))
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.Rate, o.Burst = 1, 1 })
	clk := newFakeClock()
	clk.created = make(chan time.Duration, 8)
	useClock(cl, clk)
	if _, err := cl.AddUserToGroup(context.Background(), "g1", "u0"); err != nil { // takes the one token
		t.Fatal(err)
	}
	var timing Timing
	done := make(chan error, 1)
	go func() {
		_, err := cl.AddUserToGroup(WithTiming(context.Background(), &timing), "g1", "u1")
		done <- err
	}()
	if d := <-clk.created; d != time.Second {
		t.Fatalf("the second call waits %s for the rate, want 1s", d)
	}
	clk.advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if timing.Queued != time.Second {
		t.Errorf("queued %s, want the 1s the rate held it", timing.Queued)
	}
	if timing.Sending <= 0 || timing.Sending >= time.Second {
		t.Errorf("sending %s: want the attempt's own time, without the wait", timing.Sending)
	}
}

// TestCurveStandsStillWhileIdle: the rate climbs and probes only while
// requests wait for it. A minute in which nobody asked (the planner reading
// one page after another, a quiet moment) does not bring the rate up to the
// probe's: the next request finds the curve where the last one left it.
func TestCurveStandsStillWhileIdle(t *testing.T) {
	clk := newFakeClock()
	p := afterTheStart(clk)
	cut, top := p.rate, p.estimate*plateau

	clk.advance(climbTime / 2)
	if _, _, err := p.wait(context.Background(), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	half := p.rateNow()
	if !(half > cut && half < top) {
		t.Fatalf("half way up the climb: %v, want between %v and %v", half, cut, top)
	}

	clk.advance(time.Minute) // nobody waits
	if got := p.rateNow(); !near(got, half) {
		t.Errorf("a minute idle: rate %v, want it where it stood, %v", got, half)
	}
	if _, _, err := p.wait(context.Background(), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := p.rateNow(); !near(got, half) {
		t.Errorf("the first request after a minute idle found rate %v, want %v", got, half)
	}
	// While a request waits, time counts again: the climb ends
	// climbTime/2 later.
	p.mu.Lock()
	p.queue = append(p.queue, &waiter{turn: make(chan struct{})})
	p.busyLocked(clk.Now())
	p.mu.Unlock()
	clk.advance(climbTime / 2)
	if got := p.rateNow(); !near(got, top) {
		t.Errorf("after the rest of the climb: %v, want the plateau %v", got, top)
	}
}

// TestRare429AtThePlateau: a 429 at the plateau long after the last one is
// the timing of arrivals (a limit without a burst refuses two requests that
// arrive closer than its spacing), not a lower limit: the estimate steps
// down by rareStep, not to the rate refused; the same 429 soon after a cut
// takes it below the rate refused.
func TestRare429AtThePlateau(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  func(est, refused float64) float64
	}{
		{"rare", rareRefusal + time.Second, func(est, _ float64) float64 { return est * rareStep }},
		{"soon", climbTime + time.Second, func(_, refused float64) float64 { return refused * belowRefused }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			p := afterTheStart(clk)
			est := p.estimate
			clk.advance(tc.after)
			p.rateNow()
			sent := p.send(true)
			if sent.rate >= est {
				t.Fatalf("sent at %v, want the plateau below the estimate %v", sent.rate, est)
			}
			p.observe(sent, http.StatusTooManyRequests, time.Second, true)
			if want := tc.want(est, sent.rate); !near(p.estimate, want) {
				t.Errorf("estimate %v after a 429 at %v, %v after the cut; want %v", p.estimate, sent.rate, tc.after, want)
			}
		})
	}
}

// TestQuickRepeatTakesTheShareAccepted: refused again right after a cut,
// with answers to at least refineSample requests sent since it, the
// estimate is what the server took of them: their rate times the share
// accepted (above its limit a server takes just its limit).
func TestQuickRepeatTakesTheShareAccepted(t *testing.T) {
	clk := newFakeClock()
	p := afterTheStart(clk)
	first := p.estimate

	var sent []ticket
	for range 3 {
		clk.advance(50 * time.Millisecond)
		p.rateNow()
		sent = append(sent, p.send(true))
	}
	p.observe(sent[0], http.StatusOK, 0, false)
	p.observe(sent[1], http.StatusOK, 0, false)
	p.observe(sent[2], http.StatusTooManyRequests, time.Second, true)
	avg := (sent[0].rate + sent[1].rate + sent[2].rate) / 3
	want := min(sent[2].rate, first, avg*2/3)
	if !near(p.estimate, want) {
		t.Errorf("estimate %v after 2 of 3 taken at %.2f/s on average, want %v", p.estimate, avg, want)
	}
	if old := min(sent[2].rate, first) * repeatFactor; near(want, old) {
		t.Fatalf("the case does not tell the share from repeatFactor (%v)", old)
	}
}

// TestRepeatAfterAProbe: a probe refused, then its cut refused too (a
// server that allows a burst lets a probe run past its limit). After the
// first probe, which tests the start's estimate, that is a guess, probed
// again soon. From the second on it is the probe's event still: the
// estimate does not go below the one whose plateau the server took for a
// whole hold, and the hold the probe's event doubled stays, so that a
// steady limit is probed less and less often.
func TestRepeatAfterAProbe(t *testing.T) {
	clk := newFakeClock()
	p := afterTheStart(clk)
	// The start's estimate, refused again right after its cut: a guess.
	clk.advance(quickRepeat / 2)
	p.rateNow()
	p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
	if p.hold != firstHold {
		t.Fatalf("hold %v after a repeat of the start, want %v", p.hold, firstHold)
	}

	// probeAndRepeat lets the plateau hold, the probe grow past the
	// estimate and be refused, then its cut be refused too, the server
	// taking one of the three requests sent since. It returns the
	// estimate the probe started from and the share the repeat measured.
	probeAndRepeat := func(n int) (float64, float64) {
		est := p.estimate
		clk.advance(climbTime + p.hold + 2*time.Second)
		p.rateNow()
		probe := p.send(true)
		if probe.rate <= est {
			t.Fatalf("probe %d sent at %v, want above the estimate %v", n, probe.rate, est)
		}
		p.observe(probe, http.StatusTooManyRequests, time.Second, true)
		if p.hold != baseHold {
			t.Fatalf("hold %v after probe %d's 429, want %v", p.hold, n, baseHold)
		}
		var sent []ticket
		for range 3 {
			clk.advance(50 * time.Millisecond)
			p.rateNow()
			sent = append(sent, p.send(true))
		}
		p.observe(sent[0], http.StatusTooManyRequests, time.Second, true)
		p.observe(sent[1], http.StatusOK, 0, false)
		p.observe(sent[2], http.StatusTooManyRequests, time.Second, true)
		share := (sent[0].rate + sent[1].rate + sent[2].rate) / 3 / 3
		if share >= est*plateau {
			t.Fatalf("probe %d: the case does not test the floor: share %v, plateau %v", n, share, est*plateau)
		}
		return est, share
	}

	est, _ := probeAndRepeat(1)
	if !near(p.estimate, est*plateau) || p.hold != firstHold {
		t.Errorf("after the first probe's repeat: estimate %v, hold %v; want the plateau it started from %v, %v",
			p.estimate, p.hold, est*plateau, firstHold)
	}

	est, _ = probeAndRepeat(2)
	if !near(p.estimate, est) {
		t.Errorf("estimate %v after the second probe's repeat, want the one the probe started from: %v", p.estimate, est)
	}
	if p.hold != baseHold {
		t.Errorf("hold %v after the second probe's repeat, want the probe's %v", p.hold, baseHold)
	}
	// The next probe starts after the climb and that hold, not sooner.
	clk.advance(climbTime + baseHold - time.Second)
	if got, want := p.rateNow(), est*plateau; !near(got, want) {
		t.Errorf("a second before the end of the hold: %v, want the plateau %v", got, want)
	}
	clk.advance(2 * time.Second)
	if got := p.rateNow(); got <= est*plateau {
		t.Errorf("a second after the hold: %v, want a probe above the plateau %v", got, est*plateau)
	}
}

// TestBurstExplainsAProbe: a server that allows a burst lets a probe run
// past its limit before the 429, by as much as its burst. When the probe
// ran ahead of the estimate by no more than the start did before its first
// 429, the limit has not moved by more than a burst hides: the estimate
// steps up by acceptedSlack only, so the cut goes below the limit instead
// of to a rate the server refuses again. A probe that ran further, or
// after a start that found no burst, takes the rate refused.
func TestBurstExplainsAProbe(t *testing.T) {
	// spaced is a start whose requests left at its pacing rate, a 429
	// ending it: no burst.
	spaced := func(clk *fakeClock) *pacer {
		p := adaptivePacer(clk, 100)
		for range 20 {
			clk.advance(time.Duration(float64(time.Second) / p.rateNow()))
			p.observe(p.send(true), http.StatusOK, 0, false)
		}
		clk.advance(time.Duration(float64(time.Second) / p.rateNow()))
		p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
		return p
	}
	for _, tc := range []struct {
		name      string
		start     func(*fakeClock) *pacer
		ahead     int // requests the probe sends at once, the last refused
		explained bool
	}{
		// afterTheStart sends its 21 requests at once: a burst of 21.
		{"within the start's burst", afterTheStart, 20, true},
		{"past the start's burst", afterTheStart, 30, false},
		{"after a start without a burst", spaced, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			p := tc.start(clk)
			est := p.estimate
			clk.advance(climbTime + p.hold + 2*time.Second)
			p.rateNow()
			var last ticket
			for range tc.ahead {
				last = p.send(true)
			}
			if last.rate <= est {
				t.Fatalf("probe sent at %v, want above the estimate %v", last.rate, est)
			}
			p.observe(last, http.StatusTooManyRequests, time.Second, true)
			want := last.rate
			if tc.explained {
				want = est * (1 + acceptedSlack)
			}
			if !near(p.estimate, want) {
				t.Errorf("estimate %v after the probe's 429 at %v (estimate %v before), want %v", p.estimate, last.rate, est, want)
			}
			if got := p.rateNow(); !near(got, want*cutFactor) {
				t.Errorf("rate %v after the cut, want %v", got, want*cutFactor)
			}
			if p.hold != baseHold {
				t.Errorf("hold %v, want %v: the estimate held", p.hold, baseHold)
			}
		})
	}
}

func TestStartRefusedNearItsRateCutsLittle(t *testing.T) {
	clk := newFakeClock()
	p := adaptivePacer(clk, 100)
	// One success grows the start to startRate+startGain; the next
	// request, sent at that rate, is refused: the limit is the rate the
	// server took, and the start never ran far past it.
	p.observe(p.send(true), http.StatusOK, 0, false)
	clk.advance(100 * time.Millisecond)
	out := p.observe(p.send(true), http.StatusTooManyRequests, time.Second, true)
	if !out.adjusted || !near(out.estimate, startRate) || !near(out.rate, startRate*cutFactor) {
		t.Fatalf("outcome %+v, want the estimate %v and rate %v (cutFactor, not startCut)", out, startRate, startRate*cutFactor)
	}
}
