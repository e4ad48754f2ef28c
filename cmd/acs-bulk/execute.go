package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/lock"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/progress"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// runFlags are the flags of the commands that change memberships (apply,
// rerun, revert).
type runFlags struct {
	Yes           bool
	MaxErrors     int
	ReportDir     string
	Verify        bool
	VerifyTimeout time.Duration
	DrainTimeout  time.Duration
}

func (r *runFlags) register(f *pflag.FlagSet) {
	f.BoolVarP(&r.Yes, "yes", "y", false, "apply without asking (required when stdin is not a terminal, as in cron)")
	f.IntVar(&r.MaxErrors, "max-errors", 0, "stop after this many failed operations (0: no limit)")
	f.StringVar(&r.ReportDir, "report-dir", "", "directory for this run's journal and reports (default ./acs-bulk-runs/<UTC time>-<run id>)")
	f.BoolVar(&r.Verify, "verify", false, "after applying, read the groups again until Seam has pushed every change to the access system")
	f.DurationVar(&r.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long --verify waits for pending changes")
	f.DurationVar(&r.DrainTimeout, "drain-timeout", exec.DefaultDrainTimeout, "after an interrupt, how long requests in flight may take to finish")
}

// execution is one run that changes memberships: the operations to send,
// those already satisfied, and where to record it all.
type execution struct {
	io     *IO
	global *globalOptions
	api    *apiFlags
	run    *runFlags
	client *seam.Client

	// verb names the command in prompts and the summary ("apply", "rerun",
	// "revert").
	verb string
	// doc is the plan being applied; doc.Plan.Operations are the operations
	// to send.
	doc *plan.Document
	// skipped are operations the live state already satisfies; they are
	// recorded, not sent.
	skipped []plan.Operation
	// now is the clock (tests may fix it).
	now func() time.Time
	// wsLock is the workspace's lock, taken before the live state is read.
	wsLock  *lock.Lock
	started time.Time
}

// newExecution builds the client and takes the workspace lock, before the
// command reads the live state, so that what it plans from is not changed
// by another acs-bulk run while it asks or executes.
func newExecution(io *IO, g *globalOptions, api *apiFlags, run *runFlags, verb string, now func() time.Time) (*execution, error) {
	client, err := api.client(io, g, true)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	e := &execution{io: io, global: g, api: api, run: run, client: client, verb: verb, now: now, started: now().UTC()}
	wsPath, err := lock.WorkspaceLockPath(client.Endpoint(), credentialID(io.Getenv))
	if err != nil {
		return nil, err
	}
	if e.wsLock, err = lock.Acquire(wsPath, e.holder()); err != nil {
		return nil, err
	}
	return e, nil
}

// release releases the workspace lock.
func (e *execution) release() {
	if e.wsLock != nil {
		e.wsLock.Release()
	}
}

func (e *execution) holder() string {
	return lock.Describe(e.started, strings.Join(report.RedactArgs(e.global.Args), " "))
}

// credentialID identifies the workspace for its lock, without the key: the
// workspace id of a personal access token, or a hash of the API key.
func credentialID(getenv func(string) string) string {
	if ws := getenv("SEAM_WORKSPACE_ID"); ws != "" && getenv("SEAM_PERSONAL_ACCESS_TOKEN") != "" {
		return "workspace:" + ws
	}
	sum := sha256.Sum256([]byte(getenv("SEAM_API_KEY")))
	return "key:" + hex.EncodeToString(sum[:8])
}

// confirm asks on the terminal, or insists on --yes without one. An
// interrupt while it waits for the answer ends the command (exit 130)
// before anything is written.
func (e *execution) confirm(ctx context.Context, adds, removes int) error {
	if e.run.Yes || adds+removes == 0 {
		return nil
	}
	if !e.io.InTTY {
		return exitcode.Usagef("refusing to %s %d adds and %d removes without --yes: stdin is not a terminal (as in cron); nothing was changed", e.verb, adds, removes)
	}
	fmt.Fprintf(e.io.Err, "About to %s: %d to add, %d to remove, at %s.\nContinue? [y/N] ", e.verb, adds, removes, e.client.Endpoint())
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(e.io.In).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.io.Err)
		return exitcode.With(exitcode.Interrupted, errors.New("interrupted at the question; nothing was changed"))
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			if ctx.Err() != nil {
				return exitcode.With(exitcode.Interrupted, errors.New("interrupted; nothing was changed"))
			}
			return nil
		}
	}
	return exitcode.Usagef("not confirmed; nothing was changed")
}

