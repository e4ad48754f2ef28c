package sandbox

import (
	"fmt"
	"slices"
	"time"
)

// Pending mutation codes and error codes the sandbox shows, as Seam names them.
const (
	mutationMembership       = "updating_group_membership"         // on the user
	mutationDeferringMembers = "deferring_group_membership_update" // on the user
	mutationUserMembership   = "updating_user_membership"          // on the group
	mutationDeferringUsers   = "deferring_user_membership_update"  // on the group
	mutationCreating         = "creating"                          // on a new user
	errorFailedToUpdateOnACS = "failed_to_update_on_acs_system"    // on the user
	variantAdding            = "adding"
	variantRemoving          = "removing"
)

// The asynchronous model. A membership change answers at once and the
// membership (list_users, access_groups/list) changes at once, but the change
// reaches the access system only when Options.PropagationDelay has passed.
// Until then the user and the group show it in pending_mutations: as
// updating_group_membership / updating_user_membership, or, when
// Faults.Defer names the user or the group, as
// deferring_group_membership_update / deferring_user_membership_update. When
// the delay has passed the change is done; when Faults.AcsReject names the
// user or the group, the access system refuses it instead: the membership
// goes back to what it was before the change, and the user carries a
// failed_to_update_on_acs_system error until a later change of the same user
// and group reaches the access system.
//
// Time only moves when the server looks at it: advance runs at the start of
// every request and of every accessor, with the server's clock.

// change is a membership change on its way to the access system.
type change struct {
	seq       int
	userID    string
	groupID   string
	add       bool      // adding the user to the group; false: removing
	at, until time.Time // accepted at; reaches the access system at until
	deferred  bool      // scheduled rather than pushed (Faults.Defer)
	rejected  bool      // the access system will refuse it (Faults.AcsReject)
	requestID string
}

func (c *change) variant() string {
	if c.add {
		return variantAdding
	}
	return variantRemoving
}

// verb says what the change does to the user, e.g. "adding the user to".
func (c *change) verb() string {
	if c.add {
		return "adding the user to"
	}
	return "removing the user from"
}

// acsError is an error the access system left on an ACS user.
type acsError struct {
	groupID   string
	code      string
	message   string
	createdAt time.Time
}

// recordChange starts a membership change that the request c made (the
// membership itself has already changed). Without a propagation delay the
// change is done at once.
func (s *Server) recordChange(c *call, groupID, userID string, add bool) {
	if s.delay <= 0 {
		return
	}
	s.changeSeq++
	s.inflight = append(s.inflight, &change{
		seq: s.changeSeq, userID: userID, groupID: groupID, add: add,
		at: c.now, until: c.now.Add(s.delay), requestID: c.requestID,
		deferred: matchesAny(s.faults.Defer, userID, groupID),
		rejected: matchesAny(s.faults.AcsReject, userID, groupID),
	})
}

// advance brings the changes in flight up to now: those whose delay has
// passed reach the access system, in the order they were made.
func (s *Server) advance(now time.Time) {
	i := 0
	for i < len(s.inflight) && !now.Before(s.inflight[i].until) {
		ch := s.inflight[i]
		i++
		later := slices.ContainsFunc(s.inflight[i:], func(o *change) bool {
			return o.userID == ch.userID && o.groupID == ch.groupID
		})
		if !ch.rejected {
			s.clearACSError(ch.userID, ch.groupID)
			continue
		}
		if !later && s.members[ch.groupID][ch.userID] == ch.add {
			// Nothing replaced the change since: the membership goes back.
			if ch.add {
				delete(s.members[ch.groupID], ch.userID)
			} else {
				s.members[ch.groupID][ch.userID] = true
			}
			s.log = append(s.log, MembershipChange{
				Seq: len(s.log) + 1, Action: "revert", AccessGroupID: ch.groupID, AcsUserID: ch.userID,
				Changed: true, RequestID: ch.requestID, At: ch.until,
			})
		}
		s.setACSError(ch.userID, acsError{
			groupID: ch.groupID, code: errorFailedToUpdateOnACS, createdAt: ch.until,
			message: s.rejectMessage(ch),
		})
	}
	if i > 0 {
		s.inflight = slices.Delete(s.inflight, 0, i)
	}
}

func (s *Server) rejectMessage(ch *change) string {
	what := "add the user to"
	if !ch.add {
		what = "remove the user from"
	}
	name := ch.groupID
	if gi, ok := s.groups[ch.groupID]; ok {
		name = s.st.AcsAccessGroups[gi].Name
	}
	return fmt.Sprintf("Failed to %s access group %q (%s) on the access system: the access system refused the change (injected by the sandbox)", what, name, ch.groupID)
}

