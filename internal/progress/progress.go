// Package progress shows how far a run has got: a progress bar when stderr
// is a terminal, otherwise a log line at a fixed interval, and in both cases
// a summary line when the run ends.
//
// A [Reporter] is fed one [report.Record] per finished operation, from many
// goroutines at once (it is the executor's OnDone hook).
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/acs-bulk/acs-bulk/internal/report"
)

// DefaultInterval is how often the non-terminal reporter logs progress.
const DefaultInterval = 10 * time.Second

// Reporter follows a run. Its methods are safe for concurrent use.
type Reporter interface {
	// Done counts a finished operation.
	Done(report.Record)
	// Finish stops the display and logs the summary; later calls do nothing.
	Finish()
}

// Option configures [New].
type Option func(*config)

type config struct {
	interval time.Duration
	tick     <-chan time.Time
	now      func() time.Time
}

// WithInterval sets how often the non-terminal reporter logs progress
// (DefaultInterval when not given).
func WithInterval(d time.Duration) Option {
	return func(c *config) { c.interval = d }
}

// WithTicker makes the non-terminal reporter log progress on each value
// received from tick instead of on a timer of its own (for tests).
func WithTicker(tick <-chan time.Time) Option {
	return func(c *config) { c.tick = tick }
}

// WithClock sets the clock the rate is computed with (time.Now when not
// given).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// New returns the reporter of a run of total operations. With tty, a
// progress bar (done/total, rate, ETA, failures) is drawn on w, throttled to
// ten frames a second. Without, nothing is written to w: a line
// "progress done=N total=T failed=F not_attempted=A rate=X/s" is logged to
// log every interval. Either way Finish logs "applied" with the counts by
// status.
//
// Done, failed and not attempted are counted apart: done counts the
// operations that finished (succeeded, failed or skipped), never those not
// attempted, so that an interrupted run does not show 100%; the rate counts
// the requests sent (succeeded or failed) per second. A nil log discards
// the lines.
func New(w io.Writer, tty bool, total int, log *slog.Logger, opts ...Option) Reporter {
	c := config{interval: DefaultInterval, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &reporter{log: log, w: w, total: total, now: c.now, start: c.now()}
	if tty {
		if total > 0 {
			r.bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				// The caller decided it is a terminal; the library does not check.
				progressbar.OptionSetVisibility(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetDescription("applying"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("ops"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
		}
		return r
	}
	tick := c.tick
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(c.interval)
		tick = ticker.C
	}
	r.quit = make(chan struct{})
	r.exited = make(chan struct{})
	go func() {
		defer close(r.exited)
		if ticker != nil {
			defer ticker.Stop()
		}
		for {
			select {
			case <-tick:
				r.logProgress()
			case <-r.quit:
				return
			}
		}
	}()
	return r
}

// Nop returns a reporter that shows nothing (--quiet).
func Nop() Reporter { return nop{} }

type nop struct{}

func (nop) Done(report.Record) {}
func (nop) Finish()            {}

// reporter is both modes: bar is set on a terminal, quit and exited
// otherwise.
type reporter struct {
	log   *slog.Logger
	w     io.Writer
	total int
	now   func() time.Time
	start time.Time

	done, succeeded, failed, skipped, notAttempted atomic.Int64

	bar *progressbar.ProgressBar
	// describe serialises the bar's description updates so that the
	// latest failure count is the one shown.
	describe sync.Mutex

	quit, exited chan struct{}
	finish       sync.Once
}

func (r *reporter) Done(rec report.Record) {
	switch rec.Status {
	case report.Succeeded:
		r.succeeded.Add(1)
	case report.Failed:
		r.failed.Add(1)
	case report.Skipped:
		r.skipped.Add(1)
	case report.NotAttempted:
		r.notAttempted.Add(1)
	}
	if rec.Status != report.NotAttempted {
		r.done.Add(1)
	}
	if r.bar == nil {
		return
	}
	if rec.Status == report.Failed || rec.Status == report.NotAttempted {
		r.describe.Lock()
		r.bar.Describe(r.description())
		r.describe.Unlock()
	}
	if rec.Status != report.NotAttempted {
		_ = r.bar.Add(1) // a display error must not disturb the run
	}
}

// description is the bar's label: "applying", with the failures and the
// operations not attempted when there are any.
func (r *reporter) description() string {
	var parts []string
	if n := r.failed.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", n))
	}
	if n := r.notAttempted.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not attempted", n))
	}
	if len(parts) == 0 {
		return "applying"
	}
	return "applying (" + strings.Join(parts, ", ") + ")"
}

// sent counts the requests that went out and ended.
func (r *reporter) sent() int64 { return r.succeeded.Load() + r.failed.Load() }

// rate returns the operations finished per second so far.
func (r *reporter) rate(done int64) float64 {
	secs := r.now().Sub(r.start).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(done) / secs
}

func (r *reporter) logProgress() {
	r.log.Info("progress",
		slog.Int64("done", r.done.Load()),
		slog.Int("total", r.total),
		slog.Int64("failed", r.failed.Load()),
		slog.Int64("not_attempted", r.notAttempted.Load()),
		slog.String("rate", fmt.Sprintf("%.1f/s", r.rate(r.sent()))),
	)
}

func (r *reporter) Finish() {
	r.finish.Do(func() {
		if r.quit != nil {
			close(r.quit)
			<-r.exited
		}
		if r.bar != nil && !r.bar.IsFinished() {
			// Fewer operations than announced (an interrupt, a stop): end
			// the bar's line, whose last frame may be throttled, and say
			// where the run stands.
			_ = r.bar.Exit()
			fmt.Fprintf(r.w, "stopped: %d of %d done, %d failed, %d not attempted\n", r.done.Load(), r.total, r.failed.Load(), r.notAttempted.Load())
		}
		r.log.Info("applied",
			slog.Int64("done", r.done.Load()),
			slog.Int("total", r.total),
			slog.Int64("succeeded", r.succeeded.Load()),
			slog.Int64("failed", r.failed.Load()),
			slog.Int64("skipped", r.skipped.Load()),
			slog.Int64("not_attempted", r.notAttempted.Load()),
			slog.String("rate", fmt.Sprintf("%.1f/s", r.rate(r.sent()))),
			slog.Float64("elapsed_s", math.Round(r.now().Sub(r.start).Seconds()*10)/10),
		)
	})
}
