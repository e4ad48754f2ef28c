package exec_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exec/exectest"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// journal collects the records passed to Options.Record and OnDone.
type journal struct {
	mu   sync.Mutex
	seqs map[int]int // Seq -> calls of Record
	done int         // calls of OnDone
	// fail, when set, is the error Record returns for that Seq.
	failSeq int
	failErr error
}

func (j *journal) record(rec report.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.seqs == nil {
		j.seqs = map[int]int{}
	}
	j.seqs[rec.Seq]++
	if rec.Seq == j.failSeq {
		return j.failErr
	}
	return nil
}

func (j *journal) onDone(report.Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done++
}

// options returns opts wired to the journal.
func (j *journal) options(opts exec.Options) exec.Options {
	opts.Record = j.record
	opts.OnDone = j.onDone
	return opts
}

// check asserts the invariants of every run: one record per operation, in
// order, mirroring the operation, journaled and reported exactly once, and
// counts that add up.
func (j *journal) check(t *testing.T, ops []plan.Operation, res *exec.Result) {
	t.Helper()
	if len(res.Records) != len(ops) {
		t.Fatalf("%d records for %d operations", len(res.Records), len(ops))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.done != len(ops) {
		t.Errorf("OnDone called %d times for %d operations", j.done, len(ops))
	}
	total := 0
	for _, n := range res.Counts {
		total += n
	}
	if total != len(ops) {
		t.Errorf("counts %v add up to %d, want %d", res.Counts, total, len(ops))
	}
	for i, rec := range res.Records {
		op := ops[i]
		if rec.Seq != i+1 {
			t.Errorf("record %d has Seq %d", i, rec.Seq)
		}
		if n := j.seqs[rec.Seq]; n != 1 {
			t.Errorf("record %d journaled %d times", rec.Seq, n)
		}
		if rec.Operation != op {
			t.Errorf("record %d does not mirror its operation: %+v vs %+v", rec.Seq, rec, op)
		}
		switch rec.Status {
		case report.Succeeded:
			if rec.ErrorType != "" || rec.Attempts == 0 {
				t.Errorf("succeeded record %d: %+v", rec.Seq, rec)
			}
		case report.Failed, report.NotAttempted:
			if rec.ErrorType == "" || rec.ErrorMessage == "" {
				t.Errorf("record %d %s without error type or message: %+v", rec.Seq, rec.Status, rec)
			}
			if rec.Status == report.NotAttempted && rec.Attempts != 0 {
				t.Errorf("not attempted record %d has %d attempts", rec.Seq, rec.Attempts)
			}
		case report.Skipped:
			if rec.ErrorMessage != exec.SkippedMessage || rec.Attempts != 0 {
				t.Errorf("skipped record %d: %+v", rec.Seq, rec)
			}
		default:
			t.Errorf("record %d has status %q", rec.Seq, rec.Status)
		}
	}
}

// statuses returns the records' statuses as a string, one letter each.
func statuses(res *exec.Result) string {
	var b strings.Builder
	for _, r := range res.Records {
		b.WriteByte(map[report.Status]byte{report.Succeeded: 's', report.Failed: 'F', report.NotAttempted: '-', report.Skipped: 'k'}[r.Status])
	}
	return b.String()
}

func TestAddsFinishBeforeAnyRemoveStarts(t *testing.T) {
	var ops []plan.Operation
	for i := range 20 {
		ops = append(ops, exectest.Add("s1", "g2", fmt.Sprintf("u%d", i)))
	}
	for i := range 20 {
		ops = append(ops, exectest.Remove("s1", "g1", fmt.Sprintf("u%d", i)))
	}
	// The first add is held until the 19 others have Ended: slots are free
	// all that time, and a remove started early would show in the log.
	gate := make(chan struct{})
	f := &exectest.Fake{Gates: map[string]chan struct{}{exectest.KeyOf(ops[0]): gate}, Ended: make(chan string, len(ops))}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 19 {
			<-f.Ended
		}
		close(gate)
	}()
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 4}))
	<-done
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if s := statuses(res); s != strings.Repeat("s", 40) {
		t.Errorf("statuses %s", s)
	}
	lastAddEnd, firstRemoveStart := -1, -1
	for i, e := range f.Log() {
		if strings.HasPrefix(e.Key, "add") && !e.Start {
			lastAddEnd = i
		}
		if strings.HasPrefix(e.Key, "remove") && e.Start && firstRemoveStart < 0 {
			firstRemoveStart = i
		}
	}
	if firstRemoveStart < lastAddEnd {
		t.Errorf("a remove started (event %d) before the last add ended (event %d)", firstRemoveStart, lastAddEnd)
	}
	if f.MaxInFlight() > 4 {
		t.Errorf("%d calls in flight, limit 4", f.MaxInFlight())
	}
}

