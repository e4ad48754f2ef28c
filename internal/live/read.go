package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/phone"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// API is the part of the Seam client that reading the live state needs.
// *seam.Client implements it; pacing and retries are its business.
type API interface {
	ListSystems(ctx context.Context) ([]seam.System, error)
	ListAccessGroups(ctx context.Context, systemID string) ([]seam.AccessGroup, error)
	ListUnmanagedAccessGroups(ctx context.Context, systemID string) ([]seam.AccessGroup, error)
	ListGroupUsers(ctx context.Context, groupID string) ([]seam.User, error)
	ListUsers(ctx context.Context, systemID string) ([]seam.User, error)
	ListUserIdentities(ctx context.Context) ([]seam.UserIdentity, error)
}

// Request says what to read: the rows of the CSV decide which systems and
// groups are involved, so that only what the plan needs is read.
type Request struct {
	// Rows are the desired memberships; their systems and groups are read.
	Rows []desired.Row
	// Systems are --system values (ids or names); empty means "as the rows say".
	Systems []string
	// AllGroups reads the members of every group of the involved systems
	// (scope systems, and export), not only the groups the rows name.
	AllGroups bool
	// AllSystems involves every system of the workspace (export with no
	// --system).
	AllSystems bool
	// Concurrency bounds the requests in flight (default 8); the client's
	// limiter paces them.
	Concurrency int
}

