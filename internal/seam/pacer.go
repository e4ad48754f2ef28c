package seam

import (
	"context"
	"errors"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Adaptive pacing: a controller that measures. Seam publishes no limit for
// the ACS routes and nothing about how it counts, so the client finds the
// limit, from what the server answers:
//
//   - The start probes, it does not charge: startRate (or Rate if lower),
//     one request at a time, plus startGain requests/s for each success of
//     a request the rate held back, so the rate doubles about every 0.35 s
//     while nothing pushes back (TCP's slow start), up to Rate.
//   - An event is a 429 of a request sent after the last cut; 429s of
//     requests that were already on their way report the same event. The
//     estimate of the limit is the rate the refused request was sent at:
//     the server just refused what it was doing, not 70% of what we asked.
//     At the end of the start, the rate of the last request the server
//     took. Refused again within quickRepeat of the cut, the cut was not
//     deep enough: the share of the requests sent since the cut that the
//     server took, times their rate (above its limit a server takes just
//     its limit), or repeatFactor of the estimate before refineSample
//     answers; not below the plateau a probe started from (the server
//     took that for a whole hold). That is a guess, probed again soon,
//     after the start and after the first probe (which tests the start's
//     estimate). From the second probe on, not below the estimate whose
//     plateau the probe started from, and the probe's hold stays: a server
//     that allows a burst lets a probe run past its limit, so that the cut
//     after it is refused too, which is the same event, not a reason to
//     probe sooner. Refused at the plateau, below the estimate:
//     belowRefused of the rate refused when it comes within rareRefusal of
//     the last event, else a step of rareStep
//     (a limit that allows no burst refuses two requests that arrive closer
//     than its spacing, and the network does not keep the client's spacing
//     exactly: a rare 429 there is noise, not a lower limit).
//   - What the server accepted since the last cut measures the limit when
//     it is less than what it was sent and the rate never went below it:
//     the server's bucket went from empty to empty, so what it took is what
//     it allows. That is how a server that allows a burst, which lets the
//     rate run past its limit before a 429, is measured. The fate of the
//     requests on their way at the first 429 refines the estimate: if most
//     of them were refused too, the rate was far above the limit.
//   - The start measures the server's burst: how far its requests ran
//     ahead of the estimate (a bucket that drains at the estimate and
//     fills by one per request) up to its first 429. A probe refused
//     having run ahead of the estimate by no more than that (burstSlack
//     times it, plus one) met that burst, not a new limit: the estimate
//     steps up by acceptedSlack only, and the cut goes below the limit,
//     where a cut from the rate refused would be refused again only to
//     measure what is known. A burst hides a limit a few percent above
//     the estimate, so each such probe steps it up a little (as TCP's
//     congestion avoidance adds to its window each round), and one a
//     little high meets a 429 at the plateau. A start that measured fewer
//     than minBurst requests explains no probe: a server without a burst
//     refuses a probe as soon as it passes the limit, and the rate
//     refused is the limit.
//   - The cut: cutFactor of the estimate (startCut at the end of the start,
//     whose overshoot is unknown, unless the start was refused at no
//     more than nearStart x startRate). From there the rate climbs, concave
//     (CUBIC's curve towards the rate of the last throttle), to plateau x
//     the estimate in climbTime, holds, then probes past it, growing by
//     probeGrowth a second, so that a limit that rose, or an estimate that
//     was too low, is found again. The curve stands still while no request
//     waits for the rate (the planner's reads between two steps, a quiet
//     moment): a rate that is not used proves nothing. The hold is
//     startHold after the start, firstHold after a guess (a quick repeat
//     of the start's or the first probe's cut, a refinement), and doubles
//     from baseHold up to maxHold with each event at which the estimate
//     held or was measured: a steady limit is probed less and less often.
//   - The client's bucket empties at a cut (the server's is empty) and
//     holds one token from then on: no burst after a 429 or a pause.
//
// Retry-After: the request that got it waits at least that long before its
// retry. Everyone pauses only when the server says more than "you are at
// the edge": a Retry-After above edgeRetryAfter (one second is the least a
// whole-second header can say), stormThrottles 429s in a row without a
// success, or a 5xx with Retry-After (an outage).
//
// The constants were chosen with the simulation in pacer_sim_test.go and
// checked with BenchmarkPacingMatrix (cmd/acs-bulk).
const (
	startRate    = 10.0
	startGain    = 2.0
	startCut     = 0.6
	nearStart    = 1.25
	cutFactor    = 0.95
	repeatFactor = 0.85
	quickRepeat  = 500 * time.Millisecond
	plateau      = 0.975
	climbTime    = 2 * time.Second
	startHold    = 8 * time.Second
	firstHold    = 3 * time.Second
	baseHold     = 20 * time.Second
	maxHold      = 60 * time.Second
	probeGrowth  = 0.1
	// What the server accepted between two events is the estimate when
	// there are at least minAccepted of them over minSpan, it is below the
	// rate refused and trustAccepted of the rate sent, the rate never went
	// far below it and held every request back (no idle time);
	// acceptedSlack above it.
	minAccepted   = 6
	minSpan       = 500 * time.Millisecond
	acceptedSlack = 0.02
	trustAccepted = 0.97
	// After a 429 at the plateau within rareRefusal of the last event, the
	// estimate is belowRefused of the rate refused; after a rarer one,
	// rareStep of the estimate.
	belowRefused = 0.98
	rareRefusal  = 5 * time.Second
	rareStep     = 0.99
	// An event whose estimate is at least holdsWithin of the last one
	// confirms it: the hold doubles.
	holdsWithin = 0.95
	// From the settledProbes-th probe on, a probe's cut refused again
	// keeps the probe's hold and estimate floor (see cutLocked).
	settledProbes = 2
	// refineMin refusals, more than the acceptances, among the requests on
	// their way at an event, and at least refineSample answers, refine it.
	refineMin    = 2
	refineSample = 3
	// stormThrottles 429s in a row, with no success between them, are an
	// outage rather than the edge of the limit: everyone pauses.
	stormThrottles = 4
	// edgeRetryAfter is the longest Retry-After that only asks the request
	// that got it to wait.
	edgeRetryAfter = time.Second
	// The retry budget counts in fifths of a retry: a retry costs retryCost,
	// a successful response earns back one fifth.
	retryCost = 5
	// The start's burst explains a probe's 429 when it measured at least
	// minBurst requests and the probe ran ahead by at most burstSlack
	// times that, plus one; maxStartSends bounds what the start keeps.
	minBurst      = 3
	burstSlack    = 1.25
	maxStartSends = 4096
)

// ErrNotSent is wrapped by the *APIError of a call that stopped before its
// request left the client: the stop channel given with [WithStop] was
// closed while it waited for the pacer, a pause or a backoff. When
// Meta.Attempts is 0 nothing reached the server; otherwise the error also
// carries the last attempt's failure, and the retry was not sent.
var ErrNotSent = errors.New("not sent: the caller stopped")

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
	// Pauses counts the times every request was held for a Retry-After (an
	// outage, not one 429 at the edge of the limit).
	Pauses int64
	// Rate is the current request rate in req/s; 0 means unlimited.
	Rate float64
	// LowestRate is the lowest rate a 429 cut adaptive pacing to; Rate when
	// not adaptive or never throttled (the probing start does not count).
	// 0 means unlimited.
	LowestRate float64
	// Estimate is adaptive pacing's estimate of the server's limit, taken
	// at the last 429; 0 before any.
	Estimate float64
}