func TestRunsAddsFirstEvenWhenTheyComeLater(t *testing.T) {
	ops := []plan.Operation{exectest.Remove("s1", "g1", "u1"), exectest.Add("s1", "g2", "u1"), exectest.Remove("s1", "g1", "u2"), exectest.Add("s1", "g2", "u2")}
	f := &exectest.Fake{}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	var got []string
	for _, e := range f.Log() {
		if e.Start {
			got = append(got, e.Key)
		}
	}
	want := []string{exectest.KeyOf(ops[1]), exectest.KeyOf(ops[3]), exectest.KeyOf(ops[0]), exectest.KeyOf(ops[2])}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}

func TestConcurrencyLimitIsReachedAndNeverExceeded(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			ops := exectest.Adds(60)
			// The first limit calls are held until all of them have Started:
			// the limit is reached; a (limit+1)th would be counted.
			gate := make(chan struct{})
			f := &exectest.Fake{Gates: map[string]chan struct{}{}, Started: make(chan string, len(ops))}
			for _, op := range ops[:limit] {
				f.Gates[exectest.KeyOf(op)] = gate
			}
			go func() {
				for range limit {
					<-f.Started
				}
				close(gate)
			}()
			j := &journal{}
			res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: limit}))
			if err != nil {
				t.Fatal(err)
			}
			j.check(t, ops, res)
			if f.MaxInFlight() != limit {
				t.Errorf("at most %d calls in flight, want %d", f.MaxInFlight(), limit)
			}
		})
	}
}

func TestOrderIsStableWithinAPhaseAtConcurrencyOne(t *testing.T) {
	var ops []plan.Operation
	for i := range 15 {
		ops = append(ops, exectest.Add("s1", fmt.Sprintf("g%d", i%3), fmt.Sprintf("u%d", i)))
	}
	for i := range 15 {
		ops = append(ops, exectest.Remove("s1", "g9", fmt.Sprintf("u%d", 14-i)))
	}
	f := &exectest.Fake{}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	var got, want []string
	for _, e := range f.Log() {
		if e.Start {
			got = append(got, e.Key)
		}
	}
	for _, op := range ops {
		want = append(want, exectest.KeyOf(op))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls\n%q\nwant\n%q", got, want)
	}
	if f.MaxInFlight() != 1 {
		t.Errorf("%d calls in flight", f.MaxInFlight())
	}
}

