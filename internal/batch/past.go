package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
)

// Past is what an earlier run left in its directory: the operations it was
// to apply (plan.json) and the outcome of each, from report.json, or from
// the journal when it crashed before writing the report.
type Past struct {
	Dir report.Dir
	Doc *plan.Document
	// Outcome maps a Seq to its record; an operation with no record never
	// finished (the run crashed or was killed first).
	Outcome map[int]report.Record
	// Crashed is true when report.json is missing.
	Crashed bool
	// Unresolved are the records of the rows that did not resolve: a rerun
	// cannot fix them.
	Unresolved []report.Record
}

// Load reads the run directory dir. A directory without a journal, or whose
// plan was refused, is not a run (a usage error); records that do not match
// plan.json's operations are an error.
func Load(dir report.Dir) (*Past, error) {
	if _, err := os.Stat(dir.RefusedPlan()); err == nil {
		return nil, &RefusedRunError{Dir: dir}
	}
	// A run's directory always has its journal: apply opens it before the
	// first request. A folder with only a saved plan is not a run.
	if _, err := os.Stat(dir.Journal()); err != nil {
		return nil, exitcode.Usagef("%s is not the report directory of an apply run (no %s)", dir, report.JournalName)
	}
	doc, err := LoadPlan(dir.Plan())
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s is not the directory of an apply run: %w", dir, err))
	}
	if doc.Plan.Blocked || len(doc.Plan.Guards) > 0 {
		return nil, exitcode.Usagef("%s holds a plan that was refused; it was never applied", dir)
	}
	p := &Past{Dir: dir, Doc: doc, Outcome: map[int]report.Record{}}
	var records []report.Record
	rep, err := report.Load(dir)
	switch {
	case err == nil:
		records = rep.Records
	case errors.Is(err, fs.ErrNotExist):
		p.Crashed = true
		records, err = report.ReadJournal(dir.Journal())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	default:
		return nil, err
	}
	n := len(doc.Plan.Operations)
	for _, r := range records {
		if r.Status == report.Unresolved && r.Seq == 0 {
			p.Unresolved = append(p.Unresolved, r)
			continue
		}
		if r.Seq < 1 || r.Seq > n {
			return nil, fmt.Errorf("%s: record %d does not match the %d operations of %s", dir, r.Seq, n, report.PlanName)
		}
		op := doc.Plan.Operations[r.Seq-1]
		if r.Action != op.Action || r.GroupID != op.GroupID || r.AcsUserID != op.AcsUserID || r.UserIdentityID != op.UserIdentityID {
			return nil, fmt.Errorf("%s: record %d (%s %s in %s) is not operation %d of %s (%s %s in %s): the directory's files do not belong together",
				dir, r.Seq, r.Action, r.AcsUserID+r.UserIdentityID, r.GroupID, r.Seq, report.PlanName, op.Action, op.AcsUserID+op.UserIdentityID, op.GroupID)
		}
		p.Outcome[r.Seq] = r
	}
	return p, nil
}

// RefusedRunError is the directory of a run whose plan its guards refused:
// nothing was sent then, so there is nothing to rerun or revert.
type RefusedRunError struct{ Dir report.Dir }

func (e *RefusedRunError) Error() string {
	return fmt.Sprintf("%s holds a plan its guards refused (%s): nothing was sent then; see %s", e.Dir, report.RefusedPlanName, e.Dir.ReportJSON())
}

// LoadPlan reads a saved plan document (plan --out, or a run's plan.json).
func LoadPlan(path string) (*plan.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	doc, err := plan.Unmarshal(data)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s: %w", path, err))
	}
	return doc, nil
}

// MaybeDone are the operations that may have reached the server: those
// recorded succeeded, those that failed with an unknown outcome (no answer,
// or a 5xx: the change may have been made before the answer was lost), and
// those with no record (in flight when the run was killed).
func (p *Past) MaybeDone() []plan.Operation {
	var out []plan.Operation
	for i, op := range p.Doc.Plan.Operations {
		r, ok := p.Outcome[i+1]
		switch {
		case !ok, r.Status == report.Succeeded,
			r.Status == report.Failed && (r.HTTPStatus == 0 || r.HTTPStatus >= 500):
			out = append(out, op)
		}
	}
	return out
}

