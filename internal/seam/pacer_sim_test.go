package seam

import (
	"container/heap"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// The pacer against a simulated rate-limited server, on a simulated clock:
// deterministic, no goroutines, no sleeps. The server counts as the
// sandbox does (a token bucket of the limit with a burst, checked when a
// request arrives, 429 with a whole-second Retry-After of at least 1), the
// client is n workers sending through the pacer's own scheduling and
// controller code, as do.go does (a 429 waits its Retry-After, then queues
// again; 5 attempts), first the planning reads, phase after phase as
// live.Read sends them, then the writes. A request counts as held back
// only when it waited in the pacer, as in wait. So modelled, it gives the
// CLI's traces again. With an earlier version of the controller, at 30/s
// with no burst and --rate 150 the real run's estimates were 36 and
// 23.8/s at 1.1 and 1.4 s, then 29.7 at 9.1 s; the simulation's 36 and
// 23.8 at 1.2 and 1.5 s, then 30.2 at 9.3 s. At 10/s with a burst of 5 and
// --rate 20: 20, 14.1, 10.1, 12.1, 9.9, 12.6, 9.7 against 20, 14.1, 10.1,
// 12.0, 9.9, 12.7, 10.1.

// simClock is a clock the simulation moves.
type simClock struct{ t time.Time }

func (c *simClock) Now() time.Time { return c.t }

func (c *simClock) Early() time.Duration { return 0 }

func (c *simClock) NewTimer(time.Duration) (<-chan time.Time, func()) {
	panic("the simulation drives the pacer's core, not wait")
}

// simServer is the sandbox's limiter: a token bucket filled at limit/s up
// to burst, full at the start.
type simServer struct {
	limit  float64
	burst  float64
	tokens float64
	at     time.Time
}

// arrive decides a request arriving at t: accepted, or 429 with the whole
// seconds until a token.
func (s *simServer) arrive(t time.Time) (ok bool, retryAfter time.Duration) {
	s.tokens = min(s.burst, s.tokens+t.Sub(s.at).Seconds()*s.limit)
	s.at = t
	if s.tokens >= 1 {
		s.tokens--
		return true, 0
	}
	secs := max(1, int(math.Ceil((1-s.tokens)/s.limit)))
	return false, time.Duration(secs) * time.Second
}

type simEventKind int

const (
	simArrive  simEventKind = iota // a request reaches the server
	simRespond                     // its response reaches the client
	simReady                       // a worker's own wait is over
	simWake                        // the pacer's next slot
)

type simEvent struct {
	at     time.Time
	seq    int
	kind   simEventKind
	worker int
}

type simEvents []simEvent

func (h simEvents) Len() int { return len(h) }
func (h simEvents) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h simEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *simEvents) Push(x any)   { *h = append(*h, x.(simEvent)) }
func (h *simEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// simCase is one cell: the server's limit and burst, the client's rate,
// the requests to make.
type simCase struct {
	limit      float64
	burst      int
	clientRate float64
	requests   int
	// reads are the planning reads before the requests, in phases: each
	// phase starts when the ones before it are done (the members of the
	// third phase once the managed groups of the second are known), and
	// the requests when the last is (the plan needs every read). nil:
	// none.
	reads   []int
	workers int
	// told: the client is not adaptive; it paces at clientRate, as one
	// told the server's limit would.
	told    bool
	latency time.Duration
	// lag draws how long a request takes from the pacer to the server's
	// limiter (the network, the scheduling of both sides).
	lag  func(*rand.Rand) time.Duration
	seed uint64
	// trace, when set, receives a line per cut.
	trace func(format string, args ...any)
}

// simResult is what a simulated run measured.
type simResult struct {
	elapsed   time.Duration
	accepted  int
	throttled int
	sent      int
	failed    int
}

func (r simResult) goodput(limit float64) float64 {
	return float64(r.accepted) / r.elapsed.Seconds() / limit
}

func (r simResult) share429() float64 { return float64(r.throttled) / float64(r.sent) }

// simulate runs c through the pacer as an adaptive client with burst 1;
// as a client told the limit (not adaptive, at c.clientRate) when c.told.
func simulate(c simCase) simResult {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &simClock{t: t0}
	p := newPacer(pacerConfig{rate: c.clientRate, burst: 1, adaptive: !c.told, minRate: DefaultMinRate, budget: -1, clock: clk})
	srv := &simServer{limit: c.limit, burst: float64(c.burst), tokens: float64(c.burst), at: t0}
	rng := rand.New(rand.NewPCG(c.seed, 1))

	var events simEvents
	seq := 0
	push := func(at time.Time, kind simEventKind, w int) {
		seq++
		heap.Push(&events, simEvent{at: at, seq: seq, kind: kind, worker: w})
	}
	type worker struct {
		attempts int
		tk       ticket
		ok       bool
		ra       time.Duration
		joined   time.Time // when it joined the pacer's queue
		phase    int
	}
	workers := make([]worker, c.workers)
	var queue []int // workers waiting in the pacer, in order
	// join queues w, as wait does: joining an empty queue ends an idle
	// time, which the rate's curve does not count.
	join := func(w int) {
		if len(queue) == 0 {
			p.mu.Lock()
			p.busyLocked(clk.t)
			p.mu.Unlock()
		}
		workers[w].joined = clk.t
		queue = append(queue, w)
	}
	// The phases: the reads', then the requests'. A phase starts when the
	// phases before it are done, except the members (the third read
	// phase), which start once the managed groups are known: live.Read
	// sends the groups, unmanaged groups and users of each system in that
	// order, so the last system's managed list is the (3(S-1)+1)th answer
	// of the phase before.
	phases := append(append([]int(nil), c.reads...), c.requests)
	total := 0
	for _, n := range phases {
		total += n
	}
	started := make([]int, len(phases))
	completed := make([]int, len(phases))
	startable := func(i int) bool {
		if i == 2 && i < len(c.reads) {
			return completed[1] >= c.reads[1]-2
		}
		for j := range i {
			if completed[j] < phases[j] {
				return false
			}
		}
		return true
	}
	var res simResult
	done := 0
	var idle []int // workers with nothing to start until a phase can
	// start gives w the next request of the first phase that can start
	// one, or leaves it idle.
	start := func(w int) {
		for i := range phases {
			if started[i] < phases[i] && startable(i) {
				started[i]++
				workers[w] = worker{phase: i}
				join(w)
				return
			}
		}
		idle = append(idle, w)
	}
	finish := func(w int) {
		done++
		completed[workers[w].phase]++
		waiting := append(idle, w)
		idle = nil
		for _, x := range waiting {
			start(x)
		}
	}
	for w := range c.workers {
		start(w)
	}
	var wakeAt time.Time
	dispatch := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for len(queue) > 0 {
			at := p.nextLocked(clk.t)
			if at.After(clk.t) {
				if wakeAt.IsZero() || at.Before(wakeAt) || !wakeAt.After(clk.t) {
					wakeAt = at
					push(at, simWake, -1)
				}
				return
			}
			w := queue[0]
			queue = queue[1:]
			if len(queue) == 0 {
				p.idleAt = clk.t
			}
			// Held: it waited for the rate (it left after it joined).
			workers[w].tk = p.takeLocked(clk.t, clk.t.After(workers[w].joined))
			workers[w].attempts++
			res.sent++
			push(clk.t.Add(c.lag(rng)), simArrive, w)
		}
	}
	dispatch()
	var lastSample time.Time
	for events.Len() > 0 && done < total {
		ev := heap.Pop(&events).(simEvent)
		clk.t = ev.at
		w := ev.worker
		switch ev.kind {
		case simArrive:
			workers[w].ok, workers[w].ra = srv.arrive(ev.at)
			push(workers[w].tk.sent.Add(c.latency), simRespond, w)
		case simRespond:
			if workers[w].ok {
				res.accepted++
				p.observe(workers[w].tk, http.StatusOK, 0, false)
				finish(w)
				break
			}
			res.throttled++
			before := p.cutAt
			p.observe(workers[w].tk, http.StatusTooManyRequests, workers[w].ra, true)
			if c.trace != nil {
				c.trace("%6.2fs 429 sent %6.2fs at %5.1f/s; new event %v: estimate %5.1f, rate %5.1f",
					clk.t.Sub(t0).Seconds(), workers[w].tk.sent.Sub(t0).Seconds(), workers[w].tk.rate, p.cutAt != before, p.estimate, p.rate)
			}
			if workers[w].attempts >= DefaultMaxAttempts {
				res.failed++
				finish(w)
				break
			}
			push(ev.at.Add(workers[w].ra), simReady, w)
		case simReady:
			join(w)
		case simWake:
		}
		if c.trace != nil && clk.t.Sub(lastSample) >= 500*time.Millisecond {
			lastSample = clk.t
			c.trace("%6.2fs rate %5.1f done %d", clk.t.Sub(t0).Seconds(), p.rate, done)
		}
		dispatch()
	}
	res.elapsed = clk.t.Sub(t0)
	return res
}

