// Package batch owns one run of apply, rerun or revert, from the moment its
// plan is known to the outcome that decides the exit status: the workspace
// and directory locks, the run directory (plan.json, the journal, the
// reports), the confirmation, the execution, --verify, the summary and the
// outcome. Rerun and revert also find here what an earlier run left
// ([Load]), and apply --plan how a saved plan stands against the live state
// ([Session.Saved]).
//
// Everything it talks to is injected ([Deps]): the Seam client behind the
// interface the executor uses, the clock, the lock directory, the prompt, the
// logger and the progress display; so its tests run on the executor's fake
// client, without an HTTP server.
package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/lock"
	"github.com/acs-bulk/acs-bulk/internal/metrics"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/progress"
	"github.com/acs-bulk/acs-bulk/internal/redact"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Verb names what a run does: apply, rerun or revert.
type Verb string

// The verbs.
const (
	Apply  Verb = "apply"
	Rerun  Verb = "rerun"
	Revert Verb = "revert"
)

// Client is the part of the Seam API a run uses: the executor's calls, the
// members of groups (rerun, revert, a saved plan, --verify) and the users of
// a system (--verify). *seam.Client implements it; so does
// exectest.Fake.
type Client interface {
	exec.Client
	ListGroupUsers(ctx context.Context, groupID string) ([]seam.User, error)
	ListUsers(ctx context.Context, systemID string) ([]seam.User, error)
	ListAccessGroups(ctx context.Context, systemID string) ([]seam.AccessGroup, error)
	Stats() seam.Stats
}

// Deps are what a run is given instead of reaching for it.
type Deps struct {
	Client Client
	// Endpoint is where the client talks to, for the prompt and reports.
	Endpoint string
	// Workspace identifies the workspace for its lock (never a credential:
	// a workspace id or a hash of the key); LockDir is where workspace
	// locks live ("" for the user's cache directory).
	Workspace string
	LockDir   string
	// Command is the command line, for reports and lock holders (it is
	// redacted there).
	Command []string
	// Now is the clock; nil means time.Now. Sleep waits (verify's polls);
	// nil means a timer.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Confirm asks whether to go ahead; nil means yes (--yes). It is not
	// called when there is nothing to send.
	Confirm func(ctx context.Context, q Question) error
	// Logger gets the run's log lines; nil discards them.
	Logger *slog.Logger
	// Progress builds the display of a run of total operations; nil shows
	// nothing.
	Progress func(total int) progress.Reporter
	// GuardText renders a tripped guard with the flag that overrides it,
	// for the report of a refused plan; nil uses the guard's message.
	GuardText func(plan.Guard) string
}

// Question is what Deps.Confirm is asked.
type Question struct {
	Verb          Verb
	Adds, Removes int
	Endpoint      string
	Plan          *plan.Plan
}

// Options shape the execution of a run.
type Options struct {
	// ReportDir is the run directory; "" means
	// acs-bulk-runs/<UTC time>-<run id> under the working directory.
	ReportDir     string
	Concurrency   int
	MaxErrors     int
	DrainTimeout  time.Duration
	Verify        bool
	VerifyTimeout time.Duration
	// Settings are recorded in report.json's options beside the plan's
	// (the pacing flags, say).
	Settings map[string]any
}

// Job is what a run is to do: the plan whose operations are sent, and the
// operations the live state already satisfies (recorded skipped, first).
type Job struct {
	Verb Verb
	// Doc is the plan being applied; Doc.Plan.Operations are sent.
	Doc     *plan.Document
	Skipped []plan.Operation
	// Warnings are for the person running it (the earlier run crashed...).
	Warnings []string
}

// Session is a command's hold on the workspace: its lock, taken before the
// live state is read, so that what a plan is computed from is not changed
// by another acs-bulk run while it asks or executes.
type Session struct {
	deps    Deps
	started time.Time
	wsLock  *lock.Lock
	// openJournal opens the journal; tests replace it.
	openJournal func(path string) (journal, error)
}

// journal is what a run needs of report.Journal.
type journal interface {
	Append(report.Record) error
	Close() error
}