func TestEveryOperationGetsOneRecordWithItsOutcome(t *testing.T) {
	ops := exectest.Adds(8)
	ops[5].Via, ops[5].UserIdentityID, ops[5].AcsUserID = plan.ViaUserIdentityID, "id5", ""
	timeout := &seam.APIError{Method: "PUT", Route: "/r", Meta: seam.Meta{Attempts: 3}, Err: fmt.Errorf("attempt timed out: %w", context.DeadlineExceeded)}
	reset := &seam.APIError{Method: "PUT", Route: "/r", Meta: seam.Meta{Attempts: 5}, Err: errors.New("connection reset by peer")}
	f := &exectest.Fake{Answer: func(_ context.Context, n int, key string) (seam.Meta, error) {
		switch key {
		case exectest.KeyOf(ops[1]):
			return exectest.APIError(n, 400, "invalid_input", "bad user")
		case exectest.KeyOf(ops[2]):
			return exectest.APIError(n, 503, "", "")
		case exectest.KeyOf(ops[3]):
			return timeout.Meta, timeout
		case exectest.KeyOf(ops[4]):
			return reset.Meta, reset
		case exectest.KeyOf(ops[6]):
			return seam.Meta{}, errors.New("seam: add acs_user_id to group g1: empty acs_user_id")
		case exectest.KeyOf(ops[7]):
			return seam.Meta{Attempts: 2, Status: 200, RequestID: "req_ok", Duration: 1500 * time.Millisecond}, nil
		}
		return seam.Meta{Attempts: 1, Status: 200, RequestID: fmt.Sprintf("req_%d", n)}, nil
	}}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 3, Now: func() time.Time { return time.Unix(0, 0) }}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	type want struct {
		status   report.Status
		errType  string
		http     int
		attempts int
		inMsg    string
	}
	wants := []want{
		{report.Succeeded, "", 200, 1, ""},
		{report.Failed, "invalid_input", 400, 1, "400 invalid_input: bad user"},
		{report.Failed, "http_503", 503, 1, "503 service unavailable"},
		{report.Failed, exec.ErrorTypeTimeout, 0, 3, "timed out"},
		{report.Failed, exec.ErrorTypeTransport, 0, 5, "connection reset"},
		{report.Succeeded, "", 200, 1, ""},
		{report.Failed, exec.ErrorTypeInvalidRequest, 0, 0, "empty acs_user_id"},
		{report.Succeeded, "", 200, 2, ""},
	}
	for i, w := range wants {
		r := res.Records[i]
		if r.Status != w.status || r.ErrorType != w.errType || r.HTTPStatus != w.http || r.Attempts != w.attempts || !strings.Contains(r.ErrorMessage, w.inMsg) {
			t.Errorf("record %d: %s %q %d attempts=%d %q, want %+v", i+1, r.Status, r.ErrorType, r.HTTPStatus, r.Attempts, r.ErrorMessage, w)
		}
		if w.status == report.Succeeded && r.RequestID == "" || w.http != 0 && r.RequestID == "" {
			t.Errorf("record %d has no request id", i+1)
		}
	}
	if res.Records[7].DurationMS != 1500 {
		t.Errorf("duration %d ms, want the Meta's 1500", res.Records[7].DurationMS)
	}
	if res.Stopped != "" || res.Counts[report.Failed] != 5 || res.Counts[report.Succeeded] != 3 {
		t.Errorf("stopped %q counts %v", res.Stopped, res.Counts)
	}
	sent := false
	for _, e := range f.Log() {
		sent = sent || e.Start && e.Key == "add g1 id5"
	}
	if !sent {
		t.Errorf("the identity add was not sent by identity: %v", f.Log())
	}
}

func TestAuthenticationFailureStopsWithinOneRoundOfInFlightRequests(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			ops := exectest.Adds(100)
			f := &exectest.Fake{Answer: func(_ context.Context, n int, _ string) (seam.Meta, error) {
				if n >= 10 {
					return exectest.APIError(n, status, "unauthorized", "invalid api key")
				}
				return seam.Meta{Attempts: 1, Status: 200, RequestID: "r"}, nil
			}}
			j := &journal{}
			res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 4}))
			if err != nil {
				t.Fatal(err)
			}
			j.check(t, ops, res)
			if want := fmt.Sprintf("authentication failed (%d)", status); res.Stopped != want {
				t.Errorf("stopped %q, want %q", res.Stopped, want)
			}
			if after := startsAfterFailure(f.Log(), 1); after > 4 {
				t.Errorf("%d calls started after the first %d", after, status)
			}
			if res.Counts[report.NotAttempted] < 100-9-4-4 || res.Counts[report.Succeeded] != 9 {
				t.Errorf("counts %v", res.Counts)
			}
			for _, r := range res.Records {
				if r.Status == report.NotAttempted && (r.ErrorType != exec.ErrorTypeAuthStop || r.ErrorMessage != "not sent: the run stopped after an authentication failure") {
					t.Errorf("not attempted record %d: %q %q", r.Seq, r.ErrorType, r.ErrorMessage)
				}
			}
		})
	}
}

// startsAfterFailure counts the calls that started after the nth failed
// call ended.
func startsAfterFailure(log []exectest.Event, nth int) int {
	after, failures := 0, 0
	for _, e := range log {
		switch {
		case failures >= nth && e.Start:
			after++
		case !e.Start && e.Err != nil:
			failures++
		}
	}
	return after
}

