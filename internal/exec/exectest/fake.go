// Package exectest provides the executor's fake Seam client, for the tests
// of the executor and of the run layer above it: it logs its calls, counts
// how many run at once, can hold calls until released, answers as
// scripted, and keeps the memberships its successful calls make, so that a
// test can read them back as it would read the live state.
package exectest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Event is one entry of the fake's log: a call starting or ending.
type Event struct {
	Start bool
	Key   string // "add g1 u1", "remove g1 u1"
	N     int    // the call's number, from 1
	Err   error  // the outcome, for an end
}

// Outcome scripts the answer to call n (from 1) with its key.
type Outcome func(ctx context.Context, n int, key string) (seam.Meta, error)

// Fake is the executor's fake client. Set its fields before the first
// call; its methods are safe for concurrent use.
type Fake struct {
	// Answer decides the outcome of call n; nil means success.
	Answer Outcome
	// Gates hold the calls whose key is present until the channel is
	// closed or the call's context ends.
	Gates map[string]chan struct{}
	// Hang makes the calls whose key is present wait for their context.
	Hang map[string]bool
	// HangAll makes every call wait for its context.
	HangAll bool
	// Started, when set, receives the key of each call as it starts.
	Started chan string
	// Ended, when set, receives the key of each call as it ends.
	Ended chan string
	// Users are the ACS users the fake knows, for the reads; a member not
	// among them reads as a user with only its id.
	Users []seam.User
	// Groups are the access groups the fake knows, for ListAccessGroups.
	Groups []seam.AccessGroup
	// Members are the members of each group (ACS user ids); successful
	// adds and removes change them. Nil means no group has members yet.
	Members map[string][]string
	// ReadErr, when set, is the error of every read.
	ReadErr error
	// Unapplied are the keys of calls that succeed without changing the
	// members: a change Seam acknowledged that did not happen.
	Unapplied map[string]bool

	mu          sync.Mutex
	calls       int
	inFlight    int
	maxInFlight int
	events      []Event
	reads       int
}

// AddUserToGroup adds an ACS user.
func (f *Fake) AddUserToGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error) {
	return f.do(ctx, "add "+groupID+" "+acsUserID, groupID, acsUserID, true)
}

// AddUserIdentityToGroup adds the ACS user linked to the identity: the
// first of Users with that identity, or an ACS user named after it.
func (f *Fake) AddUserIdentityToGroup(ctx context.Context, groupID, userIdentityID string) (seam.Meta, error) {
	member := "acs_" + userIdentityID
	for _, u := range f.Users {
		if u.UserIdentityID == userIdentityID {
			member = u.ID
			break
		}
	}
	return f.do(ctx, "add "+groupID+" "+userIdentityID, groupID, member, true)
}

// RemoveUserFromGroup removes an ACS user.
func (f *Fake) RemoveUserFromGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error) {
	return f.do(ctx, "remove "+groupID+" "+acsUserID, groupID, acsUserID, false)
}

func (f *Fake) do(ctx context.Context, key, group, member string, add bool) (seam.Meta, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.events = append(f.events, Event{Start: true, Key: key, N: n})
	gate := f.Gates[key]
	hang := f.HangAll || f.Hang[key]
	f.mu.Unlock()
	if f.Started != nil {
		f.Started <- key
	}

	meta, err := seam.Meta{Attempts: 1, Status: 200, RequestID: fmt.Sprintf("req_%d", n)}, error(nil)
	switch {
	case hang:
		<-ctx.Done()
		meta.Status = 0
		err = &seam.APIError{Method: "PUT", Route: "/fake", Meta: meta, Err: ctx.Err()}
	case gate != nil:
		select {
		case <-gate:
		case <-ctx.Done():
			meta.Status = 0
			err = &seam.APIError{Method: "PUT", Route: "/fake", Meta: meta, Err: ctx.Err()}
		}
	default:
		runtime.Gosched() // let other calls overlap this one
	}
	if err == nil && f.Answer != nil {
		meta, err = f.Answer(ctx, n, key)
	}

	f.mu.Lock()
	if err == nil && !f.Unapplied[key] {
		if f.Members == nil {
			f.Members = map[string][]string{}
		}
		list := f.Members[group]
		i := slices.Index(list, member)
		switch {
		case add && i < 0:
			f.Members[group] = append(list, member)
		case !add && i >= 0:
			f.Members[group] = slices.Delete(list, i, i+1)
		}
	}
	f.inFlight--
	f.events = append(f.events, Event{Key: key, N: n, Err: err})
	f.mu.Unlock()
	if f.Ended != nil {
		f.Ended <- key
	}
	return meta, err
}