type pacerConfig struct {
	rate     float64 // 0: unlimited
	burst    int
	adaptive bool
	minRate  float64
	budget   int // < 0: unlimited
	clock    clock
}

// clock is the pacer's time: the real one, or a fake in tests.
type clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed, and a
	// function that stops it.
	NewTimer(d time.Duration) (<-chan time.Time, func())
	// Early is how much sooner than its slot a request's timer is set;
	// the rest of the wait yields the processor until the slot (see
	// timerEarly). 0: none.
	Early() time.Duration
}

// timerEarly is how much sooner than a request's slot the real clock's
// timer is set. Go's timers fire late, by 0.8 ms at the median, 1.1 ms at
// the 90th percentile on Linux (measured here: a 34 ms timer, idle
// process), so a rate of 30/s paced by timers alone sends 2% fewer
// requests than it says, in gaps of uneven length. The last stretch of the
// wait yields the processor until the slot instead: it costs at most this
// much CPU per request paced.
const timerEarly = time.Millisecond

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

func (realClock) Early() time.Duration { return timerEarly }

// ticket is what the pacer knows of a request that left it, for observe.
type ticket struct {
	sent time.Time
	// rate is the pacing rate when it left.
	rate float64
	// held says the rate held it back: it waited for a token.
	held bool
	// excess is how far the requests sent since the last cut ran ahead
	// of the estimate when it left, counting it (see excessLocked).
	excess float64
}