// TestPacerAgainstSimulatedLimits runs issue 11's matrix on the simulated
// clock: server limits 10, 20 and 30/s, bursts 1, 5 and the limit, the
// client's --rate 2 and 5 times the limit, the cell's planning reads, then
// limit x 20 requests, at the latencies of simRuns and the measured lag
// from the pacer to the server (simLag). The goal (0.95 of the
// limit, 2% of 429s) is measured through the CLI by BenchmarkPacingMatrix;
// this guards the controller's behaviour, deterministically, against what
// a client told the limit gets in the same cell (paced at plateau x the
// limit, as the adaptive rate is once it knows): every cell, averaged over
// the latencies, within toldMargin of it, at most 5% of requests answered
// 429, none failed.
func TestPacerAgainstSimulatedLimits(t *testing.T) {
	const toldMargin = 0.1
	simMatrixAgainstTold(t, 20, toldMargin, 0.05)
}

// simRuns are the latencies and seeds of the lag a cell of
// simMatrixAgainstTold is averaged over. One run is too deterministic:
// its outcome can turn on where the start's first 429 falls, on a planning
// read (which holds up the whole plan for a second) or on a write (which
// holds up only that write).
var simRuns = []struct {
	latency time.Duration
	seed    uint64
}{{90 * time.Millisecond, 1}, {95 * time.Millisecond, 2}, {100 * time.Millisecond, 7}, {105 * time.Millisecond, 4}, {110 * time.Millisecond, 5}}