// ListGroupUsers returns the group's members.
func (f *Fake) ListGroupUsers(_ context.Context, groupID string) ([]seam.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.ReadErr != nil {
		return nil, f.ReadErr
	}
	var out []seam.User
	for _, id := range f.Members[groupID] {
		out = append(out, f.user(id))
	}
	return out, nil
}

// ListUsers returns the known users of the system.
func (f *Fake) ListUsers(_ context.Context, systemID string) ([]seam.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.ReadErr != nil {
		return nil, f.ReadErr
	}
	var out []seam.User
	for _, u := range f.Users {
		if u.SystemID == systemID {
			out = append(out, u)
		}
	}
	return out, nil
}

// ListAccessGroups returns the known groups of the system.
func (f *Fake) ListAccessGroups(_ context.Context, systemID string) ([]seam.AccessGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.ReadErr != nil {
		return nil, f.ReadErr
	}
	var out []seam.AccessGroup
	for _, g := range f.Groups {
		if g.SystemID == systemID {
			out = append(out, g)
		}
	}
	return out, nil
}

// SetUser replaces the known user with u's id by u (its pending mutations
// and errors, say), or adds it.
func (f *Fake) SetUser(u seam.User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.Users {
		if f.Users[i].ID == u.ID {
			f.Users[i] = u
			return
		}
	}
	f.Users = append(f.Users, u)
}

// Stats returns no traffic figures: the fake has no pacer.
func (f *Fake) Stats() seam.Stats { return seam.Stats{} }

func (f *Fake) user(id string) seam.User {
	for _, u := range f.Users {
		if u.ID == id {
			return u
		}
	}
	return seam.User{ID: id}
}

// Log returns a copy of the event log.
func (f *Fake) Log() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// Sent returns the keys of the calls made, in the order they started.
func (f *Fake) Sent() []string {
	var out []string
	for _, e := range f.Log() {
		if e.Start {
			out = append(out, e.Key)
		}
	}
	return out
}

// MaxInFlight returns the most calls that ran at once.
func (f *Fake) MaxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}

// Reads returns the number of reads made.
func (f *Fake) Reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// MembersOf returns a copy of the group's members, sorted.
func (f *Fake) MembersOf(groupID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.Members[groupID])
	slices.Sort(out)
	return out
}

// APIError returns an answer with an HTTP error for call n.
func APIError(n, status int, typ, msg string) (seam.Meta, error) {
	meta := seam.Meta{Attempts: 1, Status: status, RequestID: fmt.Sprintf("req_%d", n)}
	return meta, &seam.APIError{Method: "PUT", Route: "/acs/access_groups/add_user", Meta: meta, Type: typ, Message: msg}
}

// KeyOf returns the fake's key for an operation.
func KeyOf(op plan.Operation) string {
	who := op.AcsUserID
	if op.Via == plan.ViaUserIdentityID {
		who = op.UserIdentityID
	}
	return string(op.Action) + " " + op.GroupID + " " + who
}

// Add returns an add of user u to group g of system s.
func Add(s, g, u string) plan.Operation {
	return plan.Operation{Action: plan.ActionAdd, SystemID: s, SystemName: "Site " + s, GroupID: g, GroupName: "Group " + g,
		AcsUserID: u, Email: u + "@example.com", FullName: "User " + u, File: "in.csv", Line: 2, Via: plan.ViaAcsUserID, Reason: "in the CSV"}
}

// Remove returns a remove of user u from group g of system s.
func Remove(s, g, u string) plan.Operation {
	return plan.Operation{Action: plan.ActionRemove, SystemID: s, SystemName: "Site " + s, GroupID: g, GroupName: "Group " + g,
		AcsUserID: u, Email: u + "@example.com", Via: plan.ViaAcsUserID, Reason: "not in the CSV"}
}

// Adds returns n adds of distinct users to one group.
func Adds(n int) []plan.Operation {
	ops := make([]plan.Operation, n)
	for i := range ops {
		ops[i] = Add("s1", "g1", fmt.Sprintf("u%d", i))
	}
	return ops
}