// Start takes the workspace lock. A lock held by another run is a
// *lock.HeldError naming its holder.
func Start(deps Deps) (*Session, error) {
	s := newSession(deps)
	path, err := lock.WorkspaceLockPath(deps.LockDir, deps.Workspace)
	if err != nil {
		return nil, err
	}
	if s.wsLock, err = lock.Acquire(path, s.holder()); err != nil {
		return nil, err
	}
	return s, nil
}

// newSession fills in the defaults of deps.
func newSession(deps Deps) *Session {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Sleep == nil {
		deps.Sleep = sleepCtx
	}
	return &Session{deps: deps, started: deps.Now().UTC(), openJournal: func(p string) (journal, error) { return report.OpenJournal(p) }}
}

// Close releases the workspace lock.
func (s *Session) Close() {
	if s.wsLock != nil {
		s.wsLock.Release()
	}
}

func (s *Session) holder() string {
	return lock.Describe(s.started, strings.Join(redact.Args(s.deps.Command), " "))
}

// Outcome is what a run did. [Outcome.Err] is the error its exit status
// comes from.
type Outcome struct {
	Verb    Verb
	Dir     report.Dir
	RunID   string
	Records []report.Record
	Counts  map[report.Status]int
	// Added and Removed count the succeeded adds and removes.
	Added, Removed int
	// Verified counts verify's outcomes (nil when it did not run).
	Verified map[string]int
	// Unresolved counts the rows --skip-unresolved skipped: each has a
	// record of its own, with its file and line.
	Unresolved int
	// Stopped says why scheduling stopped early ("" when it did not).
	Stopped string
	Stats   seam.Stats
	// runErr is the executor's own error (a journal that failed).
	runErr      error
	interrupted bool
	// onlyVerify: the outcome of acs-bulk verify, whose status is verify's
	// alone.
	onlyVerify bool
}

// Err returns the error that decides the run's exit status: nil when every
// operation succeeded or was skipped, else one that says what to do next.
func (o *Outcome) Err() error {
	dir := o.Dir.Path()
	c := o.Counts
	if o.onlyVerify {
		c = map[report.Status]int{}
	}
	switch {
	case o.runErr != nil:
		return fmt.Errorf("%s stopped: %w; the report in %s has every operation", o.Verb, o.runErr, dir)
	case o.interrupted:
		return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted; operations not started are recorded not_attempted in %s; acs-bulk rerun --from %s finishes the job", dir, dir))
	case strings.HasPrefix(o.Stopped, "authentication"):
		return fmt.Errorf("stopped: %s; check SEAM_API_KEY or the token's workspace, then acs-bulk rerun --from %s", o.Stopped, dir)
	case c[report.Failed]+c[report.NotAttempted] > 0:
		reason := ""
		if o.Stopped != "" {
			reason = " (" + o.Stopped + ")"
		}
		also := ""
		if o.Unresolved > 0 {
			also = fmt.Sprintf("; %d unresolved row%s need the CSV fixed", o.Unresolved, plural(o.Unresolved))
		}
		return exitcode.With(exitcode.Partial, fmt.Errorf("%d operations failed and %d were not attempted%s: see %s; acs-bulk rerun --from %s retries them%s",
			c[report.Failed], c[report.NotAttempted], reason, o.Dir.Failures(), dir, also))
	case o.Unresolved > 0 && !o.onlyVerify:
		return exitcode.With(exitcode.Partial, fmt.Errorf("%d row%s of the CSV did not resolve and %s skipped (--skip-unresolved): fix %s in the CSV (see %s); a rerun cannot",
			o.Unresolved, plural(o.Unresolved), wereWas(o.Unresolved), itThem(o.Unresolved), o.Dir.Failures()))
	case o.Verified[report.VerifyFailedOnAcs]+o.Verified[report.VerifyNotReflected] > 0:
		return exitcode.With(exitcode.Partial, fmt.Errorf("verify: of the changes Seam acknowledged, %d failed on the access system and %d are not reflected in the live state: see %s; acs-bulk rerun --from %s retries them",
			o.Verified[report.VerifyFailedOnAcs], o.Verified[report.VerifyNotReflected], o.Dir.Failures(), dir))
	}
	return nil
}

