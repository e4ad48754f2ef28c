package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/metrics"
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
	MetricsFile   string
}

func (r *runFlags) register(f *pflag.FlagSet) {
	f.BoolVarP(&r.Yes, "yes", "y", false, "apply without asking (required when stdin is not a terminal, as in cron)")
	f.IntVar(&r.MaxErrors, "max-errors", 0, "stop after this many failed operations (0: no limit)")
	f.StringVar(&r.ReportDir, "report-dir", "", "directory for this run's journal and reports (default ./acs-bulk-runs/<UTC time>-<run id>)")
	f.BoolVar(&r.Verify, "verify", false, "after applying, read the groups again until Seam has pushed every change to the access system")
	f.DurationVar(&r.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long --verify waits for pending changes")
	f.DurationVar(&r.DrainTimeout, "drain-timeout", exec.DefaultDrainTimeout, "after an interrupt, how long requests in flight may take to finish (0: cancel them at once)")
	f.StringVar(&r.MetricsFile, "metrics-file", "", "write the run's figures to this file in the Prometheus text format (node_exporter's textfile collector), on every exit")
}

// runCmd is what apply, rerun and revert share: the IO, the flags, the
// client and the session holding the workspace lock.
type runCmd struct {
	io     *IO
	global *globalOptions
	api    *apiFlags
	flags  *runFlags
	now    func() time.Time
	client *seam.Client
	sess   *batch.Session
	// started, job and out are what --metrics-file reports.
	started time.Time
	job     *batch.Job
	out     *batch.Outcome
}

// newRunCmd starts the clock of a run command.
func newRunCmd(io *IO, g *globalOptions, api *apiFlags, flags *runFlags, now func() time.Time) *runCmd {
	return &runCmd{io: io, global: g, api: api, flags: flags, now: now, started: now()}
}

// finish writes --metrics-file for a command that ends with err, whatever
// err is, and returns err (or the failure to write the metrics, when the
// command itself succeeded).
func (c *runCmd) finish(verb batch.Verb, err error) error {
	if c.flags.MetricsFile == "" {
		return err
	}
	m := batch.Figures(verb, c.started, c.now(), exitcode.For(err), c.job, c.out)
	werr := metrics.Write(c.flags.MetricsFile, m)
	switch {
	case werr == nil:
		return err
	case err == nil:
		return fmt.Errorf("write --metrics-file: %w", werr)
	}
	c.global.say(c.io.Err, slog.LevelError, "write --metrics-file: "+werr.Error())
	return err
}

// start builds the client and takes the workspace lock, before the command
// reads the live state.
// The caller has checked the flags.
func (c *runCmd) start() error {
	client, err := c.api.client(c.io, c.global, true)
	if err != nil {
		return err
	}
	log, err := c.global.logger(c.io.Err)
	if err != nil {
		return err
	}
	deps := batch.Deps{
		Client: client, Endpoint: client.Endpoint(),
		Workspace: workspaceIdentity(c.io.Getenv), LockDir: lockDir(c.io),
		Command: c.global.Args, Now: c.now, Confirm: c.confirm, Logger: log, GuardText: guardText,
	}
	if !c.global.Quiet {
		deps.Progress = func(total int) progress.Reporter { return progress.New(c.io.Err, c.io.ErrTTY, total, log) }
	}
	if c.flags.Yes {
		deps.Confirm = nil
	}
	sess, err := batch.Start(deps)
	if err != nil {
		return err
	}
	c.client, c.sess = client, sess
	return nil
}

// check refuses a flag out of its range before anything is read or written.
func (c *runCmd) check() error {
	if err := c.api.check(); err != nil {
		return err
	}
	return c.flags.check()
}

// close releases the workspace lock.
func (c *runCmd) close() {
	if c.sess != nil {
		c.sess.Close()
	}
}

// execute runs the job and prints its summary line; the error decides the
// exit status.
func (c *runCmd) execute(ctx context.Context, job *batch.Job) error {
	c.job = job
	for _, w := range job.Warnings {
		c.global.say(c.io.Err, slog.LevelWarn, w)
	}
	c.warnUnresolved(job.Doc.Plan)
	if job.Verb != batch.Apply && len(job.Doc.Plan.Operations) == 0 {
		// Nothing to send: no run directory, and say so.
		fmt.Fprintln(c.io.Out, nothingToDo(job))
		return nil
	}
	// On a terminal, the per-group summary before the question (plan shows
	// the whole listing), or before a refusal.
	if c.io.InTTY && !c.flags.Yes || job.Doc.Plan.Guard() != nil && c.io.ErrTTY {
		job.Doc.Plan.WriteSummary(c.io.Err)
	}
	out, err := c.sess.Execute(ctx, job, batch.Options{
		ReportDir: c.flags.ReportDir, Concurrency: c.api.Concurrency, MaxErrors: c.flags.MaxErrors,
		DrainTimeout: c.flags.drain(), Verify: c.flags.Verify, VerifyTimeout: c.flags.VerifyTimeout,
		Settings: map[string]any{"rate": c.api.Rate, "burst": c.api.Burst},
	})
	if err != nil {
		return err
	}
	c.out = out
	fmt.Fprintln(c.io.Out, summaryLine(out))
	return out.Err()
}

// loadPast checks that from is a run a rerun or revert can start from,
// before the client and the lock. A run whose plan was refused sent
// nothing: there is nothing to do, which it says (done is true).
func (c *runCmd) loadPast(verb batch.Verb, from string) (done bool, err error) {
	_, err = batch.Load(report.Dir(from))
	var rr *batch.RefusedRunError
	if errors.As(err, &rr) {
		fmt.Fprintf(c.io.Out, "Nothing to %s: %v.\n", verb, err)
		return true, nil
	}
	return false, err
}

// nothingToDo says why a rerun or revert sends nothing.
func nothingToDo(job *batch.Job) string {
	done := ""
	if n := len(job.Skipped); n > 0 {
		done = fmt.Sprintf(" (%d already done in the live state)", n)
	}
	if job.Verb == batch.Revert {
		return "Nothing to revert: nothing the run changed is left to undo" + done + "; no report written."
	}
	return "Nothing to rerun: no operation of the run is left to do" + done + "; no report written."
}

// warnUnresolved logs a warning per row --skip-unresolved skips (the first
// 50, then a count): each also gets a record in the reports.
func (c *runCmd) warnUnresolved(p *plan.Plan) {
	rows := batch.UnresolvedRecords(p, time.Time{})
	for i, r := range rows {
		if i == maxShown {
			c.global.say(c.io.Err, slog.LevelWarn, fmt.Sprintf("... and %d more unresolved rows (see failures.csv)", len(rows)-maxShown))
			break
		}
		c.global.say(c.io.Err, slog.LevelWarn, fmt.Sprintf("%s:%d: %s (skipped: the row did not resolve)", r.File, r.Line, r.ErrorMessage))
	}
}

// maxShown is how many problems a list on stderr shows before a count.
const maxShown = 50

// summaryLine is the last line a run prints on stdout, the report
// directory last: "Applied: 12 added, 3 removed, 1 failed, 0 not
// attempted. Report: DIR".
func summaryLine(o *batch.Outcome) string {
	extra := ""
	if n := o.Counts[report.Skipped]; n > 0 {
		extra += fmt.Sprintf(", %d skipped", n)
	}
	if o.Unresolved > 0 {
		extra += fmt.Sprintf(", %d unresolved", o.Unresolved)
	}
	if o.Verified != nil {
		extra += "; verified: " + verifyCounts(o.Verified)
	}
	return fmt.Sprintf("%s: %d added, %d removed, %d failed, %d not attempted%s. Report: %s",
		pastTense(o.Verb), o.Added, o.Removed, o.Counts[report.Failed], o.Counts[report.NotAttempted], extra, o.Dir)
}

func pastTense(v batch.Verb) string {
	switch v {
	case batch.Apply:
		return "Applied"
	case batch.Rerun:
		return "Rerun"
	case batch.Revert:
		return "Reverted"
	}
	return string(v)
}

// confirm asks on the terminal, or insists on --yes without one. An
// interrupt while it waits for the answer ends the command (exit 130)
// before anything is written.
func (c *runCmd) confirm(ctx context.Context, q batch.Question) error {
	if !c.io.InTTY {
		return exitcode.Usagef("refusing to %s %d add%s and %d remove%s without --yes: stdin is not a terminal (as in cron); nothing was changed", q.Verb, q.Adds, plural(q.Adds), q.Removes, plural(q.Removes))
	}
	fmt.Fprintf(c.io.Err, "About to %s: %d to add, %d to remove, at %s.\nContinue? [y/N] ", q.Verb, q.Adds, q.Removes, q.Endpoint)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c.io.In).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(c.io.Err)
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