// do executes: confirmation, locks, the run directory with the plan and the
// journal, the operations, --verify, the reports, the summary line and the
// exit status.
func (e *execution) do(ctx context.Context) error {
	ops := e.doc.Plan.Operations
	adds, removes := 0, 0
	for _, op := range ops {
		if op.Action == plan.ActionAdd {
			adds++
		} else {
			removes++
		}
	}
	log, err := e.global.logger(e.io.Err)
	if err != nil {
		return err
	}
	if err := e.confirm(ctx, adds, removes); err != nil {
		return err
	}

	started := e.now().UTC()
	runID := report.NewRunID()
	dir := e.run.ReportDir
	if dir == "" {
		dir = filepath.Join("acs-bulk-runs", report.RunDirName(started, runID))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	dirLock, err := lock.Acquire(filepath.Join(dir, lock.DirLockName), e.holder())
	if err != nil {
		return err
	}
	defer dirLock.Release()
	// Checked under the directory's lock, so that two runs cannot both
	// find the directory free.
	for _, name := range []string{report.ReportJSONName, report.JournalName, "plan.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return exitcode.Usagef("%s already holds %s of another run or plan; choose another --report-dir", dir, name)
		}
	}

	// The run directory keeps every operation in record order (skipped
	// first), so that a rerun after a crash can match the journal's
	// records to operations by Seq.
	all := append(append([]plan.Operation{}, e.skipped...), ops...)
	saved := *e.doc
	savedPlan := *e.doc.Plan
	savedPlan.Operations = all
	saved.Plan = &savedPlan
	b, err := saved.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "plan.json"), b, 0o600); err != nil {
		return err
	}
	journal, err := report.OpenJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		return err
	}
	defer journal.Close()

	records := make([]report.Record, 0, len(all))
	var journalErr error
	for i, op := range e.skipped {
		r := recordOf(op, i+1)
		r.Status = report.Skipped
		r.ErrorMessage = "already satisfied by the live state: not sent"
		r.FinishedAt = e.now().UTC()
		if journalErr == nil {
			journalErr = journal.Append(r)
		}
		records = append(records, r)
	}
	k := len(e.skipped)
	if journalErr != nil {
		// Nothing is sent without a journal; the report still has every
		// operation.
		for i, op := range ops {
			r := recordOf(op, k+i+1)
			r.Status, r.ErrorType = report.NotAttempted, exec.ErrorTypeJournal
			r.ErrorMessage = "not sent: the journal could not be written"
			records = append(records, r)
		}
		rep := &report.Run{RunID: runID, Command: e.global.Args, Endpoint: e.client.Endpoint(), StartedAt: started, FinishedAt: e.now().UTC(), Stopped: "journal", Records: records}
		if err := report.Write(dir, rep); err != nil {
			return fmt.Errorf("journal: %w; report: %v", journalErr, err)
		}
		return fmt.Errorf("%s stopped before sending anything: journal: %w; see %s", e.verb, journalErr, dir)
	}
	log.Info(e.verb+" started", "run_id", runID, "endpoint", e.client.Endpoint(), "add", adds, "remove", removes, "skipped", k, "report_dir", dir)

	prog := progress.Nop()
	if !e.global.Quiet {
		prog = progress.New(e.io.Err, e.io.ErrTTY, len(ops), log)
	}
	res, runErr := exec.Run(context.Background(), e.client, ops, exec.Options{
		Concurrency:  e.api.Concurrency,
		MaxErrors:    e.run.MaxErrors,
		Stop:         ctx.Done(),
		DrainTimeout: e.run.DrainTimeout,
		Record: func(r report.Record) error {
			r.Seq += k
			return journal.Append(r)
		},
		OnDone: prog.Done,
	})
	prog.Finish()
	if res == nil {
		return runErr
	}
	for _, r := range res.Records {
		r.Seq += k
		records = append(records, r)
	}

	if e.run.Verify && res.Stopped == "" {
		if err := verify(ctx, e.client, records, e.run.VerifyTimeout, log); err != nil {
			log.Warn("verify did not finish", "error", err.Error())
		}
	}

	stats := e.client.Stats()
	opts, _ := json.Marshal(map[string]any{
		"plan":        e.doc.Options,
		"concurrency": e.api.Concurrency,
		"rate":        e.api.Rate,
		"burst":       e.api.Burst,
		"max_errors":  e.run.MaxErrors,
		"verify":      e.run.Verify,
	})
	summary := e.doc.Plan.Summary()
	rep := &report.Run{
		RunID:      runID,
		Command:    e.global.Args,
		Endpoint:   e.client.Endpoint(),
		StartedAt:  started,
		FinishedAt: e.now().UTC(),
		Options:    opts,
		Plan:       &summary,
		Stopped:    res.Stopped,
		LowestRate: stats.LowestRate,
		Throttled:  int(stats.Throttled),
		Records:    records,
	}
	if err := report.Write(dir, rep); err != nil {
		return err
	}

	counts := report.Count(records)
	notReflected := 0
	for _, r := range records {
		if r.Verified == report.VerifyNotReflected {
			notReflected++
		}
	}
	added, removed := 0, 0
	for _, r := range records {
		if r.Status == report.Succeeded {
			if r.Action == string(plan.ActionAdd) {
				added++
			} else {
				removed++
			}
		}
	}
	skippedNote := ""
	if counts[report.Skipped] > 0 {
		skippedNote = fmt.Sprintf(", %d skipped", counts[report.Skipped])
	}
	fmt.Fprintf(e.io.Out, "%s: %d added, %d removed, %d failed, %d not attempted%s. Report: %s\n",
		pastTense(e.verb), added, removed, counts[report.Failed], counts[report.NotAttempted], skippedNote, dir)
	log.Info(e.verb+" finished", "run_id", runID, "succeeded", counts[report.Succeeded], "failed", counts[report.Failed],
		"not_attempted", counts[report.NotAttempted], "skipped", counts[report.Skipped], "throttled", stats.Throttled,
		"lowest_rate", math.Round(stats.LowestRate*10)/10, "stopped", res.Stopped)

	switch {
	case runErr != nil:
		return fmt.Errorf("%s stopped: %w; the report in %s has every operation", e.verb, runErr, dir)
	case res.Stopped == exec.StoppedInterrupted || ctx.Err() != nil:
		return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted; operations not started are recorded not_attempted in %s; acs-bulk rerun --from %s finishes the job", dir, dir))
	case strings.HasPrefix(res.Stopped, "authentication"):
		return fmt.Errorf("stopped: %s; check SEAM_API_KEY or the token's workspace, then acs-bulk rerun --from %s", res.Stopped, dir)
	case counts[report.Failed]+counts[report.NotAttempted] > 0:
		reason := ""
		if res.Stopped != "" {
			reason = " (" + res.Stopped + ")"
		}
		return exitcode.With(exitcode.Partial, fmt.Errorf("%d operations failed and %d were not attempted%s: see %s; acs-bulk rerun --from %s retries them",
			counts[report.Failed], counts[report.NotAttempted], reason, filepath.Join(dir, "failures.csv"), dir))
	case notReflected > 0:
		return exitcode.With(exitcode.Partial, fmt.Errorf("verify: %d operations Seam acknowledged are not reflected in the live state (verified \"not_reflected\" in %s)", notReflected, filepath.Join(dir, "report.csv")))
	}
	return nil
}

