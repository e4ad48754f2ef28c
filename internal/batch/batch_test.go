package batch

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exec/exectest"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/lock"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

// fixture is a workspace on the fake: group g1 holds u1..u4, g2 is empty;
// the move takes u1 and u2 from g1 to g2.
type fixture struct {
	fake *exectest.Fake
	deps Deps
	dir  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &exectest.Fake{Members: map[string][]string{"g1": {"u1", "u2", "u3", "u4"}, "g2": {}}}
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		f.Users = append(f.Users, seam.User{ID: u, SystemID: "s1", UserIdentityID: "id_" + u})
	}
	return &fixture{
		fake: f,
		dir:  t.TempDir(),
		deps: Deps{
			Client: f, Endpoint: "http://fake.example", Workspace: "key:test", LockDir: t.TempDir(),
			Command: []string{"acs-bulk", "apply", "--api-key", "seam_secret"},
			Now:     func() time.Time { return t0 },
		},
	}
}

// moveOps adds u1 and u2 to g2 and removes them from g1.
func moveOps() []plan.Operation {
	return []plan.Operation{
		exectest.Add("s1", "g2", "u1"), exectest.Add("s1", "g2", "u2"),
		exectest.Remove("s1", "g1", "u1"), exectest.Remove("s1", "g1", "u2"),
	}
}

