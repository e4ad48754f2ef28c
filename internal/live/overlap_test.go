package live_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// slowUnmanaged is an API of one system with a managed group g1 (members
// u1, u2) and an unmanaged group g2, whose unmanaged list answers only once
// g1's members were asked for: a list that waits for a retry.
type slowUnmanaged struct {
	unmanagedName string
	mu            sync.Mutex
	asked         chan struct{}
	memberReads   []string
}

func (a *slowUnmanaged) ListSystems(context.Context) ([]seam.System, error) {
	return []seam.System{{ID: "sys", Name: "Site"}}, nil
}

func (a *slowUnmanaged) ListAccessGroups(context.Context, string) ([]seam.AccessGroup, error) {
	return []seam.AccessGroup{{ID: "g1", SystemID: "sys", Name: "Lobby"}}, nil
}

func (a *slowUnmanaged) ListUnmanagedAccessGroups(ctx context.Context, _ string) ([]seam.AccessGroup, error) {
	f := false
	select {
	case <-a.asked:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []seam.AccessGroup{{ID: "g2", SystemID: "sys", Name: a.unmanagedName, IsManaged: &f}}, nil
}

func (a *slowUnmanaged) ListGroupMemberIDs(_ context.Context, id string) ([]string, error) {
	a.mu.Lock()
	a.memberReads = append(a.memberReads, id)
	if len(a.memberReads) == 1 {
		close(a.asked)
	}
	a.mu.Unlock()
	return []string{"u2", "u1"}, nil
}

func (a *slowUnmanaged) ListUsers(context.Context, string) ([]seam.User, error) { return nil, nil }

func (a *slowUnmanaged) ListUserIdentities(context.Context) ([]seam.UserIdentity, error) {
	return nil, nil
}

// byName is a Want that reads the group named name, unless two groups
// have that name (ambiguous: the planner reads neither).
type byName struct{ name string }

func (w byName) Systems([]seam.System) ([]string, error) { return []string{"sys"}, nil }
func (w byName) Groups(_ []seam.System, groups []seam.AccessGroup) []string {
	var ids []string
	for _, g := range groups {
		if g.Name == w.name {
			ids = append(ids, g.ID)
		}
	}
	if len(ids) != 1 || ids[0] != "g1" {
		return nil
	}
	return ids
}
func (w byName) Identities(*live.Snapshot) bool { return false }

// readSlow reads the groups named "Lobby" from a slowUnmanaged whose
// unmanaged group is named unmanagedName. The deadline only ends a read
// that would otherwise never end: one whose member reads wait for the
// unmanaged list, which waits for them.
func readSlow(t *testing.T, unmanagedName string) (*live.Snapshot, *slowUnmanaged, error) {
	t.Helper()
	api := &slowUnmanaged{unmanagedName: unmanagedName, asked: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, err := live.Read(ctx, api, byName{"Lobby"}, 4)
	return snap, api, err
}

// The members of the managed groups are read while the unmanaged list is
// still on its way: a retry of that list does not hold them up.
func TestReadMembersDoNotWaitForTheUnmanagedGroups(t *testing.T) {
	snap, _, err := readSlow(t, "Parking")
	if err != nil {
		t.Fatalf("read: %v (the members waited for the unmanaged groups)", err)
	}
	if d := cmp.Diff(map[string][]string{"g1": {"u1", "u2"}}, snap.Members); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if len(snap.Groups) != 2 {
		t.Errorf("groups %+v, want the managed and the unmanaged one", snap.Groups)
	}
}

// A managed group read early, whose name the unmanaged list then shows
// twice, is out of the plan: its members are not in the snapshot (the read
// cost one request more than the plan needs).
func TestReadDropsMembersTheUnmanagedGroupsRuleOut(t *testing.T) {
	snap, api, err := readSlow(t, "Lobby")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Members) != 0 {
		t.Errorf("members %v, want none: the name is ambiguous once every group is known", snap.Members)
	}
	if d := cmp.Diff([]string{"g1"}, api.memberReads); d != "" {
		t.Errorf("member reads (-want +got):\n%s", d)
	}
}