func TestMaxErrorsStopsAfterNFailures(t *testing.T) {
	ops := exectest.Adds(30)
	failing := func(_ context.Context, n int, _ string) (seam.Meta, error) {
		if n%3 == 0 {
			return exectest.APIError(n, 400, "invalid_input", "no")
		}
		return seam.Meta{Attempts: 1, Status: 200, RequestID: "r"}, nil
	}
	t.Run("concurrency 1 stops right after the third failure", func(t *testing.T) {
		f := &exectest.Fake{Answer: failing}
		j := &journal{}
		res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1, MaxErrors: 3}))
		if err != nil {
			t.Fatal(err)
		}
		j.check(t, ops, res)
		if want := "ssFssFssF" + strings.Repeat("-", 21); statuses(res) != want {
			t.Errorf("statuses %s, want %s", statuses(res), want)
		}
		if res.Stopped != "max errors reached (3)" {
			t.Errorf("stopped %q", res.Stopped)
		}
		if r := res.Records[29]; r.ErrorType != exec.ErrorTypeMaxErrors || !strings.Contains(r.ErrorMessage, "--max-errors") {
			t.Errorf("last record %q %q", r.ErrorType, r.ErrorMessage)
		}
	})
	t.Run("concurrency 4 stops within a round", func(t *testing.T) {
		f := &exectest.Fake{Answer: failing}
		j := &journal{}
		res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 4, MaxErrors: 3}))
		if err != nil {
			t.Fatal(err)
		}
		j.check(t, ops, res)
		if res.Stopped != "max errors reached (3)" || res.Counts[report.Failed] < 3 || res.Counts[report.NotAttempted] == 0 {
			t.Errorf("stopped %q counts %v", res.Stopped, res.Counts)
		}
		if n := startsAfterFailure(f.Log(), 3); n > 4 {
			t.Errorf("%d calls started after the third failure", n)
		}
	})
}

func TestStopLetsInFlightRequestsFinish(t *testing.T) {
	ops := append(exectest.Adds(10), exectest.Remove("s1", "g0", "u0"))
	gate := make(chan struct{})
	f := &exectest.Fake{Gates: map[string]chan struct{}{}, Started: make(chan string, len(ops))}
	for _, op := range ops[:3] {
		f.Gates[exectest.KeyOf(op)] = gate
	}
	stop := make(chan struct{})
	go func() {
		for range 3 {
			<-f.Started
		}
		close(stop) // SIGINT while three requests are in flight
		close(gate) // they finish after it
	}()
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 3, Stop: stop, DrainTimeout: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "sss" + strings.Repeat("-", 8); statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	if res.Stopped != exec.StoppedInterrupted {
		t.Errorf("stopped %q", res.Stopped)
	}
	if r := res.Records[10]; r.ErrorType != exec.ErrorTypeInterrupted || r.ErrorMessage != "not sent: the run was interrupted" {
		t.Errorf("not attempted record: %q %q", r.ErrorType, r.ErrorMessage)
	}
	if len(f.Sent()) != 3 {
		t.Errorf("%d calls, want the 3 in flight", len(f.Sent()))
	}
}

func TestStopBeforeRunSendsNothing(t *testing.T) {
	ops := append(exectest.Adds(5), exectest.Remove("s1", "g0", "u0"))
	stop := make(chan struct{})
	close(stop)
	f := &exectest.Fake{}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Stop: stop}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if len(f.Sent()) != 0 || res.Counts[report.NotAttempted] != 6 || res.Stopped != exec.StoppedInterrupted {
		t.Errorf("%d calls, counts %v, stopped %q", len(f.Sent()), res.Counts, res.Stopped)
	}
}

