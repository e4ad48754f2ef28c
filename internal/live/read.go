package live

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// API is the part of the Seam client that reading the live state needs.
// *seam.Client implements it; pacing and retries are its business.
type API interface {
	ListSystems(ctx context.Context) ([]seam.System, error)
	ListAccessGroups(ctx context.Context, systemID string) ([]seam.AccessGroup, error)
	ListUnmanagedAccessGroups(ctx context.Context, systemID string) ([]seam.AccessGroup, error)
	ListGroupMemberIDs(ctx context.Context, groupID string) ([]string, error)
	ListUsers(ctx context.Context, systemID string) ([]seam.User, error)
	ListUserIdentities(ctx context.Context) ([]seam.UserIdentity, error)
}

// Want decides what [Read] reads, in the order the reads depend on each
// other. live itself knows nothing of the desired state: the planner
// implements Want (plan.Reads), so that one resolver decides both what is
// read and how rows resolve against it.
type Want interface {
	// Systems returns the ids of the systems whose groups and users to
	// read, given every system of the workspace; an error (a --system that
	// names no system) stops the read.
	Systems(all []seam.System) ([]string, error)
	// Groups returns the ids of the groups whose members to read, given
	// every system and the groups (managed and unmanaged) of those read.
	// [Read] asks twice: with the managed groups alone, to start their
	// reads early, then with every group, whose answer decides.
	Groups(systems []seam.System, groups []seam.AccessGroup) []string
	// Identities reports whether the workspace's user identities must be
	// read, given the systems, groups and users read (no members).
	Identities(snap *Snapshot) bool
}

// DefaultConcurrency is how many requests [Read] and [ReadMembers] have in
// flight when not told.
const DefaultConcurrency = 8

// Read reads the live state want asks for: every system; the managed and
// unmanaged groups and the ACS users of the systems want.Systems picks; the
// members of the groups want.Groups picks, read as soon as the managed
// groups are known (the unmanaged list may still be on its way, or waiting
// for a retry), while the users' pages are still coming, then those the
// unmanaged groups add; and the user identities when want.Identities says
// so, once the users are read. At most concurrency requests are in flight
// (DefaultConcurrency when 0).
//
// Requests made, for S systems read, G groups read and U users:
// 1 (systems) + 2S (managed and unmanaged groups) + G (members) +
// S*ceil(U/500) (users, paginated) + identities pages when needed. A
// managed group picked before the unmanaged groups were known, and out of
// the picks once they are (a name both share), costs one request more;
// its members are not in the snapshot.
func Read(ctx context.Context, api API, want Want, concurrency int) (*Snapshot, error) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	systems, err := api.ListSystems(ctx)
	if err != nil {
		return nil, fmt.Errorf("list access systems: %w", err)
	}
	sort.Slice(systems, func(i, j int) bool { return systems[i].ID < systems[j].ID })
	ids, err := want.Systems(systems)
	if err != nil {
		return nil, err
	}
	var chosen []seam.System
	for _, s := range systems {
		if slices.Contains(ids, s.ID) {
			chosen = append(chosen, s)
		}
	}
	snap := &Snapshot{Systems: systems, Members: map[string][]string{}}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	var managedRead, unmanagedRead, usersRead sync.WaitGroup
	var managed, unmanaged []seam.AccessGroup
	collect := func(wg *sync.WaitGroup, into *[]seam.AccessGroup, what string, sys seam.System, list func(context.Context, string) ([]seam.AccessGroup, error)) {
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			groups, err := list(gctx, sys.ID)
			if err != nil {
				return fmt.Errorf("list %s of %s: %w", what, sys.Name, err)
			}
			mu.Lock()
			*into = append(*into, groups...)
			mu.Unlock()
			return nil
		})
	}
	for _, sys := range chosen {
		collect(&managedRead, &managed, "access groups", sys, api.ListAccessGroups)
		collect(&unmanagedRead, &unmanaged, "unmanaged access groups", sys, api.ListUnmanagedAccessGroups)
		usersRead.Add(1)
		g.Go(func() error {
			defer usersRead.Done()
			users, err := api.ListUsers(gctx, sys.ID)
			if err != nil {
				return fmt.Errorf("list users of %s: %w", sys.Name, err)
			}
			mu.Lock()
			snap.Users = append(snap.Users, users...)
			mu.Unlock()
			return nil
		})
	}

	// Members, as soon as the groups are known: those of the managed
	// groups first (the unmanaged list may still be on its way, or waiting
	// for a retry), then any the unmanaged ones change.
	read := map[string]bool{}
	members := func(groups []seam.AccessGroup) []string {
		sorted := slices.Clone(groups)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
		names := make(map[string]string, len(sorted))
		for _, grp := range sorted {
			names[grp.ID] = grp.Name
		}
		picked := want.Groups(systems, sorted)
		for _, id := range picked {
			if read[id] {
				continue
			}
			read[id] = true
			g.Go(func() error {
				ids, err := api.ListGroupMemberIDs(gctx, id)
				if err != nil {
					return fmt.Errorf("list members of %s: %w", names[id], err)
				}
				sort.Strings(ids)
				mu.Lock()
				snap.Members[id] = ids
				mu.Unlock()
				return nil
			})
		}
		return picked
	}
	managedRead.Wait()
	if gctx.Err() != nil {
		return nil, stopped(ctx, g)
	}
	mu.Lock()
	early := slices.Clone(managed)
	mu.Unlock()
	members(early)
	unmanagedRead.Wait()
	if gctx.Err() != nil {
		return nil, stopped(ctx, g)
	}
	snap.Groups = append(slices.Clone(managed), unmanaged...)
	sort.Slice(snap.Groups, func(i, j int) bool { return snap.Groups[i].ID < snap.Groups[j].ID })
	final := members(snap.Groups)

	// Identities, once the users are known.
	usersRead.Wait()
	if gctx.Err() != nil {
		return nil, stopped(ctx, g)
	}
	mu.Lock()
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].ID < snap.Users[j].ID })
	sofar := &Snapshot{Systems: snap.Systems, Groups: snap.Groups, Users: snap.Users}
	mu.Unlock()
	if want.Identities(sofar) {
		g.Go(func() error {
			ids, err := api.ListUserIdentities(gctx)
			if err != nil {
				return fmt.Errorf("list user identities: %w", err)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
			mu.Lock()
			snap.Identities = ids
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// A managed group read before the unmanaged ones were known that they
	// took out of the plan (a name both share) is not part of the state.
	kept := make(map[string]bool, len(final))
	for _, id := range final {
		kept[id] = true
	}
	for id := range snap.Members {
		if !kept[id] {
			delete(snap.Members, id)
		}
	}
	return snap, nil
}

// stopped returns why a read stopped early: the first request's error, or
// the caller's context ending.
func stopped(ctx context.Context, g *errgroup.Group) error {
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