// pacer is the single choke point every attempt of a Client passes: a token
// bucket at the adaptive rate, the shared pause, the per-request waits of
// backoff and Retry-After, the stop signal. Waiters leave in arrival order.
// It also keeps the retry budget and the counters.
type pacer struct {
	clk      clock
	adaptive bool
	maxRate  float64 // 0: unlimited
	minRate  float64

	mu sync.Mutex
	// The token bucket: tokens at time filled, at most burst; filled may
	// lie in the future (the end of a pause: no refill before it).
	rate    float64
	burst   float64
	tokens  float64
	filled  time.Time
	paused  time.Time // every request waits until then
	queue   []*waiter
	changed chan struct{} // closed and replaced when rate or pause change

	// The controller.
	probing  bool      // no 429 yet: growing by startGain per success
	estimate float64   // the limit estimate of the last event; 0: none
	cutAt    time.Time // the last cut
	// curveAt is where the rate's curve starts: the last cut, moved later
	// by every moment no request waited (the rate was not used, so it
	// proved nothing and must not grow).
	curveAt time.Time
	idleAt  time.Time // the queue has been empty since; zero when not
	// adjustedAt is the last cut or refinement: a 429 of a request sent
	// before it reports what is already known.
	adjustedAt time.Time
	// hold is how long the rate stays at the plateau before it probes:
	// baseHold, doubled by each probe that failed near the estimate, so
	// that a limit that holds still is probed less and less often.
	hold    time.Duration
	cutRate float64 // the rate the last cut set
	// floor is the plateau a probe started from, which the server took for
	// a whole hold; probeFloor is that of the probe the last event ended,
	// under which a quick repeat does not go.
	floor, probeFloor float64
	// probes counts the events that ended a probe.
	probes int
	// The server's burst, as the start measured it: the start's sends up to
	// its first 429 (at most maxStartSends), then, at the first probe's
	// event, how far they ran ahead of the estimate (startBurst; < 0 until
	// then).
	startSends []time.Time
	startBurst float64
	// excess is the requests sent since the last cut beyond the estimate's
	// rate, as a bucket draining at the estimate, at excessAt.
	excess   float64
	excessAt time.Time
	lowest   float64
	// The last event: the 429 of a request sent at evSent. The fate of the
	// requests sent after it and before the cut refines the estimate.
	evSent      time.Time
	evOK, evRej int
	evRateSum   float64
	inARow      int     // 429s since the last success
	okRate      float64 // the rate the last request the server took was sent at
	// win is what the server answered to the requests sent since the
	// last cut or refinement.
	win        window
	budget     int // in fifths of a retry
	budgetCap  int // < 0: unlimited
	throttledN int64

	requests, retries, exhausted, pauses atomic.Int64

	// onQueue, when set (tests), is called as a request joins the queue.
	onQueue func()
}

// window counts the answers to the requests sent since the last cut or
// refinement: between two 429s the server's bucket went from empty to
// empty, so what it took there is what it allows.
type window struct {
	// All answers, 429s included, the sum of their requests' rates, and
	// when the latest of them was sent: what the server was sent.
	all      int
	rateSum  float64
	lastSent time.Time
	// The successes, and when the latest of them was sent: what it took.
	ok     int
	lastOK time.Time
	idle   bool // one of the successes was not held back by the rate
}