func TestDrainTimeoutCutsRequestsThatDoNotFinish(t *testing.T) {
	ops := exectest.Adds(6)
	f := &exectest.Fake{HangAll: true, Started: make(chan string, len(ops))}
	stop := make(chan struct{})
	go func() {
		<-f.Started
		<-f.Started
		close(stop)
	}()
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 2, Stop: stop, DrainTimeout: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "FF----"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	for _, r := range res.Records[:2] {
		if r.ErrorType != exec.ErrorTypeInterrupted || !strings.Contains(r.ErrorMessage, "outcome is unknown") || !strings.Contains(r.ErrorMessage, "rerun") || r.Attempts != 1 {
			t.Errorf("record %d: %q %q attempts=%d", r.Seq, r.ErrorType, r.ErrorMessage, r.Attempts)
		}
	}
	if res.Stopped != exec.StoppedInterrupted {
		t.Errorf("stopped %q", res.Stopped)
	}
}

func TestHardAbortCancelsInFlightRequests(t *testing.T) {
	ops := exectest.Adds(6)
	f := &exectest.Fake{HangAll: true, Started: make(chan string, len(ops))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-f.Started
		<-f.Started
		cancel()
	}()
	j := &journal{}
	res, err := exec.Run(ctx, f, ops, j.options(exec.Options{Concurrency: 2, DrainTimeout: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "FF----"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	if r := res.Records[0]; r.ErrorType != exec.ErrorTypeInterrupted || !strings.Contains(r.ErrorMessage, "aborted") {
		t.Errorf("record 1: %q %q", r.ErrorType, r.ErrorMessage)
	}
	if res.Stopped != exec.StoppedInterrupted {
		t.Errorf("stopped %q", res.Stopped)
	}
}

func TestMakeBeforeBreak(t *testing.T) {
	byIdentity := exectest.Add("s1", "g2", "")
	byIdentity.Via, byIdentity.UserIdentityID, byIdentity.LinkAcsUserID = plan.ViaUserIdentityID, "ident_w", "w"
	ops := []plan.Operation{
		exectest.Add("s1", "g2", "u"), // fails
		exectest.Add("s1", "g2", "v"),
		exectest.Add("s2", "g5", "u"),
		byIdentity,                       // fails
		exectest.Remove("s1", "g1", "u"), // not sent: u's add in s1 failed
		exectest.Remove("s1", "g3", "u"), // not sent either
		exectest.Remove("s2", "g4", "u"), // another system: sent
		exectest.Remove("s1", "g1", "v"),
		exectest.Remove("s1", "g1", "w"), // not sent: the identity add linking w failed
	}
	f := &exectest.Fake{Answer: func(_ context.Context, n int, key string) (seam.Meta, error) {
		if key == exectest.KeyOf(ops[0]) || key == exectest.KeyOf(ops[3]) {
			return exectest.APIError(n, 400, "invalid_input", "no")
		}
		return seam.Meta{Attempts: 1, Status: 200, RequestID: "r"}, nil
	}}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 4}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "FssF--ss-"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	for _, i := range []int{4, 5, 8} {
		r := res.Records[i]
		if r.ErrorType != exec.ErrorTypeMakeBeforeBreak || r.ErrorMessage != "not sent: adding this user to Group g2 failed (make-before-break)" {
			t.Errorf("record %d: %q %q", r.Seq, r.ErrorType, r.ErrorMessage)
		}
	}
	if res.Stopped != "" {
		t.Errorf("stopped %q", res.Stopped)
	}
	for _, e := range f.Log() {
		if e.Key == exectest.KeyOf(ops[4]) || e.Key == exectest.KeyOf(ops[5]) || e.Key == exectest.KeyOf(ops[8]) {
			t.Errorf("%s was sent", e.Key)
		}
	}
}

func TestJournalErrorStopsTheRun(t *testing.T) {
	ops := append(exectest.Adds(10), exectest.Remove("s1", "g0", "u0"))
	errDisk := errors.New("write journal.jsonl: no space left on device")
	f := &exectest.Fake{}
	j := &journal{failSeq: 5, failErr: errDisk}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1}))
	if !errors.Is(err, errDisk) {
		t.Fatalf("error %v, want the journal's", err)
	}
	if !strings.Contains(err.Error(), "journal: record operation 5 (add u4@example.com to Group g1)") {
		t.Errorf("error %q lacks context", err)
	}
	j.check(t, ops, res)
	if want := "sssss------"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	if !strings.HasPrefix(res.Stopped, "journal: ") {
		t.Errorf("stopped %q", res.Stopped)
	}
	if r := res.Records[6]; r.ErrorType != exec.ErrorTypeJournal {
		t.Errorf("not attempted record: %q %q", r.ErrorType, r.ErrorMessage)
	}
}