// Execute runs job: it refuses a plan whose guards tripped, asks
// (Deps.Confirm), creates the run directory under its own lock, writes
// plan.json and the journal, executes, verifies when asked, writes the
// reports and returns the outcome. ctx is the stop signal: when it ends,
// scheduling stops and the requests in flight finish.
//
// The error is non-nil when nothing was executed (a guard, the question, a
// directory in use) or the reports could not be written; otherwise it is
// nil and the outcome's Err says how the run ended.
func (s *Session) Execute(ctx context.Context, job *Job, opts Options) (*Outcome, error) {
	if ge := job.Doc.Plan.Guard(); ge != nil {
		return nil, s.refuse(job, ge, opts)
	}
	adds, removes := 0, 0
	for _, op := range job.Doc.Plan.Operations {
		if op.Action == plan.ActionAdd {
			adds++
		} else {
			removes++
		}
	}
	if s.deps.Confirm != nil && adds+removes > 0 {
		if err := s.deps.Confirm(ctx, Question{Verb: job.Verb, Adds: adds, Removes: removes, Endpoint: s.deps.Endpoint, Plan: job.Doc.Plan}); err != nil {
			return nil, err
		}
	}
	started := s.deps.Now().UTC()
	runID := report.NewRunID()
	dir := s.runDir(opts, started, runID)
	release, err := s.claim(dir)
	if err != nil {
		return nil, err
	}
	defer release()
	// plan.json keeps every operation in record order (skipped first), so
	// that a rerun after a crash can match the journal's records to
	// operations by Seq.
	ops := append(append([]plan.Operation{}, job.Skipped...), job.Doc.Plan.Operations...)
	if err := writePlan(dir, job.Doc, ops); err != nil {
		return nil, err
	}
	jr, err := s.openJournal(dir.Journal())
	if err != nil {
		return nil, err
	}
	defer jr.Close()
	// The rows that did not resolve are recorded first, before anything is
	// sent: they are in the journal even if the run dies.
	unresolved := UnresolvedRecords(job.Doc.Plan, s.deps.Now().UTC())
	for _, r := range unresolved {
		if err := jr.Append(r); err != nil {
			return nil, fmt.Errorf("%s stopped before sending anything: %w", job.Verb, err)
		}
	}

	log, verb := s.deps.Logger, string(job.Verb)
	log.Info(verb+" started", "run_id", runID, "endpoint", s.deps.Endpoint, "add", adds, "remove", removes, "skipped", len(job.Skipped), "report_dir", dir.Path())
	prog := progress.Nop()
	if s.deps.Progress != nil {
		prog = s.deps.Progress(len(ops))
	}
	res, runErr := exec.Run(context.Background(), s.deps.Client, ops, exec.Options{
		Concurrency: opts.Concurrency, MaxErrors: opts.MaxErrors, Stop: ctx.Done(), DrainTimeout: opts.DrainTimeout,
		Satisfied: len(job.Skipped), Record: jr.Append, OnDone: prog.Done, Now: s.deps.Now,
	})
	prog.Finish()
	if res == nil {
		return nil, runErr
	}
	verifiedAt := time.Time{}
	if opts.Verify && res.Stopped == "" {
		if err := s.verifier(opts.Concurrency).verify(ctx, res.Records, opts.VerifyTimeout); err != nil {
			log.Warn("verify did not finish", "error", err.Error())
		}
		verifiedAt = s.deps.Now().UTC()
	}
	out := newOutcome(job.Verb, dir, runID, res, s.deps.Client.Stats())
	out.runErr, out.interrupted = runErr, out.interrupted || ctx.Err() != nil
	if !verifiedAt.IsZero() {
		out.Verified = report.CountVerified(out.Records)
	}
	out.Records = append(out.Records, unresolved...)
	out.Counts[report.Unresolved] = len(unresolved)
	out.Unresolved = len(unresolved)
	if err := s.writeReport(dir, runID, started, job, opts, out, nil, verifiedAt); err != nil {
		return nil, err
	}
	c := out.Counts
	log.Info(verb+" finished", "run_id", runID, "succeeded", c[report.Succeeded], "failed", c[report.Failed],
		"not_attempted", c[report.NotAttempted], "skipped", c[report.Skipped], "throttled", out.Stats.Throttled,
		"lowest_rate", math.Round(out.Stats.LowestRate*10)/10, "stopped", res.Stopped)
	return out, nil
}

