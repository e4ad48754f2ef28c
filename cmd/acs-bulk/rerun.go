package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
)

// pastRun is what an earlier run left in its directory: the operations it
// was to apply (plan.json) and the outcome of each, from report.json, or
// from the journal when it crashed before writing the report.
type pastRun struct {
	dir string
	doc *plan.Document
	// outcome maps a Seq to its record; an operation with no record never
	// finished (the run crashed or was killed first).
	outcome map[int]report.Record
	// crashed is true when report.json is missing.
	crashed bool
}

func loadPastRun(dir string) (*pastRun, error) {
	// A run's directory always has its journal: apply opens it before the
	// first request. A folder with only a saved plan is not a run.
	if _, err := os.Stat(filepath.Join(dir, report.JournalName)); err != nil {
		return nil, exitcode.Usagef("%s is not the report directory of an apply run (no %s)", dir, report.JournalName)
	}
	doc, err := loadPlanDocument(filepath.Join(dir, "plan.json"))
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s is not the directory of an apply run: %w", dir, err))
	}
	if doc.Plan.Blocked || len(doc.Plan.Guards) > 0 {
		return nil, exitcode.Usagef("%s holds a plan that was refused; it was never applied", dir)
	}
	pr := &pastRun{dir: dir, doc: doc, outcome: map[int]report.Record{}}
	var records []report.Record
	run, err := report.Load(dir)
	switch {
	case err == nil:
		records = run.Records
	case errors.Is(err, fs.ErrNotExist):
		pr.crashed = true
		records, err = report.ReadJournal(filepath.Join(dir, "journal.jsonl"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	default:
		return nil, err
	}
	n := len(doc.Plan.Operations)
	for _, r := range records {
		if r.Seq < 1 || r.Seq > n {
			return nil, fmt.Errorf("%s: record %d does not match the %d operations of plan.json", dir, r.Seq, n)
		}
		op := doc.Plan.Operations[r.Seq-1]
		if r.Action != string(op.Action) || r.GroupID != op.GroupID || r.AcsUserID != op.AcsUserID || r.UserIdentityID != op.UserIdentityID {
			return nil, fmt.Errorf("%s: record %d (%s %s in %s) is not operation %d of plan.json (%s %s in %s): the directory's files do not belong together",
				dir, r.Seq, r.Action, r.AcsUserID+r.UserIdentityID, r.GroupID, r.Seq, op.Action, op.AcsUserID+op.UserIdentityID, op.GroupID)
		}
		pr.outcome[r.Seq] = r
	}
	return pr, nil
}

// maybeDone are the operations that may have reached the server: those
// recorded succeeded, those that failed with an unknown outcome (no answer,
// or a 5xx: the change may have been made before the answer was lost), and
// those with no record (in flight when the run was killed).
func (pr *pastRun) maybeDone() []plan.Operation {
	var out []plan.Operation
	for i, op := range pr.doc.Plan.Operations {
		r, ok := pr.outcome[i+1]
		switch {
		case !ok, r.Status == report.Succeeded,
			r.Status == report.Failed && (r.HTTPStatus == 0 || r.HTTPStatus >= 500):
			out = append(out, op)
		}
	}
	return out
}

// leftovers are the operations that did not succeed: failed, not attempted,
// or never recorded (a crash).
func (pr *pastRun) leftovers() []plan.Operation {
	var out []plan.Operation
	for i, op := range pr.doc.Plan.Operations {
		r, ok := pr.outcome[i+1]
		if !ok || r.Status == report.Failed || r.Status == report.NotAttempted {
			out = append(out, op)
		}
	}
	return out
}

type rerunOptions struct {
	io     *IO
	global *globalOptions
	api    apiFlags
	run    runFlags
	From   string
	now    func() time.Time
}

func newRerunCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &rerunOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "rerun --from DIR [--yes]",
		Short: "Retry what an earlier run did not finish",
		Long: `Take the operations of an earlier apply (its report directory) that failed,
were not attempted, or never finished (a run that crashed or was killed before
writing report.json is read from its journal), read the live state of their
groups again, drop those already satisfied (recorded as skipped), and execute
the rest with a new report. No operation is done twice: what reached the
server before a crash shows in the live state and is skipped.

Rerun finishes the same operations the earlier run was allowed to make; it
does not check the removal guards again.

` + runExitCodes,
		Example: `  acs-bulk rerun --from acs-bulk-runs/20261122T020000Z-1a2b3c4d --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rerunRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "report directory of the earlier run (required)")
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func rerunRun(ctx context.Context, o *rerunOptions) error {
	pr, err := loadPastRun(o.From)
	if err != nil {
		return err
	}
	ex, err := newExecution(o.io, o.global, &o.api, &o.run, "rerun", o.now)
	if err != nil {
		return err
	}
	defer ex.release()
	ops := pr.leftovers()
	todo, done, members, err := splitSatisfied(ctx, ex.client, ops, o.api.Concurrency)
	if err != nil {
		return err
	}
	p, _, err := plan.Replan(todo, members.IDs(), pr.doc.Options, func(plan.Operation) bool { return false })
	if err != nil {
		return err
	}
	p.Guards = nil // the earlier run's guards allowed these operations
	doc := *pr.doc
	doc.CreatedAt = o.now().UTC()
	doc.Plan = p
	if pr.crashed {
		o.global.say(o.io.Err, slog.LevelWarn, fmt.Sprintf("%s has no report.json (the run did not finish); its journal says which operations finished", o.From))
	}
	if o.io.InTTY && !o.run.Yes {
		p.WriteText(o.io.Err)
	}
	ex.doc, ex.skipped = &doc, done
	return ex.do(ctx)
}

type revertOptions struct {
	io               *IO
	global           *globalOptions
	api              apiFlags
	run              runFlags
	From             string
	MaxRemovals      string
	AllowEmptyGroups bool
	now              func() time.Time
}

func newRevertCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &revertOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "revert --from DIR [--yes]",
		Short: "Undo what an earlier run changed",
		Long: `Plan the inverse of an earlier run's succeeded operations (an add becomes a
remove, a remove an add), read the live state of their groups, drop what is
already undone, and execute the rest like any apply: shown, guarded by
--max-removals and the empty-group guard, and confirmed (--yes without a
terminal), with a new report.