func TestSatisfiedOperationsAreRecordedSkippedAndNeverSent(t *testing.T) {
	ops := append(exectest.Adds(3), exectest.Remove("s1", "g0", "u9"), exectest.Add("s1", "g2", "u7"))
	f := &exectest.Fake{}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 2, Satisfied: 2}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "kksss"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	var sent []string
	for _, e := range f.Log() {
		if e.Start {
			sent = append(sent, e.Key)
		}
	}
	slices.Sort(sent)
	if want := []string{"add g1 u2", "add g2 u7", "remove g0 u9"}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if j.done != len(ops) {
		t.Errorf("OnDone called %d times, want %d", j.done, len(ops))
	}
}

// TestSatisfiedAddDoesNotBlockTheRemove: a person's add that the live state
// already satisfies is as good as one that succeeded, for make-before-break.
func TestSatisfiedAddDoesNotBlockTheRemove(t *testing.T) {
	ops := []plan.Operation{exectest.Add("s1", "g2", "u1"), exectest.Remove("s1", "g1", "u1")}
	f := &exectest.Fake{}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Satisfied: 1}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if want := "ks"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
}

func TestJournalErrorOnASatisfiedRecordSendsNothing(t *testing.T) {
	ops := exectest.Adds(4)
	errDisk := errors.New("no space left on device")
	f := &exectest.Fake{}
	j := &journal{failSeq: 1, failErr: errDisk}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1, Satisfied: 2}))
	if !errors.Is(err, errDisk) {
		t.Fatalf("error %v, want the journal's", err)
	}
	j.check(t, ops, res)
	if want := "kk--"; statuses(res) != want {
		t.Errorf("statuses %s, want %s", statuses(res), want)
	}
	if n := len(f.Log()); n != 0 {
		t.Errorf("%d calls made after the journal failed", n)
	}
}

func TestPanickingClientIsRecordedFailed(t *testing.T) {
	ops := exectest.Adds(3)
	f := &exectest.Fake{Answer: func(_ context.Context, n int, _ string) (seam.Meta, error) {
		if n == 2 {
			panic("boom")
		}
		return seam.Meta{Attempts: 1, Status: 200}, nil
	}}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{Concurrency: 1}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if r := res.Records[1]; r.Status != report.Failed || r.ErrorType != exec.ErrorTypeInternal || !strings.Contains(r.ErrorMessage, "boom") {
		t.Errorf("record 2: %+v", r)
	}
}

func TestEmptyPlanAndInvalidOptions(t *testing.T) {
	res, err := exec.Run(context.Background(), &exectest.Fake{}, nil, exec.Options{})
	if err != nil || len(res.Records) != 0 || res.Stopped != "" {
		t.Errorf("empty plan: %+v, %v", res, err)
	}
	for _, o := range []exec.Options{{Concurrency: -1}, {MaxErrors: -1}, {Satisfied: -1}, {Satisfied: 2}} {
		if _, err := exec.Run(context.Background(), &exectest.Fake{}, exectest.Adds(1), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestSeamErrorDataReachesTheRecord: Seam's error.data is kept in the
// record's message (and so in failures.csv).
func TestSeamErrorDataReachesTheRecord(t *testing.T) {
	ops := exectest.Adds(1)
	f := &exectest.Fake{Answer: func(_ context.Context, n int, _ string) (seam.Meta, error) {
		meta, err := exectest.APIError(n, 400, "invalid_input", "the access system refused this user")
		err.(*seam.APIError).Data = []byte(`{"acs_user_id":"u0","reason":"badge expired"}`)
		return meta, err
	}}
	j := &journal{}
	res, err := exec.Run(context.Background(), f, ops, j.options(exec.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Records[0]; r.Status != report.Failed || !strings.Contains(r.ErrorMessage, `"reason":"badge expired"`) {
		t.Errorf("record %+v lacks error.data", r)
	}
}