// simMatrixAgainstTold runs the matrix's cells with limit x seconds
// requests, adaptive at 2 and 5 times the limit, and fails a cell whose
// goodput is more than margin below a client told the limit, whose share
// of 429s is above max429, or that failed a request, each averaged over
// simRuns (failures summed).
func simMatrixAgainstTold(t *testing.T, seconds int, margin, max429 float64) {
	t.Helper()
	n := float64(len(simRuns))
	for _, limit := range []float64{10, 20, 30} {
		for _, burst := range []int{1, 5, int(limit)} {
			cell := func(told bool, rate float64) (goodput, share429 float64, throttled, sent, failed int) {
				for _, run := range simRuns {
					r := simulate(simCase{limit: limit, burst: burst, clientRate: rate, requests: int(limit) * seconds, reads: simReads(limit),
						workers: 8, latency: run.latency, lag: simLag, seed: run.seed, told: told})
					goodput += r.goodput(limit) / n
					share429 += r.share429() / n
					throttled, sent, failed = throttled+r.throttled, sent+r.sent, failed+r.failed
				}
				return goodput, share429, throttled, sent, failed
			}
			told, _, _, _, _ := cell(true, limit*plateau)
			for _, times := range []float64{2, 5} {
				g, share, throttled, sent, failed := cell(false, limit*times)
				name := fmt.Sprintf("limit=%v/burst=%d/rate=%vx", limit, burst, times)
				t.Logf("%s: goodput %.3f (told the limit: %.3f), 429s %d of %d (%.2f%%), failed %d",
					name, g, told, throttled, sent, 100*share, failed)
				if g < told-margin || share > max429 || failed > 0 {
					t.Errorf("%s: goodput %.3f (want >= %.3f), 429s %.2f%% (want <= %v%%), %d failed (want 0)",
						name, g, told-margin, 100*share, 100*max429, failed)
				}
			}
		}
	}
}