// job makes the job applying ops to the fake's current members, with opts.
func (fx *fixture) job(t *testing.T, ops []plan.Operation, opts plan.Options) *Job {
	t.Helper()
	members := map[string][]string{}
	for g := range fx.fake.Members {
		members[g] = fx.fake.MembersOf(g)
	}
	p, _, err := plan.Replan(ops, members, opts, func(plan.Operation) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	return &Job{Verb: Apply, Doc: &plan.Document{Version: plan.DocumentVersion, CreatedAt: t0, Options: opts, Members: members, Plan: p}}
}

func (fx *fixture) start(t *testing.T) *Session {
	t.Helper()
	s, err := Start(fx.deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func (fx *fixture) runDir(name string) string { return filepath.Join(fx.dir, name) }

var all = plan.Limit{Value: 100, Kind: plan.LimitPercent}

func statuses(records []report.Record) string {
	var b strings.Builder
	for _, r := range records {
		b.WriteByte(map[report.Status]byte{report.Succeeded: 's', report.Failed: 'F', report.NotAttempted: '-', report.Skipped: 'k', report.Unresolved: 'u'}[r.Status])
	}
	return b.String()
}

func TestExecuteAppliesAndReports(t *testing.T) {
	fx := newFixture(t)
	s := fx.start(t)
	out, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run")})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Err(); err != nil {
		t.Fatalf("outcome: %v", err)
	}
	if got := statuses(out.Records); got != "ssss" || out.Added != 2 || out.Removed != 2 {
		t.Errorf("statuses %s, added %d, removed %d", got, out.Added, out.Removed)
	}
	if d := cmp.Diff([]string{"u1", "u2"}, fx.fake.MembersOf("g2")); d != "" {
		t.Errorf("g2 (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"u3", "u4"}, fx.fake.MembersOf("g1")); d != "" {
		t.Errorf("g1 (-want +got):\n%s", d)
	}
	dir := report.Dir(fx.runDir("run"))
	rep, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[report.Succeeded] != 4 || rep.Endpoint != "http://fake.example" || slices.Contains(rep.Command, "seam_secret") {
		t.Errorf("report: counts %v, endpoint %q, command %q", rep.Counts, rep.Endpoint, rep.Command)
	}
	journal, err := report.ReadJournal(dir.Journal())
	if err != nil || len(journal) != 4 {
		t.Fatalf("journal: %d records, %v", len(journal), err)
	}
	doc, err := LoadPlan(dir.Plan())
	if err != nil || len(doc.Plan.Operations) != 4 {
		t.Fatalf("plan.json: %v", err)
	}
	for i, r := range rep.Records {
		if r.Seq != i+1 || r.Operation != doc.Plan.Operations[i] {
			t.Errorf("record %d is not operation %d of plan.json: %+v", r.Seq, i+1, r)
		}
	}
}

func TestConfirmationRefusedChangesNothing(t *testing.T) {
	fx := newFixture(t)
	var asked Question
	fx.deps.Confirm = func(_ context.Context, q Question) error {
		asked = q
		return exitcode.Usagef("not confirmed; nothing was changed")
	}
	s := fx.start(t)
	_, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run")})
	if exitcode.For(err) != exitcode.Usage {
		t.Fatalf("error %v, want the refusal", err)
	}
	if asked.Adds != 2 || asked.Removes != 2 || asked.Verb != Apply || asked.Endpoint != "http://fake.example" {
		t.Errorf("asked %+v", asked)
	}
	if n := len(fx.fake.Sent()); n != 0 {
		t.Errorf("%d calls sent", n)
	}
	if _, err := os.Stat(fx.runDir("run")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run directory was created: %v", err)
	}
}

func TestNothingToSendIsNotAsked(t *testing.T) {
	fx := newFixture(t)
	fx.deps.Confirm = func(context.Context, Question) error { t.Error("asked with nothing to send"); return nil }
	s := fx.start(t)
	out, err := s.Execute(context.Background(), fx.job(t, nil, plan.Options{}), Options{ReportDir: fx.runDir("run")})
	if err != nil || out.Err() != nil || len(out.Records) != 0 {
		t.Fatalf("empty job: %v, %v", err, out)
	}
}

// TestGuardRefusedChangesNothingAndSaysWhy: a refused plan sends nothing;
// its run directory keeps the plan as refused-plan.json (never plan.json,
// so that nothing takes it for a plan to execute) and a report naming each
// guard, its figures and the flag; the log names the groups that would
// lose members.
func TestGuardRefusedChangesNothingAndSaysWhy(t *testing.T) {
	fx := newFixture(t)
	var logs strings.Builder
	fx.deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	fx.deps.GuardText = func(g plan.Guard) string { return g.Message + "; raise --max-removals to apply" }
	s := fx.start(t)
	// Two removals of four members is more than the default 10%.
	_, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{}), Options{ReportDir: fx.runDir("run")})
	var ge *plan.GuardError
	var re *RefusedError
	if !errors.As(err, &ge) || !errors.As(err, &re) || exitcode.For(err) != exitcode.Guard || ge.Guards[0].Kind != plan.GuardMaxRemovals {
		t.Fatalf("error %v, want the max-removals guard", err)
	}
	if n := len(fx.fake.Sent()); n != 0 {
		t.Errorf("%d calls sent", n)
	}
	dir := report.Dir(fx.runDir("run"))
	if re.Dir != dir {
		t.Errorf("refusal in %s, want %s", re.Dir, dir)
	}
	for _, p := range []string{dir.Plan(), dir.Journal()} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a refusal: %v", p, err)
		}
	}
	doc, err := LoadPlan(dir.RefusedPlan())
	if err != nil || len(doc.Plan.Operations) != 4 || len(doc.Plan.Guards) != 1 {
		t.Fatalf("refused-plan.json: %v", err)
	}
	rep, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Refusal{Guards: ge.Guards, Messages: []string{"refusing to remove 2 memberships: more than the limit of 10% of 4 in-scope memberships (0); raise --max-removals to apply"}}
	if diff := cmp.Diff(want, rep.Refused); diff != "" || len(rep.Records) != 0 {
		t.Errorf("report's refusal (-want +got):\n%s\nrecords %d", diff, len(rep.Records))
	}
	if !strings.Contains(logs.String(), `msg="refused: the group would lose members" group="Group g1" system="Site s1" acs_access_group_id=g1 remove=2 of=4`) {
		t.Errorf("log:\n%s", logs.String())
	}
	// Nothing to rerun or revert from there.
	var rr *RefusedRunError
	if _, err := Load(dir); !errors.As(err, &rr) {
		t.Errorf("Load of a refused run: %v", err)
	}
}