// Read reads the live state a plan needs: the systems, the groups of the
// involved systems, the members of the involved groups, the ACS users of the
// involved systems, and the user identities when a row needs them.
//
// Requests made, for S involved systems, G involved groups and U users:
// 1 (systems) + 2S (managed and unmanaged groups) + G (members) +
// S*ceil(U/500) (users, paginated) + identities pages when needed.
func Read(ctx context.Context, api API, req Request) (*Snapshot, error) {
	limit := req.Concurrency
	if limit <= 0 {
		limit = 8
	}
	systems, err := api.ListSystems(ctx)
	if err != nil {
		return nil, fmt.Errorf("list access systems: %w", err)
	}
	snap := &Snapshot{Systems: systems, Members: map[string][]string{}}
	involved, err := involvedSystems(systems, req)
	if err != nil {
		return nil, err
	}

	// Groups (managed and unmanaged) and users of each involved system.
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, sys := range involved {
		g.Go(func() error {
			groups, err := api.ListAccessGroups(gctx, sys.ID)
			if err != nil {
				return fmt.Errorf("list access groups of %s: %w", sys.Name, err)
			}
			mu.Lock()
			snap.Groups = append(snap.Groups, groups...)
			mu.Unlock()
			return nil
		})
		g.Go(func() error {
			groups, err := api.ListUnmanagedAccessGroups(gctx, sys.ID)
			if err != nil {
				return fmt.Errorf("list unmanaged access groups of %s: %w", sys.Name, err)
			}
			mu.Lock()
			snap.Groups = append(snap.Groups, groups...)
			mu.Unlock()
			return nil
		})
		g.Go(func() error {
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
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sortSnapshot(snap)

	// Members of the involved groups.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, grp := range involvedGroups(snap.Groups, involved, req) {
		g.Go(func() error {
			users, err := api.ListGroupUsers(gctx, grp.ID)
			if err != nil {
				return fmt.Errorf("list members of %s: %w", grp.Name, err)
			}
			ids := make([]string, len(users))
			for i, u := range users {
				ids[i] = u.ID
			}
			sort.Strings(ids)
			mu.Lock()
			snap.Members[grp.ID] = ids
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	if needsIdentities(req.Rows, snap, req.Systems) {
		ids, err := api.ListUserIdentities(ctx)
		if err != nil {
			return nil, fmt.Errorf("list user identities: %w", err)
		}
		snap.Identities = ids
		sort.Slice(snap.Identities, func(i, j int) bool { return snap.Identities[i].ID < snap.Identities[j].ID })
	}
	return snap, nil
}

// involvedSystems picks the systems to read. An unknown --system is an error
// here; rows naming unknown systems are left for the planner to report with
// their line numbers.
func involvedSystems(all []seam.System, req Request) ([]seam.System, error) {
	if req.AllSystems || len(all) <= 1 {
		return all, nil
	}
	want := map[string]bool{}
	for _, s := range req.Systems {
		sys, err := FindSystem(all, s)
		if err != nil {
			return nil, err
		}
		want[sys.ID] = true
	}
	anyUnplaced := false
	for _, r := range req.Rows {
		switch {
		case r.SystemID != "":
			want[r.SystemID] = true
		case r.SystemName != "":
			for _, s := range all {
				if strings.EqualFold(s.Name, r.SystemName) {
					want[s.ID] = true
				}
			}
		case len(req.Systems) == 0:
			// A row with a group id and no system: its system is known only
			// from the groups, so every system's groups are read.
			anyUnplaced = true
		}
	}
	if anyUnplaced {
		return all, nil
	}
	var out []seam.System
	for _, s := range all {
		if want[s.ID] {
			out = append(out, s)
		}
	}
	return out, nil
}

// SystemError is a --system value that names no system, or several: a usage
// error, not a failure of the API.
type SystemError struct{ msg string }

func (e *SystemError) Error() string { return e.msg }

// FindSystem finds a system by id or (case-insensitive) name, for --system.
// A value that names no system or several gives a *SystemError.
func FindSystem(all []seam.System, idOrName string) (seam.System, error) {
	var byName []seam.System
	for _, s := range all {
		if s.ID == idOrName {
			return s, nil
		}
		if strings.EqualFold(s.Name, idOrName) {
			byName = append(byName, s)
		}
	}
	switch len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		names := make([]string, len(all))
		for i, s := range all {
			names[i] = fmt.Sprintf("%q", s.Name)
		}
		return seam.System{}, &SystemError{fmt.Sprintf("--system %q names no access system (the workspace has %s)", idOrName, strings.Join(names, ", "))}
	default:
		return seam.System{}, &SystemError{fmt.Sprintf("--system %q is ambiguous: systems %s and %s share that name; give the acs_system_id", idOrName, byName[0].ID, byName[1].ID)}
	}
}

// involvedGroups picks the groups whose members are read: every group of the
// involved systems when AllGroups, otherwise the groups the rows name (by id,
// or by name in any involved system: a name the planner will find ambiguous
// or misplaced costs one extra request, never a wrong plan).
func involvedGroups(groups []seam.AccessGroup, systems []seam.System, req Request) []seam.AccessGroup {
	inSystem := map[string]bool{}
	for _, s := range systems {
		inSystem[s.ID] = true
	}
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, r := range req.Rows {
		if r.GroupID != "" {
			ids[r.GroupID] = true
		}
		if r.GroupName != "" {
			names[strings.ToLower(r.GroupName)] = true
		}
	}
	var out []seam.AccessGroup
	for _, g := range groups {
		if !inSystem[g.SystemID] || !g.Managed() {
			continue
		}
		if req.AllGroups || ids[g.ID] || names[strings.ToLower(g.Name)] {
			out = append(out, g)
		}
	}
	return out
}

// needsIdentities says whether any row can only be resolved through user
// identities: it names one that has no ACS user in the row's system, or its
// email or phone matches no ACS user of the row's system (a person known in
// one site and added to another goes by identity there).
func needsIdentities(rows []desired.Row, snap *Snapshot, flagSystems []string) bool {
	type key struct{ system, kind, value string }
	known := map[key]bool{}
	for _, u := range snap.Users {
		if u.UserIdentityID != "" {
			known[key{u.SystemID, "identity", u.UserIdentityID}] = true
		}
		for _, e := range []string{u.EmailAddress, u.Email, u.UserIdentityEmailAddress} {
			if e != "" {
				known[key{u.SystemID, "email", strings.ToLower(e)}] = true
			}
		}
		for _, p := range []string{u.PhoneNumber, u.UserIdentityPhoneNumber} {
			if p != "" {
				known[key{u.SystemID, "phone", phone.Normalize(p)}] = true
			}
		}
	}
	for _, r := range rows {
		var k key
		switch {
		case r.AcsUserID != "":
			continue
		case r.UserIdentityID != "":
			k = key{kind: "identity", value: r.UserIdentityID}
		case r.Email != "":
			k = key{kind: "email", value: strings.ToLower(r.Email)}
		case r.Phone != "":
			k = key{kind: "phone", value: phone.Normalize(r.Phone)}
		default:
			continue
		}
		for _, sys := range rowSystems(r, snap, flagSystems) {
			k.system = sys
			if !known[k] {
				return true
			}
		}
	}
	return false
}

// rowSystems are the systems a row may be about, as far as the state read so
// far tells (the planner decides, and reports a row whose system is unclear).
func rowSystems(r desired.Row, snap *Snapshot, flagSystems []string) []string {
	var out []string
	switch {
	case r.SystemID != "":
		return []string{r.SystemID}
	case r.SystemName != "":
		for _, s := range snap.Systems {
			if strings.EqualFold(s.Name, r.SystemName) {
				out = append(out, s.ID)
			}
		}
	case len(flagSystems) > 0:
		for _, f := range flagSystems {
			if s, err := FindSystem(snap.Systems, f); err == nil {
				out = append(out, s.ID)
			}
		}
	case len(snap.Systems) == 1:
		out = append(out, snap.Systems[0].ID)
	default:
		for _, g := range snap.Groups {
			if g.ID == r.GroupID || r.GroupID == "" && g.Name == r.GroupName {
				out = append(out, g.SystemID)
			}
		}
	}
	return out
}

func sortSnapshot(s *Snapshot) {
	sort.Slice(s.Systems, func(i, j int) bool { return s.Systems[i].ID < s.Systems[j].ID })
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].ID < s.Groups[j].ID })
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].ID < s.Users[j].ID })
}