// setACSError records an error on a user, replacing one about the same group.
func (s *Server) setACSError(userID string, e acsError) {
	list := slices.DeleteFunc(s.userErrors[userID], func(o acsError) bool { return o.groupID == e.groupID && o.code == e.code })
	s.userErrors[userID] = append(list, e)
}

// clearACSError forgets a user's error about a group: a later change of the
// same membership reached the access system.
func (s *Server) clearACSError(userID, groupID string) {
	list := slices.DeleteFunc(s.userErrors[userID], func(o acsError) bool { return o.groupID == groupID })
	if len(list) == 0 {
		delete(s.userErrors, userID)
		return
	}
	s.userErrors[userID] = list
}

// userMutations renders a user's pending mutations: its creation, then its
// membership changes in the order they were made.
func (s *Server) userMutations(userID string, now time.Time) []mutationJSON {
	out := []mutationJSON{}
	for _, m := range s.pendingOf(userID, now) {
		out = append(out, mutationJSON{MutationCode: m.code, Message: m.message, CreatedAt: timestamp(m.createdAt)})
	}
	for _, ch := range s.inflight {
		if ch.userID != userID {
			continue
		}
		name := s.st.AcsAccessGroups[s.groups[ch.groupID]].Name
		m := mutationJSON{CreatedAt: timestamp(ch.at)}
		switch {
		case ch.deferred:
			m.MutationCode = mutationDeferringMembers
			m.AcsAccessGroupID = ch.groupID
			m.Variant = ch.variant()
			m.Message = fmt.Sprintf("Scheduled: %s access group %q", ch.verb(), name)
		case ch.add:
			m.MutationCode = mutationMembership
			m.From, m.To = &sideJSON{}, &sideJSON{AcsAccessGroupID: new(ch.groupID)}
			m.Message = fmt.Sprintf("Adding the user to access group %q", name)
		default:
			m.MutationCode = mutationMembership
			m.From, m.To = &sideJSON{AcsAccessGroupID: new(ch.groupID)}, &sideJSON{}
			m.Message = fmt.Sprintf("Removing the user from access group %q", name)
		}
		out = append(out, m)
	}
	return out
}

// groupMutations renders a group's pending mutations: the membership
// changes in flight, in the order they were made.
func (s *Server) groupMutations(groupID string) []groupMutationJSON {
	out := []groupMutationJSON{}
	for _, ch := range s.inflight {
		if ch.groupID != groupID {
			continue
		}
		who := ch.userID
		if ui, ok := s.users[ch.userID]; ok && s.st.AcsUsers[ui].FullName != "" {
			who = s.st.AcsUsers[ui].FullName
		}
		m := groupMutationJSON{CreatedAt: timestamp(ch.at)}
		switch {
		case ch.deferred:
			m.MutationCode = mutationDeferringUsers
			m.AcsUserID = ch.userID
			m.Variant = ch.variant()
			m.Message = fmt.Sprintf("Scheduled: %s %q", ch.variant(), who)
		case ch.add:
			m.MutationCode = mutationUserMembership
			m.From, m.To = &userSideJSON{}, &userSideJSON{AcsUserID: new(ch.userID)}
			m.Message = fmt.Sprintf("Adding %q to the access group", who)
		default:
			m.MutationCode = mutationUserMembership
			m.From, m.To = &userSideJSON{AcsUserID: new(ch.userID)}, &userSideJSON{}
			m.Message = fmt.Sprintf("Removing %q from the access group", who)
		}
		out = append(out, m)
	}
	return out
}

// userErrorsJSON renders a user's errors.
func (s *Server) userErrorsJSON(userID string) []issueJSON {
	out := []issueJSON{}
	for _, e := range s.userErrors[userID] {
		out = append(out, issueJSON{ErrorCode: e.code, Message: e.message, CreatedAt: timestamp(e.createdAt)})
	}
	return out
}

// pendingOf returns the user's creation mutation while it is in flight at
// now, forgetting it once done.
func (s *Server) pendingOf(userID string, now time.Time) []pendingMutation {
	list := s.pending[userID]
	if len(list) == 0 {
		return nil
	}
	kept := list[:0]
	for _, m := range list {
		if now.Before(m.until) {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		delete(s.pending, userID)
		return nil
	}
	s.pending[userID] = kept
	return kept
}