An add that went by user identity is undone by removing the ACS user that
Seam linked or created for it.

` + runExitCodes,
		Example: `  acs-bulk revert --from acs-bulk-runs/20261122T020000Z-1a2b3c4d
  acs-bulk revert --from acs-bulk-runs/20261122T020000Z-1a2b3c4d --max-removals 100% --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return revertRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "report directory of the run to undo (required)")
	cmd.Flags().StringVar(&o.MaxRemovals, "max-removals", "10%", "refuse to remove more than N memberships, or N% of the memberships of the groups involved")
	cmd.Flags().BoolVar(&o.AllowEmptyGroups, "allow-empty-groups", false, "allow the revert to empty a group")
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func revertRun(ctx context.Context, o *revertOptions) error {
	limit, err := plan.ParseMaxRemovals(o.MaxRemovals)
	if err != nil {
		return exitcode.Usagef("--max-removals: %v", err)
	}
	pr, err := loadPastRun(o.From)
	if err != nil {
		return err
	}
	// Every operation that may have reached the server is undone; the live
	// check below drops those that in fact never happened.
	var inverse []plan.Operation
	for _, op := range pr.maybeDone() {
		inv := op
		inv.File, inv.Line = "", 0
		if op.Action == plan.ActionAdd {
			inv.Action = plan.ActionRemove
			inv.Reason = "undo: added by the run in " + o.From
		} else {
			inv.Action = plan.ActionAdd
			inv.Via = plan.ViaAcsUserID
			inv.Reason = "undo: removed by the run in " + o.From
		}
		inverse = append(inverse, inv)
	}
	ex, err := newExecution(o.io, o.global, &o.api, &o.run, "revert", o.now)
	if err != nil {
		return err
	}
	defer ex.release()
	members, err := readMembersOf(ctx, ex.client, inverse, o.api.Concurrency)
	if err != nil {
		return err
	}
	// A remove that undoes an add by identity removes the ACS user Seam
	// linked or created for the identity.
	for i, op := range inverse {
		if op.Action == plan.ActionRemove && op.AcsUserID == "" {
			for _, u := range members[op.GroupID] {
				if u.UserIdentityID == op.UserIdentityID {
					inverse[i].AcsUserID, inverse[i].Via = u.ID, plan.ViaAcsUserID
				}
			}
		}
	}
	opts := pr.doc.Options
	opts.MaxRemovals, opts.AllowEmptyGroups = limit, o.AllowEmptyGroups
	p, done, err := plan.Replan(inverse, members.IDs(), opts, satisfiedBy(members))
	if err != nil {
		return err
	}
	if o.io.InTTY && !o.run.Yes || p.Guard() != nil && o.io.ErrTTY {
		p.WriteText(o.io.Err)
	}
	if err := guardError(p); err != nil {
		return err
	}
	doc := *pr.doc
	doc.CreatedAt = o.now().UTC()
	doc.Options = opts
	doc.Plan = p
	ex.doc, ex.skipped = &doc, done
	return ex.do(ctx)
}