func TestLocksHeld(t *testing.T) {
	fx := newFixture(t)
	fx.start(t)
	var held *lock.HeldError
	if _, err := Start(fx.deps); !errors.As(err, &held) || !strings.Contains(held.Holder, "acs-bulk apply --api-key REDACTED") {
		t.Fatalf("second session on the workspace: %v", err)
	}
	// Another workspace runs, but not into a directory a run holds.
	other := fx.deps
	other.Workspace = "key:other"
	s2, err := Start(other)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	dirLock, err := lock.Acquire(report.Dir(fx.runDir("run")).Lock(), "someone")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.Execute(context.Background(), fx.job(t, moveOps()[:1], plan.Options{}), Options{ReportDir: fx.runDir("run")})
	if !errors.As(err, &held) || held.Holder != "someone" {
		t.Fatalf("run into a locked directory: %v", err)
	}
	dirLock.Release()
	// A directory that holds another run's files is refused too.
	if _, err := s2.Execute(context.Background(), fx.job(t, moveOps()[:1], plan.Options{}), Options{ReportDir: fx.runDir("run")}); err != nil {
		t.Fatal(err)
	}
	_, err = s2.Execute(context.Background(), fx.job(t, moveOps()[1:2], plan.Options{}), Options{ReportDir: fx.runDir("run")})
	if exitcode.For(err) != exitcode.Usage || !strings.Contains(err.Error(), "already holds report.json of another run") {
		t.Fatalf("run into a used directory: %v", err)
	}
	if got := fx.fake.Sent(); len(got) != 1 {
		t.Errorf("sent %v, want the one add", got)
	}
}

// failingJournal fails from the failAt-th append on.
type failingJournal struct {
	mu     sync.Mutex
	inner  journal
	n      int
	failAt int
}

func (j *failingJournal) Append(r report.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.n++
	if j.n >= j.failAt {
		return errors.New("write journal.jsonl: no space left on device")
	}
	return j.inner.Append(r)
}

func (j *failingJournal) Close() error { return j.inner.Close() }

func TestJournalWriteFailureStopsTheRunAndReports(t *testing.T) {
	fx := newFixture(t)
	s := fx.start(t)
	s.openJournal = func(p string) (journal, error) {
		j, err := report.OpenJournal(p)
		return &failingJournal{inner: j, failAt: 2}, err
	}
	out, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run"), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	oerr := out.Err()
	if exitcode.For(oerr) != exitcode.Failure || !strings.Contains(oerr.Error(), "no space left on device") {
		t.Fatalf("outcome %v, want the journal failure (exit 1)", oerr)
	}
	if got := statuses(out.Records); got != "ss--" {
		t.Errorf("statuses %s, want the two adds done and nothing sent after", got)
	}
	if r := out.Records[3]; r.ErrorType != exec.ErrorTypeJournal {
		t.Errorf("not attempted record: %+v", r)
	}
	if got := len(fx.fake.Sent()); got != 2 {
		t.Errorf("%d calls sent after the journal failed at the second record", got)
	}
	rep, err := report.Load(report.Dir(fx.runDir("run")))
	if err != nil || len(rep.Records) != 4 || !strings.HasPrefix(rep.Stopped, "journal: ") {
		t.Fatalf("report: %+v, %v", rep, err)
	}
}

func TestInterruptedRunRecordsWhatWasNotSent(t *testing.T) {
	fx := newFixture(t)
	gate := make(chan struct{})
	fx.fake.Gates = map[string]chan struct{}{"add g2 u1": gate}
	fx.fake.Started = make(chan string, 8)
	s := fx.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-fx.fake.Started // the first add is on the wire
		cancel()
		close(gate)
	}()
	out, err := s.Execute(ctx, fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run"), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if exitcode.For(out.Err()) != exitcode.Interrupted {
		t.Fatalf("outcome %v, want interrupted", out.Err())
	}
	if got := statuses(out.Records); got != "s---" {
		t.Errorf("statuses %s, want the add in flight done and the rest not attempted", got)
	}
	if d := cmp.Diff([]string{"u1"}, fx.fake.MembersOf("g2")); d != "" {
		t.Errorf("g2 (-want +got):\n%s", d)
	}
	if _, err := report.Load(report.Dir(fx.runDir("run"))); err != nil {
		t.Errorf("no report after the interrupt: %v", err)
	}
}

