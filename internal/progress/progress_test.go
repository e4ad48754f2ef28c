package progress_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/progress"
	"github.com/acs-bulk/acs-bulk/internal/report"
)

// logLines decodes the JSON log lines in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// clock returns start on its first call and start+10s on every later one.
func clock(start time.Time) func() time.Time {
	var calls atomic.Int64
	return func() time.Time {
		if calls.Add(1) == 1 {
			return start
		}
		return start.Add(10 * time.Second)
	}
}

func rec(st report.Status) report.Record { return report.Record{Status: st} }

func TestNonTerminalLogsOneLinePerTickAndASummary(t *testing.T) {
	var out, logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	tick := make(chan time.Time)
	r := progress.New(&out, false, 5, log, progress.WithTicker(tick), progress.WithClock(clock(time.Unix(0, 0))))
	r.Done(rec(report.Succeeded))
	r.Done(rec(report.Failed))
	r.Done(rec(report.Succeeded))
	tick <- time.Time{}
	tick <- time.Time{}
	r.Done(rec(report.Succeeded))
	r.Done(rec(report.NotAttempted))
	r.Finish()
	r.Finish() // a second call does nothing

	if out.Len() != 0 {
		t.Errorf("wrote %q to the non-terminal writer", out.String())
	}
	lines := logLines(t, &logs)
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 2 progress and 1 summary:\n%s", len(lines), logs.String())
	}
	for _, l := range lines[:2] {
		if l["msg"] != "progress" || l["total"] != 5.0 {
			t.Errorf("progress line %v", l)
		}
	}
	if l := lines[0]; l["done"] != 3.0 || l["failed"] != 1.0 || l["not_attempted"] != 0.0 || l["rate"] != "0.3/s" {
		t.Errorf("first progress line %v, want done=3 failed=1 not_attempted=0 rate=0.3/s", l)
	}
	// The one not attempted is neither done nor in the rate.
	want := map[string]any{"msg": "applied", "done": 4.0, "total": 5.0, "succeeded": 3.0, "failed": 1.0, "skipped": 0.0, "not_attempted": 1.0, "rate": "0.4/s"}
	for k, v := range want {
		if lines[2][k] != v {
			t.Errorf("summary %s = %v, want %v (line %v)", k, lines[2][k], v, lines[2])
		}
	}
}

func TestNonTerminalWithoutTicksLogsOnlyTheSummary(t *testing.T) {
	var out, logs bytes.Buffer
	r := progress.New(&out, false, 2, slog.New(slog.NewJSONHandler(&logs, nil)), progress.WithInterval(time.Hour))
	r.Done(rec(report.Succeeded))
	r.Done(rec(report.Succeeded))
	r.Finish()
	lines := logLines(t, &logs)
	if len(lines) != 1 || lines[0]["msg"] != "applied" || out.Len() != 0 {
		t.Errorf("lines %v, output %q", lines, out.String())
	}
}

func TestDoneFromManyGoroutines(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var out, logs bytes.Buffer
		w := &lockedWriter{w: &out}
		tick := make(chan time.Time)
		r := progress.New(w, tty, 800, slog.New(slog.NewJSONHandler(&logs, nil)), progress.WithTicker(tick))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					st := report.Succeeded
					if (g+i)%10 == 0 {
						st = report.Failed
					}
					r.Done(rec(st))
				}
			})
		}
		if !tty {
			tick <- time.Time{}
		}
		wg.Wait()
		r.Finish()
		lines := logLines(t, &logs)
		sum := lines[len(lines)-1]
		if sum["done"] != 800.0 || sum["failed"] != 80.0 || sum["succeeded"] != 720.0 {
			t.Errorf("tty=%v summary %v", tty, sum)
		}
	}
}

// lockedWriter lets the test read what the bar wrote without racing.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestTerminalDrawsTheBarOnTheWriterOnly(t *testing.T) {
	var out, logs bytes.Buffer
	r := progress.New(&out, true, 10, slog.New(slog.NewJSONHandler(&logs, nil)))
	for i := range 10 {
		st := report.Succeeded
		if i == 4 {
			st = report.Failed
		}
		r.Done(rec(st))
	}
	r.Finish()
	bar := out.String()
	for _, want := range []string{"10/10", "applying (1 failed)", "ops/s"} {
		if !strings.Contains(bar, want) {
			t.Errorf("bar %q lacks %q", bar, want)
		}
	}
	if !strings.HasSuffix(bar, "\n") {
		t.Errorf("bar %q does not end its line", bar)
	}
	lines := logLines(t, &logs)
	if len(lines) != 1 || lines[0]["msg"] != "applied" {
		t.Errorf("log lines %v, want the summary only", lines)
	}
}

// TestTerminalAfterAnInterruptIsNotFull: operations not attempted do not
// advance the bar, and it says how many there are.
func TestTerminalAfterAnInterruptIsNotFull(t *testing.T) {
	var out bytes.Buffer
	r := progress.New(&out, true, 4, nil, progress.WithClock(clock(time.Unix(0, 0))))
	r.Done(rec(report.Succeeded))
	r.Done(rec(report.Succeeded))
	r.Done(rec(report.NotAttempted))
	r.Done(rec(report.NotAttempted))
	r.Finish()
	bar := out.String()
	if strings.Contains(bar, "4/4") || strings.Contains(bar, "100%") {
		t.Errorf("bar %q counts the operations not attempted as done", bar)
	}
	if !strings.HasSuffix(bar, "\nstopped: 2 of 4 done, 0 failed, 2 not attempted\n") {
		t.Errorf("bar %q does not end with where the run stands", bar)
	}
}

func TestTerminalEndsTheLineWhenFewerOperationsFinish(t *testing.T) {
	var out bytes.Buffer
	r := progress.New(&out, true, 10, nil)
	r.Done(rec(report.Succeeded))
	r.Finish()
	if !strings.HasSuffix(out.String(), "\nstopped: 1 of 10 done, 0 failed, 0 not attempted\n") {
		t.Errorf("bar %q does not end its line", out.String())
	}
}

func TestTerminalWithNothingToDoWritesNothing(t *testing.T) {
	var out bytes.Buffer
	r := progress.New(&out, true, 0, nil)
	r.Finish()
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}

func TestNopShowsNothing(t *testing.T) {
	r := progress.Nop()
	r.Done(rec(report.Failed))
	r.Finish()
}
