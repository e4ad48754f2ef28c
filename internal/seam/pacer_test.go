package seam

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock is a hand-driven clock for the pacer.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestAdaptivePacer(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(pacerConfig{rate: 10, burst: 1, adaptive: true, minRate: 0.5, budget: -1, now: clock.now})
	check := func(step string, wantCur, wantLowest float64) {
		t.Helper()
		st := p.stats()
		if st.Rate != wantCur || st.LowestRate != wantLowest {
			t.Errorf("%s: rate %v, lowest %v; want %v, %v", step, st.Rate, st.LowestRate, wantCur, wantLowest)
		}
		if got := float64(p.lim.Limit()); got != wantCur {
			t.Errorf("%s: limiter at %v, want %v", step, got, wantCur)
		}
	}
	check("start", 10, 10)

	p.observe(200)
	check("success at the configured rate stays there", 10, 10)

	p.observe(429)
	r1 := 10 * throttleFactor
	check("first 429", r1, r1)

	clock.advance(999 * time.Millisecond)
	p.observe(429)
	check("second 429 within a second is ignored", r1, r1)

	clock.advance(time.Millisecond)
	p.observe(429)
	r2 := r1 * throttleFactor
	check("429 a second after the decrease", r2, r2)

	p.observe(200)
	p.observe(404) // a client error still says the server keeps up
	r3 := r2 + successStep + successStep
	check("two successes", r3, r2)

	p.observe(503)
	check("5xx leaves the rate alone", r3, r2)

	// Up to 90% of the rate that drew the last 429 (r1) in full steps, then
	// a tenth of a step per success.
	for p.stats().Rate < r1*recoverFraction {
		p.observe(200)
	}
	before := p.stats().Rate
	p.observe(200)
	if got := p.stats().Rate; got != before+probeStep {
		t.Errorf("near the ceiling a success added %v, want %v", got-before, probeStep)
	}

	for range 1000 {
		p.observe(200)
	}
	check("successes never go above the configured rate", 10, r2)

	for range 30 {
		clock.advance(throttleWindow)
		p.observe(429)
	}
	check("never below the floor", 0.5, 0.5)
	if st := p.stats(); st.Throttled != 33 {
		t.Errorf("throttled = %d, want 33", st.Throttled)
	}
}

func TestPacerNotAdaptive(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	p := newPacer(pacerConfig{rate: 4, burst: 2, minRate: 0.5, budget: -1, now: clock.now})
	p.observe(429)
	p.observe(200)
	if st := p.stats(); st.Rate != 4 || st.LowestRate != 4 || p.lim.Limit() != rate.Limit(4) || p.lim.Burst() != 2 {
		t.Errorf("stats %+v, limiter %v/%d; want a fixed 4/s, burst 2", st, p.lim.Limit(), p.lim.Burst())
	}
	unlimited := newPacer(pacerConfig{budget: -1, now: clock.now})
	if unlimited.lim != nil || unlimited.stats().Rate != 0 {
		t.Error("rate 0 should mean no limiter")
	}
}

func TestPacerFloorAboveRate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	p := newPacer(pacerConfig{rate: 0.3, burst: 1, adaptive: true, minRate: 0.5, budget: -1, now: clock.now})
	p.observe(429)
	if st := p.stats(); st.Rate != 0.3 {
		t.Errorf("rate = %v, want 0.3: the floor never lifts the rate above the configured one", st.Rate)
	}
}

func TestRetryBudgetArithmetic(t *testing.T) {
	p := newPacer(pacerConfig{budget: 2, now: time.Now})
	first, second, third := p.takeRetry(), p.takeRetry(), p.takeRetry()
	if !first || !second || third {
		t.Fatal("want exactly 2 retries from a budget of 2")
	}
	for range 4 {
		p.observe(200)
	}
	if p.takeRetry() {
		t.Error("4 successes earned a whole retry, want 5 needed")
	}
	p.observe(200)
	if !p.takeRetry() {
		t.Error("5 successes should earn one retry")
	}
	if got := p.stats().RetryBudgetExhausted; got != 2 {
		t.Errorf("exhausted = %d, want 2", got)
	}
}

func TestPauseOnlyExtends(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	p := newPacer(pacerConfig{budget: -1, now: clock.now})
	p.pauseUntil(clock.t.Add(10 * time.Second))
	p.pauseUntil(clock.t.Add(5 * time.Second))
	var waits []time.Duration
	err := p.wait(context.Background(), func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock.advance(d)
		return nil
	})
	if err != nil || len(waits) != 1 || waits[0] != 10*time.Second {
		t.Errorf("waits = %v, err %v; want one wait of 10s", waits, err)
	}
}

func TestLimiterWaitUsesCallerContext(t *testing.T) {
	// A cancelled caller context stops the limiter wait with its own error.
	p := newPacer(pacerConfig{rate: 1, burst: 1, budget: -1, now: time.Now})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx, sleepCtx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestClientStatsFromOptions(t *testing.T) {
	srv := httptest.NewServer(nil)
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.Rate, o.Burst, o.Adaptive = 8, 3, true })
	if st := cl.Stats(); st.Rate != 8 || st.LowestRate != 8 || st.Requests != 0 {
		t.Errorf("stats = %+v", st)
	}
	if cl.pacer.minRate != DefaultMinRate || cl.pacer.lim.Burst() != 3 {
		t.Errorf("floor %v, burst %d", cl.pacer.minRate, cl.pacer.lim.Burst())
	}
}

func TestClientAdaptiveOn429(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 1, statusFail(429)))
	defer srv.Close()
	cl := newTestClient(t, srv, func(o *Options) { o.Rate, o.Adaptive = 1000, true })
	if _, err := cl.AddUserToGroup(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	want := Stats{Requests: 2, Throttled: 1, Retries: 1, Rate: 1000*throttleFactor + successStep, LowestRate: 1000 * throttleFactor}
	if got := cl.Stats(); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}