// TestPacerSimTrace prints one simulated cell's events and rate, for
// tuning: go test -run PacerSimTrace -v ./internal/seam -args -sim=LIMIT,BURST,RATE
func TestPacerSimTrace(t *testing.T) {
	if *simFlag == "" {
		t.Skip("no -sim")
	}
	var limit, rate float64
	var burst int
	if _, err := fmt.Sscanf(*simFlag, "%v,%d,%v", &limit, &burst, &rate); err != nil {
		t.Fatal(err)
	}
	r := simulate(simCase{limit: limit, burst: burst, clientRate: rate, requests: int(limit) * 20, reads: simReads(limit),
		workers: 8, latency: 100 * time.Millisecond, lag: simLag, seed: 7, trace: t.Logf})
	t.Logf("goodput %.3f, 429s %d of %d, failed %d, %.1f s", r.goodput(limit), r.throttled, r.sent, r.failed, r.elapsed.Seconds())
}

// simReads are the planning reads of BenchmarkPacingMatrix's cell at
// limit, in the phases of live.Read, as its traces show them: the systems;
// the groups, unmanaged groups and users of each system read; the members
// of the groups the adds touch (4 groups of one system at 10/s, 8 and 9
// groups of two at 20 and 30/s). The members start once the managed
// groups are known, as in live.Read (see simulate).
func simReads(limit float64) []int {
	switch {
	case limit <= 10:
		return []int{1, 3, 4}
	case limit <= 20:
		return []int{1, 6, 8}
	default:
		return []int{1, 6, 9}
	}
}

var simFlag = flag.String("sim", "", "limit,burst,rate of TestPacerSimTrace")

// simLag is the time from the pacer to the sandbox's limiter as measured
// on loopback, the CLI's transport, 8 workers at 29 and 29.5/s against a
// limit of 30/s with no burst (600 requests each): median 0.30 ms, 90th
// percentile 0.46-0.50 ms, 99th 0.69-0.75 ms, the longest 2.2-3.1 ms. It is
// 0.2 ms plus an exponential of mean 0.1 ms, and for 0.5% of requests up to
// 2.5 ms more (a scheduling delay, a collection).
func simLag(rng *rand.Rand) time.Duration {
	d := 200*time.Microsecond + time.Duration(rng.ExpFloat64()*float64(100*time.Microsecond))
	if rng.Float64() < 0.005 {
		d += time.Duration(rng.Int64N(int64(2500 * time.Microsecond)))
	}
	return d
}

// TestPacerLongRunProbesLessOften runs the matrix's cells for 300 seconds
// (limit x 300 requests), as a nightly run of a few thousand changes
// lasts: a steady limit is probed less and less often, so at most
// longRun429s of the requests draw a 429, and the goodput stays within
// longRunMargin of a client told the limit.
func TestPacerLongRunProbesLessOften(t *testing.T) {
	const longRun429s, longRunMargin = 0.01, 0.05
	simMatrixAgainstTold(t, 300, longRunMargin, longRun429s)
}