func pastTense(verb string) string {
	switch verb {
	case "apply":
		return "Applied"
	case "rerun":
		return "Rerun"
	case "revert":
		return "Reverted"
	}
	return verb
}

// recordOf starts the record of an operation.
func recordOf(op plan.Operation, seq int) report.Record {
	return report.Record{
		Seq: seq, Action: string(op.Action),
		SystemID: op.SystemID, SystemName: op.SystemName, GroupID: op.GroupID, GroupName: op.GroupName,
		AcsUserID: op.AcsUserID, UserIdentityID: op.UserIdentityID, Email: op.Email, FullName: op.FullName,
		File: op.File, Line: op.Line, Via: op.Via,
	}
}

// operationOf turns a record back into the operation it recorded (rerun,
// revert).
func operationOf(r report.Record) plan.Operation {
	return plan.Operation{
		Action: plan.Action(r.Action), SystemID: r.SystemID, SystemName: r.SystemName,
		GroupID: r.GroupID, GroupName: r.GroupName, AcsUserID: r.AcsUserID, UserIdentityID: r.UserIdentityID,
		Email: r.Email, FullName: r.FullName, File: r.File, Line: r.Line, Via: r.Via,
	}
}

// satisfiedBy says whether the live members already give what op asks.
func satisfiedBy(m live.GroupMembers) func(plan.Operation) bool {
	return func(op plan.Operation) bool {
		member := false
		if op.AcsUserID != "" {
			member = m.Has(op.GroupID, op.AcsUserID)
		} else if op.UserIdentityID != "" {
			member = m.HasIdentity(op.GroupID, op.UserIdentityID)
		}
		return member == (op.Action == plan.ActionAdd)
	}
}

// groupsOf lists the distinct groups of the operations.
func groupsOf(ops []plan.Operation) []string {
	seen := map[string]bool{}
	var out []string
	for _, op := range ops {
		if !seen[op.GroupID] {
			seen[op.GroupID] = true
			out = append(out, op.GroupID)
		}
	}
	return out
}

// splitSatisfied reads the members of the operations' groups and splits the
// operations into those still to send and those already satisfied.
func splitSatisfied(ctx context.Context, c *seam.Client, ops []plan.Operation, limit int) (todo, done []plan.Operation, members live.GroupMembers, err error) {
	members, err = readMembersOf(ctx, c, ops, limit)
	if err != nil {
		return nil, nil, nil, err
	}
	sat := satisfiedBy(members)
	for _, op := range ops {
		if sat(op) {
			done = append(done, op)
		} else {
			todo = append(todo, op)
		}
	}
	return todo, done, members, nil
}

// readMembersOf reads the members of the operations' groups.
func readMembersOf(ctx context.Context, c *seam.Client, ops []plan.Operation, limit int) (live.GroupMembers, error) {
	m, err := live.ReadMembers(ctx, c, groupsOf(ops), limit)
	if err != nil {
		return nil, fmt.Errorf("read live state: %w", err)
	}
	return m, nil
}

var errVerifyTimeout = errors.New("verify timed out")