func TestPartialFailureSaysWhatToRerun(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Answer = func(_ context.Context, n int, key string) (seam.Meta, error) {
		if key == "add g2 u2" {
			return exectest.APIError(n, 400, "invalid_input", "refused by the access system")
		}
		return seam.Meta{Attempts: 1, Status: 200}, nil
	}
	s := fx.start(t)
	out, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run")})
	if err != nil {
		t.Fatal(err)
	}
	// u2's add failed, so u2 keeps g1 (make-before-break).
	if got := statuses(out.Records); got != "sFs-" {
		t.Errorf("statuses %s", got)
	}
	oerr := out.Err()
	if exitcode.For(oerr) != exitcode.Partial || !strings.Contains(oerr.Error(), "1 operations failed and 1 were not attempted") ||
		!strings.Contains(oerr.Error(), "acs-bulk rerun --from "+fx.runDir("run")) {
		t.Fatalf("outcome %v", oerr)
	}
	failures, err := os.ReadFile(report.Dir(fx.runDir("run")).Failures())
	if err != nil || strings.Count(string(failures), "\n") != 3 || !strings.Contains(string(failures), "refused by the access system") {
		t.Errorf("failures.csv:\n%s (%v)", failures, err)
	}

	// The rerun finishes the job once the access system agrees.
	fx.fake.Answer = nil
	job, err := s.Rerun(context.Background(), report.Dir(fx.runDir("run")), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Skipped) != 0 || len(job.Doc.Plan.Operations) != 2 || len(job.Warnings) != 0 {
		t.Fatalf("rerun job: %d skipped, %d operations, warnings %q", len(job.Skipped), len(job.Doc.Plan.Operations), job.Warnings)
	}
	out, err = s.Execute(context.Background(), job, Options{ReportDir: fx.runDir("rerun")})
	if err != nil || out.Err() != nil || statuses(out.Records) != "ss" {
		t.Fatalf("rerun: %v, %v, %s", err, out.Err(), statuses(out.Records))
	}
	if d := cmp.Diff([]string{"u3", "u4"}, fx.fake.MembersOf("g1")); d != "" {
		t.Errorf("g1 after the rerun (-want +got):\n%s", d)
	}
}