func (w *window) add(t ticket, ok bool) {
	w.all++
	w.rateSum += t.rate
	w.lastSent = maxTime(w.lastSent, t.sent)
	if ok {
		w.ok++
		w.lastOK = maxTime(w.lastOK, t.sent)
		w.idle = w.idle || !t.held
	}
}

// waiter is one request in the pacer's queue; turn is closed when it is at
// the head.
type waiter struct{ turn chan struct{} }

func newPacer(cfg pacerConfig) *pacer {
	if cfg.clock == nil {
		cfg.clock = realClock{}
	}
	p := &pacer{
		clk:        cfg.clock,
		adaptive:   cfg.adaptive && cfg.rate > 0,
		maxRate:    cfg.rate,
		minRate:    min(cfg.minRate, cfg.rate),
		rate:       cfg.rate,
		burst:      float64(max(cfg.burst, 1)),
		lowest:     cfg.rate,
		budget:     cfg.budget * retryCost,
		budgetCap:  cfg.budget * retryCost,
		changed:    make(chan struct{}),
		hold:       firstHold,
		startBurst: -1,
	}
	p.tokens = p.burst
	p.filled = p.clk.Now()
	if p.adaptive {
		p.probing = true
		p.rate = max(min(cfg.rate, startRate), p.minRate)
	}
	return p
}

// errStopped is wait's error when the stop channel closed first.
var errStopped = errors.New("stopped while waiting")

// wait blocks until a request may leave: not before notBefore (its own
// backoff or Retry-After), not during the shared pause, and when the token
// bucket has a token for it, after the requests that came before it. It
// returns errStopped when stop is closed first and ctx.Err() when ctx ends.
// It returns the time it waited in every case.
func (p *pacer) wait(ctx context.Context, stop <-chan struct{}, notBefore time.Time) (ticket, time.Duration, error) {
	start := p.clk.Now()
	waited := func() time.Duration { return p.clk.Now().Sub(start) }
	// Its own wait first: a request waiting out a Retry-After does not hold
	// up the queue.
	if d := notBefore.Sub(start); d > 0 {
		if err := p.sleep(ctx, stop, d, nil); err != nil {
			return ticket{}, waited(), err
		}
	}
	if err := stopped(ctx, stop); err != nil {
		return ticket{}, waited(), err
	}

	w := &waiter{turn: make(chan struct{})}
	p.mu.Lock()
	p.queue = append(p.queue, w)
	if len(p.queue) == 1 {
		close(w.turn)
		p.busyLocked(p.clk.Now())
	}
	p.mu.Unlock()
	defer p.leave(w)
	if p.onQueue != nil {
		p.onQueue()
	}

	// A request that waits for its turn is held back by the rate too.
	held := false
	select {
	case <-w.turn:
	default:
		held = true
		select {
		case <-w.turn:
		case <-stop:
			return ticket{}, waited(), errStopped
		case <-ctx.Done():
			return ticket{}, waited(), ctx.Err()
		}
	}
	for {
		p.mu.Lock()
		now := p.clk.Now()
		// Checked under the lock, so that a request does not leave once
		// the stop has been seen by anyone.
		if err := stopped(ctx, stop); err != nil {
			p.mu.Unlock()
			return ticket{}, waited(), err
		}
		at := p.nextLocked(now)
		if !at.After(now) {
			t := p.takeLocked(now, held)
			p.mu.Unlock()
			return t, waited(), nil
		}
		if !now.Before(p.paused) {
			held = true // waiting for a token, not for a pause
		}
		changed := p.changed
		p.mu.Unlock()

		early := p.clk.Early()
		if at.Sub(now) <= early {
			// The last stretch: a timer would fire late.
			if err := p.yieldUntil(ctx, stop, at, changed); err != nil {
				return ticket{}, waited(), err
			}
			continue
		}
		if err := p.sleep(ctx, stop, at.Sub(now)-early, changed); err != nil {
			return ticket{}, waited(), err
		}
	}
}

