package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/lock"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// ErrorTypeFailedOnAcs and ErrorTypeNotReflected are the error types verify
// gives a succeeded record whose change did not happen.
const (
	ErrorTypeFailedOnAcs  = seam.ErrorFailedToUpdateOnAcsSystem
	ErrorTypeNotReflected = "not_reflected"
)

// clockSkew is how far before an operation finished (by our clock) an
// access system error may be dated (by Seam's) and still be about it.
const clockSkew = 5 * time.Second

// verifier reads the live state of the succeeded operations of a run until
// each has a final outcome, or the time is up.
type verifier struct {
	c           Client
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	concurrency int
	log         *slog.Logger
}

// verify sets Verified on each succeeded record: it reads the groups of the
// operations, the users of their systems and their groups' pending
// mutations, and decides per operation: deferred (Seam scheduled it; not
// waited for), failed_on_acs (not reflected, and the user carries
// failed_to_update_on_acs_system dated after the operation), confirmed
// (reflected, nothing pending), pending (something in flight) or
// not_reflected (the live state does not show it, nothing explains why).
// The last two are read again, with backoff from a quarter second to five
// seconds, until timeout; they are what is left when it runs out.
func (v *verifier) verify(ctx context.Context, records []report.Record, timeout time.Duration) error {
	var idx []int
	systems := map[string]bool{}
	for i, r := range records {
		if r.Status == report.Succeeded {
			idx = append(idx, i)
			systems[r.SystemID] = true
		}
	}
	if len(idx) == 0 {
		return nil
	}
	deadline := v.now().Add(timeout)
	wait := 250 * time.Millisecond
	for {
		st, err := v.read(ctx, records, idx, systems)
		if err != nil {
			return err
		}
		open := 0
		for _, i := range idx {
			r := &records[i]
			if isFinal(r.Verified) {
				continue
			}
			outcome, msg := st.judge(r)
			r.Verified = outcome
			switch outcome {
			case report.VerifyFailedOnAcs:
				r.ErrorType, r.ErrorMessage = ErrorTypeFailedOnAcs, msg
			case report.VerifyNotReflected:
				r.ErrorType, r.ErrorMessage = ErrorTypeNotReflected, "Seam acknowledged the change, but the live state does not show it and nothing says why"
			default:
				r.ErrorType, r.ErrorMessage = "", ""
			}
			if !isFinal(outcome) {
				open++
			}
		}
		v.log.Info("verify", "operations", len(idx), "open", open)
		if open == 0 {
			return nil
		}
		if v.now().Add(wait).After(deadline) {
			return errVerifyTimeout
		}
		if err := v.sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// isFinal reports whether an outcome is not read again.
func isFinal(outcome string) bool {
	switch outcome {
	case report.VerifyConfirmed, report.VerifyDeferred, report.VerifyFailedOnAcs:
		return true
	}
	return false
}

// state is one read of what verify looks at.
type state struct {
	members live.GroupMembers
	users   map[string]seam.User
	groups  map[string]seam.AccessGroup
}

// read reads the members of the groups of the open operations, the users
// of their systems and the systems' groups (for the groups' mutations).
func (v *verifier) read(ctx context.Context, records []report.Record, idx []int, systems map[string]bool) (*state, error) {
	var ops []plan.Operation
	for _, i := range idx {
		if !isFinal(records[i].Verified) {
			ops = append(ops, records[i].Operation)
		}
	}
	members, err := live.ReadMembers(ctx, v.c, groupsOf(ops), v.concurrency)
	if err != nil {
		return nil, err
	}
	st := &state{members: members, users: map[string]seam.User{}, groups: map[string]seam.AccessGroup{}}
	for sys := range systems {
		users, err := v.c.ListUsers(ctx, sys)
		if err != nil {
			return nil, fmt.Errorf("list users of %s: %w", sys, err)
		}
		for _, u := range users {
			st.users[u.ID] = u
		}
		groups, err := v.c.ListAccessGroups(ctx, sys)
		if err != nil {
			return nil, fmt.Errorf("list access groups of %s: %w", sys, err)
		}
		for _, g := range groups {
			st.groups[g.ID] = g
		}
	}
	return st, nil
}

// judge decides a record's outcome on the state read, with the message of
// a refusal by the access system.
func (st *state) judge(r *report.Record) (outcome, msg string) {
	op := r.Operation
	id := op.AcsUserID
	if id == "" { // an add by identity: the member linked to it
		for _, u := range st.members[op.GroupID] {
			if u.UserIdentityID == op.UserIdentityID {
				id = u.ID
			}
		}
		if id == "" {
			id = op.LinkAcsUserID
		}
	}
	user, group := st.users[id], st.groups[op.GroupID]
	var updating, deferred bool
	for _, m := range append(user.GroupMutations(op.GroupID), group.UserMutations(id)...) {
		switch m.MutationCode {
		case seam.MutationDeferringGroupMembershipUpdate, seam.MutationDeferringUserMembershipUpdate:
			deferred = true
		default:
			updating = true
		}
	}
	reflected := Satisfied(st.members)(op)
	switch {
	case deferred:
		return report.VerifyDeferred, ""
	case !reflected:
		if e, ok := refusal(user, r.FinishedAt); ok {
			return report.VerifyFailedOnAcs, e.Message
		}
		if updating {
			return report.VerifyPending, ""
		}
		return report.VerifyNotReflected, ""
	case updating:
		return report.VerifyPending, ""
	}
	return report.VerifyConfirmed, ""
}

// refusal returns the user's failed_to_update_on_acs_system error dated
// after the operation finished (less the clock skew allowed), if any.
func refusal(u seam.User, finished time.Time) (seam.Issue, bool) {
	for _, e := range u.ErrorsWithCode(seam.ErrorFailedToUpdateOnAcsSystem) {
		at, ok := e.Created()
		if !ok || finished.IsZero() || !at.Before(finished.Add(-clockSkew)) {
			return e, true
		}
	}
	return seam.Issue{}, false
}

// sleepCtx waits d, or less if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Reverify verifies the succeeded operations of the run in dir again (the
// next morning, say), under the run's directory lock, and writes its
// reports anew with what it found. It needs the run's report.json. The
// outcome's Err is a failure only when verify found changes that did not
// happen (failed_on_acs, not_reflected).
func Reverify(ctx context.Context, deps Deps, dir report.Dir, timeout time.Duration, concurrency int) (*Outcome, error) {
	s := newSession(deps)
	if _, err := os.Stat(dir.RefusedPlan()); err == nil {
		return nil, &RefusedRunError{Dir: dir}
	}
	l, err := lock.Acquire(dir.Lock(), s.holder())
	if err != nil {
		return nil, err
	}
	defer l.Release()
	run, err := report.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, exitcode.Usagef("%s has no %s: the run did not finish; acs-bulk rerun --from %s finishes it", dir, report.ReportJSONName, dir)
	}
	if err != nil {
		return nil, err
	}
	for i := range run.Records {
		if r := &run.Records[i]; r.Status == report.Succeeded {
			r.Verified, r.ErrorType, r.ErrorMessage = "", "", ""
		}
	}
	verr := s.verifier(concurrency).verify(ctx, run.Records, timeout)
	if verr != nil && ctx.Err() != nil {
		return nil, exitcode.With(exitcode.Interrupted, fmt.Errorf("verify interrupted; %s is as it was", dir.ReportJSON()))
	}
	if verr != nil && !errors.Is(verr, errVerifyTimeout) {
		return nil, fmt.Errorf("verify: %w; %s is as it was", verr, dir.ReportJSON())
	}
	run.VerifiedAt = s.deps.Now().UTC()
	if err := report.Write(dir, run); err != nil {
		return nil, err
	}
	verified := report.CountVerified(run.Records)
	return &Outcome{Verb: "verify", Dir: dir, RunID: run.RunID, Records: run.Records, Counts: report.Count(run.Records), Verified: verified, onlyVerify: true}, nil
}
