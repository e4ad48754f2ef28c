package live

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Members is the part of the API that [ReadMembers] needs.
type Members interface {
	ListGroupUsers(ctx context.Context, groupID string) ([]seam.User, error)
}

// GroupMembers is the members of some groups as read now: group id to its
// ACS users (full objects, for their identities and pending mutations).
type GroupMembers map[string][]seam.User

// ReadMembers reads the members of the given groups, concurrently (at most
// limit requests in flight; the client paces them). It is what apply --plan,
// rerun and --verify read: one request per group.
func ReadMembers(ctx context.Context, api Members, groupIDs []string, limit int) (GroupMembers, error) {
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	out := GroupMembers{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, id := range groupIDs {
		g.Go(func() error {
			users, err := api.ListGroupUsers(gctx, id)
			if err != nil {
				return fmt.Errorf("list members of group %s: %w", id, err)
			}
			mu.Lock()
			out[id] = users
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// IDs returns the member ids of each group, sorted, in the form of
// Snapshot.Members.
func (m GroupMembers) IDs() map[string][]string {
	out := make(map[string][]string, len(m))
	for g, users := range m {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		sort.Strings(ids)
		out[g] = ids
	}
	return out
}

// Has reports whether the group has the ACS user as a member.
func (m GroupMembers) Has(groupID, acsUserID string) bool {
	for _, u := range m[groupID] {
		if u.ID == acsUserID {
			return true
		}
	}
	return false
}

// HasIdentity reports whether the group has a member linked to the user
// identity (how an add by user_identity_id shows once done).
func (m GroupMembers) HasIdentity(groupID, userIdentityID string) bool {
	for _, u := range m[groupID] {
		if u.UserIdentityID == userIdentityID {
			return true
		}
	}
	return false
}

// MemberChange is a membership that appeared or disappeared between two
// reads of a group.
type MemberChange struct {
	GroupID   string
	AcsUserID string
	Added     bool // true: now a member, was not; false: was a member, is not
}

// DiffMembers lists the memberships that differ between before and after,
// for the groups of before, in group then user order.
func DiffMembers(before, after map[string][]string) []MemberChange {
	groups := make([]string, 0, len(before))
	for g := range before {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var out []MemberChange
	for _, g := range groups {
		was := map[string]bool{}
		for _, u := range before[g] {
			was[u] = true
		}
		is := map[string]bool{}
		for _, u := range after[g] {
			is[u] = true
		}
		var changes []MemberChange
		for u := range is {
			if !was[u] {
				changes = append(changes, MemberChange{GroupID: g, AcsUserID: u, Added: true})
			}
		}
		for u := range was {
			if !is[u] {
				changes = append(changes, MemberChange{GroupID: g, AcsUserID: u})
			}
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i].AcsUserID < changes[j].AcsUserID })
		out = append(out, changes...)
	}
	return out
}