// RefusedError is a plan its guards refused: nothing was sent, and the run
// directory holds the plan (refused-plan.json) and a report naming the
// guards. It exits with the guard status.
type RefusedError struct {
	Guards *plan.GuardError
	Dir    report.Dir
}

func (e *RefusedError) Error() string { return e.Guards.Error() }

// Unwrap returns the guards, for errors.As.
func (e *RefusedError) Unwrap() error { return e.Guards }

// ExitCode is the guard status.
func (e *RefusedError) ExitCode() int { return exitcode.Guard }

// refuse records a refused plan in its run directory, logs the groups that
// would have lost members, and returns the refusal. When the directory
// cannot be written, the guard error is returned all the same, with the
// failure logged: a refusal never depends on the disk.
func (s *Session) refuse(job *Job, ge *plan.GuardError, opts Options) error {
	p := job.Doc.Plan
	for _, g := range p.Groups {
		if g.Remove > 0 {
			s.deps.Logger.Warn("refused: the group would lose members", "group", g.GroupName, "system", g.SystemName,
				"acs_access_group_id", g.GroupID, "remove", g.Remove, "of", g.Current)
		}
	}
	started := s.deps.Now().UTC()
	runID := report.NewRunID()
	dir := s.runDir(opts, started, runID)
	release, err := s.claim(dir)
	if err == nil {
		defer release()
		err = s.writeRefusal(dir, runID, started, job, ge, opts)
	}
	if err != nil {
		s.deps.Logger.Error("could not record the refused plan", "report_dir", dir.Path(), "error", err.Error())
		return ge
	}
	return &RefusedError{Guards: ge, Dir: dir}
}

// writeRefusal writes refused-plan.json and the report of a refusal.
func (s *Session) writeRefusal(dir report.Dir, runID string, started time.Time, job *Job, ge *plan.GuardError, opts Options) error {
	b, err := job.Doc.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(dir.RefusedPlan(), b, 0o600); err != nil {
		return err
	}
	ref := &report.Refusal{Guards: ge.Guards}
	for _, g := range ge.Guards {
		msg := g.Message
		if s.deps.GuardText != nil {
			msg = s.deps.GuardText(g)
		}
		ref.Messages = append(ref.Messages, msg)
	}
	out := &Outcome{Verb: job.Verb, Dir: dir, RunID: runID, Counts: report.Count(nil), Stopped: "refused by its guards"}
	return s.writeReport(dir, runID, started, job, opts, out, ref, time.Time{})
}

// runDir is the run's directory: --report-dir, or a new one under
// acs-bulk-runs.
func (s *Session) runDir(opts Options, started time.Time, runID string) report.Dir {
	if opts.ReportDir != "" {
		return report.Dir(opts.ReportDir)
	}
	return report.Dir(filepath.Join("acs-bulk-runs", report.RunDirName(started, runID)))
}

// claim creates the run directory and takes its lock, refusing a directory
// that already holds another run's files; release releases the lock.
func (s *Session) claim(dir report.Dir) (release func(), err error) {
	if err := os.MkdirAll(dir.Path(), 0o700); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	l, err := lock.Acquire(dir.Lock(), s.holder())
	if err != nil {
		return nil, err
	}
	// Checked under the directory's lock, so that two runs cannot both
	// find the directory free.
	for _, p := range dir.RunFiles() {
		if _, err := os.Stat(p); err == nil {
			l.Release()
			return nil, exitcode.Usagef("%s already holds %s of another run or plan; choose another --report-dir", dir, filepath.Base(p))
		}
	}
	return func() { l.Release() }, nil
}

// writePlan writes the run's plan.json: doc with ops as its operations.
func writePlan(dir report.Dir, doc *plan.Document, ops []plan.Operation) error {
	saved := *doc
	p := *doc.Plan
	p.Operations = ops
	saved.Plan = &p
	b, err := saved.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(dir.Plan(), b, 0o600)
}

