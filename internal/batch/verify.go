package batch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// verify reads the groups of the succeeded operations again, and the users of
// their systems, until every change is reflected in the live state and no
// touched user has a pending updating_group_membership mutation for it, or
// until timeout. It sets Verified on each succeeded record. Polls start at a
// quarter second and back off to five seconds.
func verify(ctx context.Context, c Client, records []report.Record, timeout time.Duration, concurrency int, log *slog.Logger) error {
	var idx []int
	var ops []plan.Operation
	systems := map[string]bool{}
	for i, r := range records {
		if r.Status == report.Succeeded {
			idx = append(idx, i)
			ops = append(ops, r.Operation)
			systems[r.SystemID] = true
		}
	}
	if len(idx) == 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	wait := 250 * time.Millisecond
	for {
		members, err := live.ReadMembers(ctx, c, groupsOf(ops), concurrency)
		if err != nil {
			return err
		}
		users := map[string]seam.User{}
		for sys := range systems {
			list, err := c.ListUsers(ctx, sys)
			if err != nil {
				return fmt.Errorf("list users of %s: %w", sys, err)
			}
			for _, u := range list {
				users[u.ID] = u
			}
		}
		sat := Satisfied(members)
		open := 0
		for k, i := range idx {
			op := ops[k]
			switch {
			case !sat(op):
				records[i].Verified = report.VerifyNotReflected
				open++
			case pendingFor(users, members, op):
				records[i].Verified = report.VerifyPending
				open++
			default:
				records[i].Verified = report.VerifyConfirmed
			}
		}
		log.Info("verify", "operations", len(idx), "not_confirmed", open)
		if open == 0 {
			return nil
		}
		if time.Now().Add(wait).After(deadline) {
			return errVerifyTimeout
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// pendingFor says whether the operation's user still carries a pending
// membership mutation for the operation's group.
func pendingFor(users map[string]seam.User, members live.GroupMembers, op plan.Operation) bool {
	id := op.AcsUserID
	if id == "" { // an add by identity: the member linked to it
		for _, u := range members[op.GroupID] {
			if u.UserIdentityID == op.UserIdentityID {
				id = u.ID
			}
		}
	}
	for _, m := range users[id].PendingMutations {
		if m.MutationCode != seam.MutationUpdatingGroupMembership {
			continue
		}
		for _, side := range []*seam.MutationSide{m.From, m.To} {
			if side != nil && side.AccessGroupID != nil && *side.AccessGroupID == op.GroupID {
				return true
			}
		}
	}
	return false
}