// Leftovers are the operations that did not succeed: failed, not attempted,
// or never recorded (a crash).
func (p *Past) Leftovers() []plan.Operation {
	var out []plan.Operation
	for i, op := range p.Doc.Plan.Operations {
		r, ok := p.Outcome[i+1]
		if !ok || r.Retried() {
			out = append(out, op)
		}
	}
	return out
}

// Rerun builds the job that finishes what the run in dir did not: its
// leftovers, less those the live state already satisfies (recorded
// skipped). It does not check the guards again: the earlier run's allowed
// these operations.
func (s *Session) Rerun(ctx context.Context, dir report.Dir, concurrency int) (*Job, error) {
	past, err := Load(dir)
	if err != nil {
		return nil, err
	}
	ops := past.Leftovers()
	members, err := s.members(ctx, ops, concurrency)
	if err != nil {
		return nil, err
	}
	p, done, err := plan.Replan(ops, members.IDs(), past.Doc.Options, Satisfied(members))
	if err != nil {
		return nil, err
	}
	p.Guards = nil // the earlier run's guards allowed these operations
	doc := *past.Doc
	doc.CreatedAt = s.deps.Now().UTC()
	doc.Plan = p
	job := &Job{Verb: Rerun, Doc: &doc, Skipped: done}
	if past.Crashed {
		job.Warnings = append(job.Warnings, fmt.Sprintf("%s has no %s (the run did not finish); its journal says which operations finished", dir, report.ReportJSONName))
	}
	if n := len(past.Unresolved); n > 0 {
		where := make([]string, 0, 5)
		for i, r := range past.Unresolved {
			if i == 5 {
				where = append(where, fmt.Sprintf("and %d more", n-5))
				break
			}
			where = append(where, fmt.Sprintf("%s:%d", r.File, r.Line))
		}
		job.Warnings = append(job.Warnings, fmt.Sprintf("%d row%s of the run in %s did not resolve; a rerun cannot fix %s: correct %s in the CSV (%s) and apply again",
			n, plural(n), dir, itThem(n), itThem(n), strings.Join(where, ", ")))
	}
	return job, nil
}

// Revert builds the job that undoes the run in dir: the inverse of every
// operation that may have reached Seam, less what is already undone, with
// the guards computed with the given removal limit.
func (s *Session) Revert(ctx context.Context, dir report.Dir, limit plan.Limit, allowEmptyGroups bool, concurrency int) (*Job, error) {
	past, err := Load(dir)
	if err != nil {
		return nil, err
	}
	// Every operation that may have reached the server is undone; the live
	// check below drops those that in fact never happened.
	var inverse []plan.Operation
	for _, op := range past.MaybeDone() {
		inv := op
		inv.File, inv.Line = "", 0
		if op.Action == plan.ActionAdd {
			inv.Action = plan.ActionRemove
			inv.Reason = "undo: added by the run in " + dir.Path()
		} else {
			inv.Action = plan.ActionAdd
			inv.Via = plan.ViaAcsUserID
			inv.Reason = "undo: removed by the run in " + dir.Path()
		}
		inverse = append(inverse, inv)
	}
	members, err := s.members(ctx, inverse, concurrency)
	if err != nil {
		return nil, err
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
	opts := past.Doc.Options
	// Undoing restores what was: the run's own --max-adds does not apply.
	opts.MaxRemovals, opts.AllowEmptyGroups, opts.MaxAdds = limit, allowEmptyGroups, nil
	p, done, err := plan.Replan(inverse, members.IDs(), opts, Satisfied(members))
	if err != nil {
		return nil, err
	}
	doc := *past.Doc
	doc.CreatedAt = s.deps.Now().UTC()
	doc.Options = opts
	doc.Plan = p
	return &Job{Verb: Revert, Doc: &doc, Skipped: done}, nil
}

// members reads the members of the operations' groups.
func (s *Session) members(ctx context.Context, ops []plan.Operation, concurrency int) (live.GroupMembers, error) {
	m, err := live.ReadMembers(ctx, s.deps.Client, groupsOf(ops), concurrency)
	if err != nil {
		return nil, fmt.Errorf("read live state: %w", err)
	}
	return m, nil
}

// Satisfied says whether the live members already give what op asks.
func Satisfied(m live.GroupMembers) func(plan.Operation) bool {
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