// yieldUntil yields the processor until t on the pacer's clock, or until
// wake is closed; it returns errStopped when stop is closed first and
// ctx.Err() when ctx ends first.
func (p *pacer) yieldUntil(ctx context.Context, stop <-chan struct{}, t time.Time, wake <-chan struct{}) error {
	for p.clk.Now().Before(t) {
		select {
		case <-wake:
			return nil
		default:
		}
		if err := stopped(ctx, stop); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}

// sleep waits d on the pacer's clock, or until wake is closed (a nil wake
// never is). It returns errStopped when stop is closed first and ctx.Err()
// when ctx ends first.
func (p *pacer) sleep(ctx context.Context, stop <-chan struct{}, d time.Duration, wake <-chan struct{}) error {
	c, stopTimer := p.clk.NewTimer(d)
	defer stopTimer()
	select {
	case <-c:
		return nil
	case <-wake:
		return nil
	case <-stop:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopped reports errStopped or ctx's error if either is done.
func stopped(ctx context.Context, stop <-chan struct{}) error {
	select {
	case <-stop:
		return errStopped
	default:
	}
	return ctx.Err()
}

// leave removes w from the queue and hands the turn to the next waiter.
func (p *pacer) leave(w *waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.queue {
		if x == w {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			if i == 0 && len(p.queue) > 0 {
				close(p.queue[0].turn)
			}
			if len(p.queue) == 0 {
				p.idleAt = p.clk.Now()
			}
			return
		}
	}
}

// busyLocked is called when a request joins an empty queue: the time
// since the queue emptied did not use the rate, and the curve does not
// advance for it.
func (p *pacer) busyLocked(now time.Time) {
	if !p.idleAt.IsZero() {
		if idle := now.Sub(p.idleAt); idle > 0 && !p.curveAt.IsZero() {
			p.curveAt = p.curveAt.Add(idle)
		}
		p.idleAt = time.Time{}
	}
}

// refillLocked brings the bucket up to now.
func (p *pacer) refillLocked(now time.Time) {
	if now.After(p.filled) {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.filled).Seconds()*p.rate)
		p.filled = now
	}
}

// nextLocked returns when the head of the queue may leave.
func (p *pacer) nextLocked(now time.Time) time.Time {
	if p.adaptive {
		p.followLocked(now)
	}
	at := maxTime(now, p.paused)
	if p.maxRate == 0 {
		return at
	}
	// The tokens at time at: the bucket does not fill before p.filled.
	tokens := p.tokens
	if at.After(p.filled) {
		tokens = min(p.burst, tokens+at.Sub(p.filled).Seconds()*p.rate)
	}
	if tokens >= 1 {
		return at
	}
	return at.Add(time.Duration((1 - tokens) / p.rate * float64(time.Second)))
}

// takeLocked lets a request leave at now.
func (p *pacer) takeLocked(now time.Time, held bool) ticket {
	if p.maxRate > 0 {
		p.refillLocked(now)
		p.tokens--
	}
	t := ticket{sent: now, rate: p.rate, held: held}
	if p.adaptive {
		if p.cutAt.IsZero() && len(p.startSends) < maxStartSends {
			p.startSends = append(p.startSends, now)
		}
		t.excess = p.excessLocked(now)
	}
	return t
}

// excessLocked counts a request sent at now in the excess: a bucket that
// drains at the estimate and fills by one per request, which is how far
// the requests ran ahead of the estimate (a server that counts with a
// token bucket at that rate refuses them beyond its burst).
func (p *pacer) excessLocked(now time.Time) float64 {
	p.excess = ahead(p.excess, now.Sub(p.excessAt), p.estimate)
	p.excessAt = now
	return p.excess
}

// ahead is how far requests ran ahead of rate: q before, then one more
// request d later (a bucket that drains at rate and fills by one).
func ahead(q float64, d time.Duration, rate float64) float64 {
	return max(0, q-d.Seconds()*rate) + 1
}

// burstExplainsLocked reports whether the 429 of a probe's request t is
// the burst the start measured, at the estimate: the probe ran ahead of
// the estimate by no more than the start did before its first 429, so the
// server's bucket is the one the start found and the limit has not moved.
func (p *pacer) burstExplainsLocked(t ticket) bool {
	if p.startBurst < 0 {
		// The start's sends, at the estimate the first probe started from.
		q := 0.0
		for i, s := range p.startSends {
			if i > 0 {
				q = ahead(q, s.Sub(p.startSends[i-1]), p.estimate)
			} else {
				q = 1
			}
			p.startBurst = max(p.startBurst, q)
		}
		p.startSends = nil
	}
	return p.startBurst >= minBurst && t.excess <= p.startBurst*burstSlack+1
}

// setRateLocked changes the bucket's rate from now on.
func (p *pacer) setRateLocked(now time.Time, r float64) {
	if r == p.rate {
		return
	}
	p.refillLocked(now)
	p.rate = r
	p.signalLocked()
}

// signalLocked wakes the head of the queue to look again.
func (p *pacer) signalLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// pauseLocked holds every request until t (it only ever extends the pause);
// when it ends there is at most one token, whatever the burst.
func (p *pacer) pauseLocked(now, t time.Time) {
	if !t.After(p.paused) || !t.After(now) {
		return
	}
	p.pauses.Add(1)
	p.refillLocked(now)
	p.paused = t
	p.tokens = min(p.tokens, 1)
	p.filled = maxTime(p.filled, t)
	p.signalLocked()
}

// followLocked moves the adaptive rate along its curve to now: from the
// cut up to plateau x the estimate in climbTime, concave (fast, then
// slowing: CUBIC's curve towards the rate of the last 429), a hold there,
// then an exponential probe past it, so that a limit that rose, or an
// estimate that was too low, is found again quickly.
func (p *pacer) followLocked(now time.Time) {
	if p.probing || p.estimate == 0 {
		return
	}
	// Time while idle does not count (see curveAt); nor does it while
	// idle now, which the next request to join the queue accounts for.
	at := now
	if !p.idleAt.IsZero() && p.idleAt.Before(now) {
		at = p.idleAt
	}
	t := at.Sub(p.curveAt).Seconds()
	top := p.estimate * plateau
	r := top
	switch x := t/climbTime.Seconds() - 1; {
	case x < 0:
		r = top + (top-p.cutRate)*x*x*x
	case t > climbTime.Seconds()+p.hold.Seconds():
		// The plateau held for the whole hold: the limit is at least there.
		p.floor = top
		r = top * math.Pow(1+probeGrowth, min(t-climbTime.Seconds()-p.hold.Seconds(), 60))
	}
	p.setRateLocked(now, p.clampLocked(max(r, p.cutRate)))
}

func (p *pacer) clampLocked(r float64) float64 {
	return min(p.maxRate, max(p.minRate, r))
}

// outcome is what observe decided about a response.
type outcome struct {
	// pauseAll says everyone must wait until the response's Retry-After.
	pauseAll bool
	// adjusted says the response changed the estimate of the limit.
	adjusted bool
	// estimate and rate are the estimate of the limit and the rate after
	// the response.
	estimate, rate float64
}

// observe records a response for adaptive pacing, the retry budget and the
// counters: status 0 means no response. retryAfter is the response's
// Retry-After, if hasRetryAfter.
func (p *pacer) observe(t ticket, status int, retryAfter time.Duration, hasRetryAfter bool) (out outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clk.Now()
	before := p.adjustedAt
	defer func() {
		out.adjusted = p.adjustedAt != before
		out.estimate, out.rate = p.estimate, p.rate
	}()
	if p.adaptive && !p.cutAt.IsZero() && t.sent.After(p.evSent) && !t.sent.After(p.cutAt) {
		// A request that was on its way when the limit was hit: how many
		// of them the server still took says how far above it we were.
		// A 5xx or no answer says nothing of the limit.
		switch {
		case status == http.StatusTooManyRequests:
			p.evRej++
			p.evRateSum += t.rate
		case status > 0 && status < 500:
			p.evOK++
			p.evRateSum += t.rate
		}
		if n := p.evOK + p.evRej; n >= refineSample && p.evRej >= refineMin && p.evOK <= p.evRej {
			est := p.evRateSum / float64(n) * max(float64(p.evOK), 0.5) / float64(n)
			if est < p.estimate {
				p.estimate = p.clampLocked(est)
				p.cutRate = p.clampLocked(p.estimate * cutFactor)
				p.lowest = min(p.lowest, p.cutRate)
				p.setRateLocked(now, min(p.rate, p.cutRate))
				// The next request leaves a whole spacing of the new
				// rate after the last one: at the old rate's spacing it
				// would be refused for what is already known.
				p.tokens = min(p.tokens, 0)
				p.adjustedAt, p.curveAt = now, now
				p.hold = firstHold // a guess from a few answers
				p.win = window{}
				p.excess, p.excessAt = 0, now
			}
		}
	}
	switch {
	case status == http.StatusTooManyRequests:
		p.throttledN++
		p.inARow++
		storm := p.inARow >= stormThrottles
		if t.sent.After(p.adjustedAt) {
			p.win.add(t, false)
		}
		if hasRetryAfter && (retryAfter > edgeRetryAfter || storm) {
			out.pauseAll = true
			p.pauseLocked(now, now.Add(retryAfter))
		}
		if p.adaptive && (p.cutAt.IsZero() || t.sent.After(p.adjustedAt)) {
			p.cutLocked(now, t)
		}
	case status == 0 || status >= 500:
		if hasRetryAfter {
			out.pauseAll = true
			p.pauseLocked(now, now.Add(retryAfter))
		}
	default:
		// Any answer but 429 and 5xx, a 404 included, says the server
		// keeps up.
		p.inARow = 0
		p.okRate = t.rate
		if t.sent.After(p.adjustedAt) {
			p.win.add(t, true)
		}
		if p.adaptive && p.probing && t.held {
			p.setRateLocked(now, p.clampLocked(p.rate+startGain))
		}
		if p.budgetCap >= 0 {
			p.budget = min(p.budgetCap, p.budget+1)
		}
	}
	return out
}

// cutLocked lowers the rate after a 429 of a request t sent after the last
// cut: the limit is near the rate it was sent at (less the last step of
// the probing start, which is what crossed it), and the rate goes to
// cutFactor of that.
func (p *pacer) cutLocked(now time.Time, t ticket) {
	est := t.rate
	wasProbing := p.probing
	measured := false
	switch {
	case wasProbing:
		// The limit lies between the rate of the last request the server
		// took and the rate it refused; requests are on their way at both.
		est = max(min(p.okRate, est), est*0.5)
		p.hold = startHold
	case now.Sub(p.cutAt) < quickRepeat || t.rate <= p.cutRate*1.02:
		// Refused again right after the cut: it was not deep enough.
		est = min(est, p.estimate) * repeatFactor
		if w := p.win; w.all >= refineSample {
			// The share the server took of what was sent since the cut,
			// at the rate it was sent: above its limit, a server takes
			// just its limit.
			est = min(t.rate, p.estimate, w.rateSum/float64(w.all)*float64(w.ok)/float64(w.all))
		}
		if p.probeFloor > 0 && p.probes >= settledProbes {
			// The cut ended a probe, not the first: the server took the
			// plateau it started from for a whole hold, and that
			// estimate has been probed before. A server that allows a
			// burst lets a probe run past its limit, so that the cut
			// after it is refused too: the same event, not a reason to
			// probe sooner. The estimate is at least the one the probe
			// started from, and the hold the probe's event set stays.
			est = max(est, p.probeFloor/plateau)
		} else {
			// A guess, probed again soon (the first probe tests the
			// start's estimate, which came from a few answers); not
			// below the plateau a probe started from.
			est = max(est, p.probeFloor)
			p.hold = firstHold
		}
	default:
		if w, span := p.win, p.win.lastOK.Sub(p.adjustedAt); span >= minSpan && w.ok >= minAccepted {
			// Between two 429s the server's bucket went from empty to
			// empty: it took what it allows, less what it could not store
			// while the rate was below the limit. When that is below the
			// rate just refused, the server allows a burst that let the
			// rate run past its limit, and what it took is the limit.
			// What it took tells the limit only when it is less than what
			// it was sent.
			acc := float64(w.ok) / span.Seconds()
			sent := float64(w.all) / w.lastSent.Sub(p.adjustedAt).Seconds()
			if acc < t.rate && acc < sent*trustAccepted && p.cutRate >= acc*0.95 && !w.idle {
				est = min(est, acc*(1+acceptedSlack))
				measured = true
			}
		}
		if !measured && p.floor > 0 && t.rate > p.estimate && p.burstExplainsLocked(t) {
			// A probe refused having run ahead of the estimate by no
			// more than the start did: the server's burst let it run
			// past the limit, which has not moved by more than a burst
			// can hide. Cut from the rate refused, it would be refused
			// again, only to measure what is known. A step up by
			// acceptedSlack, as TCP's congestion avoidance adds to its
			// window each round: an estimate a little low rises probe
			// by probe, one a little high meets a 429 at the plateau.
			est = p.estimate * (1 + acceptedSlack)
			measured = true
		}
		switch {
		case measured || t.rate > p.estimate:
		case now.Sub(p.cutAt) < rareRefusal:
			// Refused at the plateau again soon: the limit is below the
			// rate refused.
			est = t.rate * belowRefused
		default:
			// Refused at the plateau once in a while: arrivals bunch up
			// (a limit that allows no burst refuses two requests closer
			// than its spacing, and the network does not keep the
			// client's spacing exactly), or the estimate is a little
			// high. A small step down; the plateau keeps its margin.
			est = max(t.rate, p.estimate*rareStep)
		}
		if measured || est >= p.estimate*holdsWithin {
			// The estimate held for a while; probe less often.
			p.hold = min(max(2*p.hold, baseHold), maxHold)
		} else {
			p.hold = firstHold
		}
	}
	if p.floor > 0 {
		p.probes++
	}
	p.probeFloor, p.floor = p.floor, 0
	est = p.clampLocked(est)
	p.probing = false
	p.estimate = est
	p.cutAt, p.adjustedAt, p.curveAt = now, now, now
	p.evSent, p.evOK, p.evRej, p.evRateSum = t.sent, 0, 0, 0
	p.win = window{}
	p.excess, p.excessAt = 0, now
	factor := cutFactor
	if wasProbing {
		// The first 429 may come far above the limit (a server that allows
		// a burst let the probing start run past it): cut deeper, as TCP
		// does at the end of its slow start, and climb back.
		factor = startCut
		if t.rate <= startRate*nearStart {
			// Refused before it had grown by much (a limit near the
			// start's rate, which allows no burst): it cannot have run
			// far past the limit, and the deeper cut would only cost
			// the climb back.
			factor = cutFactor
		}
		// The start's sends up to its first 429 measure its burst.
		for len(p.startSends) > 0 && p.startSends[len(p.startSends)-1].After(t.sent) {
			p.startSends = p.startSends[:len(p.startSends)-1]
		}
	}
	p.cutRate = p.clampLocked(est * factor)
	p.lowest = min(p.lowest, p.cutRate)
	// The server's bucket is empty: so is ours.
	p.refillLocked(now)
	p.burst = 1
	p.tokens = min(p.tokens, 0)
	p.setRateLocked(now, p.cutRate)
	p.signalLocked()
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
	defer p.mu.Unlock()
	rate := p.rate
	if p.maxRate == 0 {
		rate = 0
	}
	return Stats{
		Requests:             p.requests.Load(),
		Throttled:            p.throttledN,
		Retries:              p.retries.Load(),
		RetryBudgetExhausted: p.exhausted.Load(),
		Pauses:               p.pauses.Load(),
		Rate:                 rate,
		LowestRate:           p.lowest,
		Estimate:             p.estimate,
	}
}

// Stats returns the client's counters so far; safe for concurrent use.
func (c *Client) Stats() Stats { return c.pacer.stats() }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