// TestRerunAfterACrash: a run killed after two operations left plan.json and
// a journal of two records; the rerun reads the journal, skips what reached
// the server (the third operation, in flight when it died) and sends the
// rest, each once.
func TestRerunAfterACrash(t *testing.T) {
	fx := newFixture(t)
	ops := moveOps()
	job := fx.job(t, ops, plan.Options{MaxRemovals: all})
	dir := report.Dir(fx.runDir("crashed"))
	if err := os.MkdirAll(dir.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := job.Doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir.Plan(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := report.OpenJournal(dir.Journal())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := j.Append(report.Record{Seq: i + 1, Operation: ops[i], Status: report.Succeeded, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// What the crashed run did: both adds, and the remove of u1 in flight.
	fx.fake.Members = map[string][]string{"g1": {"u2", "u3", "u4"}, "g2": {"u1", "u2"}}

	s := fx.start(t)
	rj, err := s.Rerun(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rj.Warnings) != 1 || !strings.Contains(rj.Warnings[0], "has no report.json (the run did not finish)") {
		t.Errorf("warnings %q", rj.Warnings)
	}
	out, err := s.Execute(context.Background(), rj, Options{ReportDir: fx.runDir("rerun")})
	if err != nil || out.Err() != nil {
		t.Fatalf("rerun: %v, %v", err, out.Err())
	}
	if got := statuses(out.Records); got != "ks" {
		t.Errorf("statuses %s, want the remove of u1 skipped and u2's sent", got)
	}
	if got := fx.fake.Sent(); !slices.Equal(got, []string{"remove g1 u2"}) {
		t.Errorf("sent %v", got)
	}
	if r := out.Records[0]; r.Operation != ops[2] || r.ErrorMessage != exec.SkippedMessage {
		t.Errorf("skipped record %+v", r)
	}
}

func TestRevertUndoesTheRun(t *testing.T) {
	fx := newFixture(t)
	s := fx.start(t)
	if _, err := s.Execute(context.Background(), fx.job(t, moveOps(), plan.Options{MaxRemovals: all}), Options{ReportDir: fx.runDir("run")}); err != nil {
		t.Fatal(err)
	}
	// Someone already put u2 back in g1.
	if _, err := fx.fake.AddUserToGroup(context.Background(), "g1", "u2"); err != nil {
		t.Fatal(err)
	}

	// Undoing removes both from g2, emptying it: the guard trips.
	job, err := s.Revert(context.Background(), report.Dir(fx.runDir("run")), all, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Execute(context.Background(), job, Options{ReportDir: fx.runDir("undo")})
	var ge *plan.GuardError
	if !errors.As(err, &ge) || ge.Guards[0].Kind != plan.GuardEmptyGroup || ge.Guards[0].GroupID != "g2" {
		t.Fatalf("revert that empties g2: %v", err)
	}

	job, err = s.Revert(context.Background(), report.Dir(fx.runDir("run")), all, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Execute(context.Background(), job, Options{ReportDir: fx.runDir("undo2")})
	if err != nil || out.Err() != nil {
		t.Fatalf("revert: %v, %v", err, out.Err())
	}
	if got := statuses(out.Records); got != "ksss" {
		t.Errorf("statuses %s, want u2's add back to g1 skipped", got)
	}
	if d := cmp.Diff([]string{"u1", "u2", "u3", "u4"}, fx.fake.MembersOf("g1")); d != "" {
		t.Errorf("g1 after revert (-want +got):\n%s", d)
	}
	if got := fx.fake.MembersOf("g2"); len(got) != 0 {
		t.Errorf("g2 after revert: %v", got)
	}
	for _, r := range out.Records {
		if !strings.HasPrefix(r.Reason, "undo: ") {
			t.Errorf("record %d reason %q", r.Seq, r.Reason)
		}
	}
}

func TestSavedPlanStaleAndAllowStale(t *testing.T) {
	fx := newFixture(t)
	job := fx.job(t, moveOps(), plan.Options{MaxRemovals: all})
	doc := job.Doc
	s := fx.start(t)
	// Someone adds u1 to g2 after the plan was made.
	if _, err := fx.fake.AddUserToGroup(context.Background(), "g2", "u1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Saved(context.Background(), doc, SavedCheck{Path: "p.json"}, 0)
	var se *StaleError
	if !errors.As(err, &se) || exitcode.For(err) != exitcode.Guard || !strings.Contains(err.Error(), "p.json is stale: 1 memberships of its groups changed") ||
		!strings.Contains(err.Error(), "+ u1 in") {
		t.Fatalf("stale plan: %v", err)
	}
	fingerprinted := false
	sj, err := s.Saved(context.Background(), doc, SavedCheck{Path: "p.json", AllowStale: true,
		Fingerprint: func(context.Context) (string, error) { fingerprinted = true; return "", nil }}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fingerprinted {
		t.Error("--allow-stale checked the fingerprint")
	}
	if len(sj.Skipped) != 1 || sj.Skipped[0].AcsUserID != "u1" || len(sj.Doc.Plan.Operations) != 3 {
		t.Fatalf("allow-stale job: skipped %v, %d operations", sj.Skipped, len(sj.Doc.Plan.Operations))
	}
	out, err := s.Execute(context.Background(), sj, Options{ReportDir: fx.runDir("run")})
	if err != nil || out.Err() != nil || statuses(out.Records) != "ksss" {
		t.Fatalf("apply --allow-stale: %v, %v, %s", err, out.Err(), statuses(out.Records))
	}
}

func TestSavedPlanFingerprint(t *testing.T) {
	fx := newFixture(t)
	job := fx.job(t, moveOps(), plan.Options{MaxRemovals: all})
	job.Doc.StateFingerprint = "sha256:aaaaaaaaaaaaaaaaaaaa"
	s := fx.start(t)
	_, err := s.Saved(context.Background(), job.Doc, SavedCheck{Path: "p.json",
		Fingerprint: func(context.Context) (string, error) { return "sha256:bbbbbbbbbbbbbbbbbbbb", nil }}, 0)
	if exitcode.For(err) != exitcode.Guard || !strings.Contains(err.Error(), "state fingerprint bbbbbbbbbbbb, the plan says aaaaaaaaaaaa") {
		t.Fatalf("changed fingerprint: %v", err)
	}
	if _, err := s.Saved(context.Background(), job.Doc, SavedCheck{Path: "p.json",
		Fingerprint: func(context.Context) (string, error) { return "sha256:aaaaaaaaaaaaaaaaaaaa", nil }}, 0); err != nil {
		t.Fatalf("same fingerprint: %v", err)
	}
}

func TestLoadRefusesWhatIsNotARun(t *testing.T) {
	fx := newFixture(t)
	dir := report.Dir(fx.runDir("notarun"))
	if err := os.MkdirAll(dir.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); exitcode.For(err) != exitcode.Usage || !strings.Contains(err.Error(), "is not the report directory of an apply run (no journal.jsonl)") {
		t.Errorf("empty directory: %v", err)
	}
}

// TestUnresolvedRowsAreRecordedAndExit3: rows skipped by --skip-unresolved
// get records of their own (first in the journal, last in the report, in
// failures.csv), the run exits 3 even though every operation succeeded, and
// a rerun says it cannot fix them.
func TestUnresolvedRowsAreRecordedAndExit3(t *testing.T) {
	fx := newFixture(t)
	job := fx.job(t, moveOps()[:2], plan.Options{SkipUnresolved: true})
	job.Doc.Plan.Unresolved = []plan.RowError{
		{File: "hr.csv", Line: 12, Column: "email", Msg: "no ACS user in Site s1 and no user identity has email ann@exmaple.com", Email: "ann@exmaple.com", GroupName: "Group g2"},
		{File: "hr.csv", Line: 30, Column: "access_group", Msg: "unknown group 'Flor 2' in Site s1", Hint: "did you mean 'Floor 2'?", GroupName: "Flor 2", Email: "bo@example.com"},
		{File: "hr.csv", Line: 30, Column: "email", Msg: "no ACS user in Site s1 and no user identity has email bo@example.com", GroupName: "Flor 2", Email: "bo@example.com"},
	}
	s := fx.start(t)
	out, err := s.Execute(context.Background(), job, Options{ReportDir: fx.runDir("run")})
	if err != nil {
		t.Fatal(err)
	}
	oerr := out.Err()
	if exitcode.For(oerr) != exitcode.Partial || out.Unresolved != 2 ||
		oerr.Error() != "2 rows of the CSV did not resolve and were skipped (--skip-unresolved): fix them in the CSV (see "+report.Dir(fx.runDir("run")).Failures()+"); a rerun cannot" {
		t.Fatalf("outcome %v (%d unresolved)", oerr, out.Unresolved)
	}
	if got := statuses(out.Records); got != "ssuu" {
		t.Errorf("statuses %q", got)
	}
	dir := report.Dir(fx.runDir("run"))
	journal, err := report.ReadJournal(dir.Journal())
	if err != nil || len(journal) != 4 || journal[0].Status != report.Unresolved || journal[1].Status != report.Unresolved {
		t.Fatalf("journal %+v, %v: want the 2 unresolved rows first", journal, err)
	}
	rep, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := rep.Records[3]
	want := report.Record{Operation: plan.Operation{GroupName: "Flor 2", Email: "bo@example.com", File: "hr.csv", Line: 30, Reason: "the row did not resolve (--skip-unresolved)"},
		Status: report.Unresolved, ErrorType: report.ErrorTypeUnresolved, FinishedAt: t0,
		ErrorMessage: "column access_group: unknown group 'Flor 2' in Site s1; did you mean 'Floor 2'?; column email: no ACS user in Site s1 and no user identity has email bo@example.com"}
	if diff := cmp.Diff(want, last); diff != "" || rep.Counts[report.Unresolved] != 2 {
		t.Errorf("last record (-want +got):\n%s\ncounts %v", diff, rep.Counts)
	}
	failures, _ := os.ReadFile(dir.Failures())
	if !strings.Contains(string(failures), "hr.csv,12,") || !strings.Contains(string(failures), "hr.csv,30,") {
		t.Errorf("failures.csv lacks the unresolved rows:\n%s", failures)
	}

	rj, err := s.Rerun(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rj.Doc.Plan.Operations) != 0 || len(rj.Warnings) != 1 ||
		!strings.Contains(rj.Warnings[0], "2 rows of the run in "+dir.Path()+" did not resolve; a rerun cannot fix them: correct them in the CSV (hr.csv:12, hr.csv:30) and apply again") {
		t.Errorf("rerun job: %d operations, warnings %q", len(rj.Doc.Plan.Operations), rj.Warnings)
	}
}

// clock is a fake clock that verify's sleeps advance.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

func ptr(s string) *string { return &s }

// TestVerifyFiveOutcomes: each succeeded add ends with the outcome the live
// state gives it; failed_on_acs and not_reflected exit 3, are in
// failures.csv and are what a rerun retries; pending and deferred are not
// failures. acs-bulk verify --from DIR, the next morning, writes the
// reports again with what it finds then.
func TestVerifyFiveOutcomes(t *testing.T) {
	fx := newFixture(t)
	clk := &clock{t: t0}
	fx.deps.Now, fx.deps.Sleep = clk.now, clk.sleep
	f := fx.fake
	f.Groups = []seam.AccessGroup{{ID: "g2", SystemID: "s1", Name: "Group g2"}}
	for _, u := range []string{"u5", "u6", "u7"} {
		f.Users = append(f.Users, seam.User{ID: u, SystemID: "s1"})
	}
	// u2: Seam is still pushing it. u3: scheduled. u5: refused by the
	// access system after the operation. u6: not there, and the only
	// error predates the run. u7: not there, nothing said.
	f.SetUser(seam.User{ID: "u2", SystemID: "s1", PendingMutations: []seam.PendingMutation{
		{MutationCode: seam.MutationUpdatingGroupMembership, To: &seam.MutationSide{AccessGroupID: ptr("g2")}}}})
	f.SetUser(seam.User{ID: "u3", SystemID: "s1", PendingMutations: []seam.PendingMutation{
		{MutationCode: seam.MutationDeferringGroupMembershipUpdate, AccessGroupID: "g2", Variant: seam.VariantAdding}}})
	f.SetUser(seam.User{ID: "u5", SystemID: "s1", Errors: []seam.Issue{
		{ErrorCode: seam.ErrorFailedToUpdateOnAcsSystem, Message: "the controller is offline", CreatedAt: t0.Add(time.Minute).Format(time.RFC3339)}}})
	f.SetUser(seam.User{ID: "u6", SystemID: "s1", Errors: []seam.Issue{
		{ErrorCode: seam.ErrorFailedToUpdateOnAcsSystem, Message: "yesterday's", CreatedAt: t0.Add(-time.Hour).Format(time.RFC3339)}}})
	f.Unapplied = map[string]bool{"add g2 u5": true, "add g2 u6": true, "add g2 u7": true}
	var ops []plan.Operation
	for _, u := range []string{"u1", "u2", "u3", "u5", "u6", "u7"} {
		ops = append(ops, exectest.Add("s1", "g2", u))
	}
	s := fx.start(t)
	out, err := s.Execute(context.Background(), fx.job(t, ops, plan.Options{}), Options{ReportDir: fx.runDir("run"), Verify: true, VerifyTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.Records {
		got[r.AcsUserID] = r.Verified
	}
	want := map[string]string{"u1": report.VerifyConfirmed, "u2": report.VerifyPending, "u3": report.VerifyDeferred,
		"u5": report.VerifyFailedOnAcs, "u6": report.VerifyNotReflected, "u7": report.VerifyNotReflected}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"confirmed": 1, "pending": 1, "deferred": 1, "failed_on_acs": 1, "not_reflected": 2}, out.Verified); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if r := out.Records[3]; r.ErrorType != seam.ErrorFailedToUpdateOnAcsSystem || r.ErrorMessage != "the controller is offline" {
		t.Errorf("failed_on_acs record keeps Seam's message: %+v", r)
	}
	oerr := out.Err()
	if exitcode.For(oerr) != exitcode.Partial || !strings.Contains(oerr.Error(), "1 failed on the access system and 2 are not reflected") {
		t.Fatalf("outcome %v", oerr)
	}
	if clk.now().Sub(t0) < 10*time.Second-5*time.Second {
		t.Errorf("verify gave up after %s of the 10s timeout", clk.now().Sub(t0))
	}
	dir := report.Dir(fx.runDir("run"))
	failures, _ := os.ReadFile(dir.Failures())
	for _, u := range []string{"u5", "u6", "u7"} {
		if !strings.Contains(string(failures), ","+u+",") {
			t.Errorf("failures.csv lacks %s:\n%s", u, failures)
		}
	}
	for _, u := range []string{"u2", "u3"} {
		if strings.Contains(string(failures), ","+u+",") {
			t.Errorf("failures.csv lists %s, which is %s:\n%s", u, want[u], failures)
		}
	}
	rep, err := report.Load(dir)
	if err != nil || rep.Verified[report.VerifyNotReflected] != 2 || rep.VerifiedAt.IsZero() {
		t.Fatalf("report.json: %+v, %v", rep.Verified, err)
	}

	// The next morning: the access system came back, and someone fixed u7.
	f.Unapplied = nil
	f.SetUser(seam.User{ID: "u2", SystemID: "s1"})
	f.SetUser(seam.User{ID: "u5", SystemID: "s1"})
	if _, err := f.AddUserToGroup(context.Background(), "g2", "u7"); err != nil {
		t.Fatal(err)
	}
	// A rerun would retry u5, u6 and u7.
	rj, err := s.Rerun(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var retried []string
	for _, op := range append(rj.Skipped, rj.Doc.Plan.Operations...) {
		retried = append(retried, op.AcsUserID)
	}
	slices.Sort(retried)
	if !slices.Equal(retried, []string{"u5", "u6", "u7"}) {
		t.Errorf("rerun retries %v", retried)
	}
	vo, err := Reverify(context.Background(), fx.deps, dir, time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"confirmed": 3, "pending": 0, "deferred": 1, "failed_on_acs": 0, "not_reflected": 2}, vo.Verified); diff != "" {
		t.Errorf("verify --from counts (-want +got):\n%s", diff)
	}
	if exitcode.For(vo.Err()) != exitcode.Partial {
		t.Errorf("verify --from outcome %v", vo.Err())
	}
	rep2, err := report.Load(dir)
	if err != nil || rep2.Verified[report.VerifyConfirmed] != 3 || rep2.Records[1].Verified != report.VerifyConfirmed {
		t.Fatalf("report.json after verify --from: %+v, %v", rep2.Verified, err)
	}
}