// newOutcome counts what the executor's result says.
func newOutcome(verb Verb, dir report.Dir, runID string, res *exec.Result, stats seam.Stats) *Outcome {
	out := &Outcome{Verb: verb, Dir: dir, RunID: runID, Records: res.Records, Counts: report.Count(res.Records),
		Stopped: res.Stopped, Stats: stats, interrupted: res.Stopped == exec.StoppedInterrupted}
	for _, r := range res.Records {
		if r.Status == report.Succeeded {
			if r.Action == plan.ActionAdd {
				out.Added++
			} else {
				out.Removed++
			}
		}
	}
	return out
}

// UnresolvedRecords returns a record per row of p that did not resolve, in
// row order: status unresolved, Seq 0 (no operation), the row's file, line
// and values, and what is wrong in the error message.
func UnresolvedRecords(p *plan.Plan, at time.Time) []report.Record {
	var out []report.Record
	index := map[[2]any]int{}
	for _, e := range p.Unresolved {
		k := [2]any{e.File, e.Line}
		msg := desired.ColumnLabel(e.Column, e.Header) + e.Msg
		if e.Hint != "" {
			msg += "; " + e.Hint
		}
		if i, ok := index[k]; ok {
			out[i].ErrorMessage += "; " + msg
			continue
		}
		index[k] = len(out)
		out = append(out, report.Record{
			Operation: plan.Operation{
				SystemID: e.SystemID, SystemName: e.SystemName, GroupID: e.GroupID, GroupName: e.GroupName,
				AcsUserID: e.AcsUserID, UserIdentityID: e.UserIdentityID, Email: e.Email, FullName: e.FullName,
				File: e.File, Line: e.Line, Reason: "the row did not resolve (--skip-unresolved)",
			},
			Status: report.Unresolved, ErrorType: report.ErrorTypeUnresolved, ErrorMessage: msg, FinishedAt: at,
		})
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func wereWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// writeReport writes report.json, report.csv and failures.csv.
func (s *Session) writeReport(dir report.Dir, runID string, started time.Time, job *Job, opts Options, out *Outcome, refused *report.Refusal, verifiedAt time.Time) error {
	settings := map[string]any{"plan": job.Doc.Options, "concurrency": opts.Concurrency, "max_errors": opts.MaxErrors, "verify": opts.Verify}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	enc, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	summary := job.Doc.Plan.Summary()
	return report.Write(dir, &report.Run{
		RunID:      runID,
		Command:    s.deps.Command,
		Endpoint:   s.deps.Endpoint,
		StartedAt:  started,
		FinishedAt: s.deps.Now().UTC(),
		Options:    enc,
		Plan:       &summary,
		Stopped:    out.Stopped,
		LowestRate: out.Stats.LowestRate,
		Throttled:  int(out.Stats.Throttled),
		Records:    out.Records,
		Refused:    refused,
		VerifiedAt: verifiedAt,
	})
}

// verifier is verify as this session runs it.
func (s *Session) verifier(concurrency int) *verifier {
	return &verifier{c: s.deps.Client, now: s.deps.Now, sleep: s.deps.Sleep, concurrency: concurrency, log: s.deps.Logger}
}

// errVerifyTimeout is verify giving up with changes still in flight.
var errVerifyTimeout = errors.New("verify timed out")

// Figures are what --metrics-file says of a run that ended with exit code
// code at finished: the plan's counts when a job was made, the records'
// counts by action and status when it was executed.
func Figures(verb Verb, started, finished time.Time, code int, job *Job, out *Outcome) metrics.Run {
	m := metrics.Run{Command: string(verb), Started: started, Finished: finished, ExitCode: code}
	if job != nil {
		t := job.Doc.Plan.Totals
		m.Plan = map[string]int{"add": t.Add, "remove": t.Remove, "unchanged": t.Unchanged, "unresolved": t.Unresolved, "held": t.Held}
	}
	if out != nil {
		m.Operations = map[[2]string]int{}
		for _, r := range out.Records {
			m.Operations[[2]string{string(r.Action), string(r.Status)}]++
		}
		m.Throttled, m.LowestRate = out.Stats.Throttled, out.Stats.LowestRate
	}
	return m
}
