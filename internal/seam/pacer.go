package seam

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Adaptive pacing constants: multiply the rate by throttleFactor on a 429, at
// most once per throttleWindow, remembering the rate that was too fast as a
// ceiling; add successStep req/s per success up to recoverFraction of the
// ceiling, then only probeStep per success, so that the rate creeps up to the
// ceiling instead of charging into it again (BenchmarkPacingGoodput in
// internal/exec: 10.9% of requests answered 429 without the ceiling, 4.2%
// with it, at the same goodput).
const (
	throttleFactor  = 0.7
	throttleWindow  = time.Second
	successStep     = 0.25
	recoverFraction = 0.9
	probeStep       = successStep / 10
	// The retry budget counts in fifths of a retry: a retry costs retryCost,
	// a successful response earns back one fifth.
	retryCost = 5
)

// Stats are counters of a Client's traffic, read with (*Client).Stats.
type Stats struct {
	// Requests is the number of attempts sent, retries included.
	Requests int64
	// Throttled is the number of 429 responses received.
	Throttled int64
	// Retries is the number of attempts that were retries.
	Retries int64
	// RetryBudgetExhausted counts failures that were not retried because the
	// retry budget was empty.
	RetryBudgetExhausted int64
	// Rate is the current request rate in req/s; 0 means unlimited.
	Rate float64
	// LowestRate is the lowest rate adaptive pacing reached (Rate when not
	// adaptive); 0 means unlimited.
	LowestRate float64
}

type pacerConfig struct {
	rate     float64 // 0: unlimited
	burst    int
	adaptive bool
	minRate  float64
	budget   int // < 0: unlimited
	now      func() time.Time
}

// pacer is the single choke point every attempt of a Client passes: the
// shared pause set by Retry-After, then the rate limiter. It also keeps the
// retry budget, the adaptive rate and the counters.
type pacer struct {
	lim      *rate.Limiter // nil: unlimited
	now      func() time.Time
	adaptive bool
	maxRate  float64
	minRate  float64

	mu           sync.Mutex
	pausedUntil  time.Time
	cur          float64
	lowest       float64
	ceiling      float64 // the rate of the last decrease; 0: none yet
	lastDecrease time.Time
	budget       int // in fifths of a retry
	budgetCap    int // < 0: unlimited

	requests, throttled, retries, exhausted atomic.Int64
}

func newPacer(cfg pacerConfig) *pacer {
	p := &pacer{
		now:       cfg.now,
		adaptive:  cfg.adaptive,
		maxRate:   cfg.rate,
		minRate:   min(cfg.minRate, cfg.rate),
		cur:       cfg.rate,
		lowest:    cfg.rate,
		budget:    cfg.budget * retryCost,
		budgetCap: cfg.budget * retryCost,
	}
	if cfg.rate > 0 {
		p.lim = rate.NewLimiter(rate.Limit(cfg.rate), max(cfg.burst, 1))
	}
	return p
}

// wait blocks until the shared pause is over and the limiter grants a token,
// or ctx ends. ctx must be the caller's context, not a per-attempt one: the
// limiter fails at once when a wait would pass a deadline.
func (p *pacer) wait(ctx context.Context, sleep func(context.Context, time.Duration) error) error {
	for {
		p.mu.Lock()
		d := p.pausedUntil.Sub(p.now())
		p.mu.Unlock()
		if d <= 0 {
			break
		}
		// The pause may be extended while we sleep: look again afterwards.
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if p.lim == nil {
		return ctx.Err()
	}
	if err := p.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Wait refuses a wait that would pass the deadline without waiting.
		return fmt.Errorf("%w: waiting for the rate limiter: %v", context.DeadlineExceeded, err)
	}
	return nil
}

// pauseUntil holds every request until t (it only ever extends the pause).
func (p *pacer) pauseUntil(t time.Time) {
	p.mu.Lock()
	if t.After(p.pausedUntil) {
		p.pausedUntil = t
	}
	p.mu.Unlock()
}

// observe records a response's status for adaptive pacing and the budget.
func (p *pacer) observe(status int) {
	if status == http.StatusTooManyRequests {
		p.throttled.Add(1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests:
		if p.adaptive {
			now := p.now()
			if p.lastDecrease.IsZero() || now.Sub(p.lastDecrease) >= throttleWindow {
				p.lastDecrease = now
				p.ceiling = p.cur
				p.setRate(max(p.minRate, p.cur*throttleFactor))
			}
		}
	case status < 500:
		if p.adaptive && p.cur < p.maxRate {
			step := successStep
			if p.ceiling > 0 && p.cur >= p.ceiling*recoverFraction {
				step = probeStep
			}
			p.setRate(min(p.maxRate, p.cur+step))
		}
		if p.budgetCap >= 0 {
			p.budget = min(p.budgetCap, p.budget+1)
		}
	}
}

// setRate changes the adaptive rate; p.mu is held.
func (p *pacer) setRate(r float64) {
	p.cur = r
	p.lowest = min(p.lowest, r)
	p.lim.SetLimit(rate.Limit(r))
}

// takeRetry spends one retry from the budget, reporting false when empty.
func (p *pacer) takeRetry() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.budgetCap < 0 {
		return true
	}
	if p.budget < retryCost {
		p.exhausted.Add(1)
		return false
	}
	p.budget -= retryCost
	return true
}

func (p *pacer) stats() Stats {
	p.mu.Lock()
	cur, lowest := p.cur, p.lowest
	p.mu.Unlock()
	return Stats{
		Requests:             p.requests.Load(),
		Throttled:            p.throttled.Load(),
		Retries:              p.retries.Load(),
		RetryBudgetExhausted: p.exhausted.Load(),
		Rate:                 cur,
		LowestRate:           lowest,
	}
}

// Stats returns the client's counters so far; safe for concurrent use.
func (c *Client) Stats() Stats { return c.pacer.stats() }

// sleepCtx waits d, or less if ctx ends first (then it returns ctx.Err()).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
