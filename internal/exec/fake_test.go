package exec_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// event is one entry of the fake's log: a call starting or ending.
type event struct {
	start bool
	key   string // "add g1 u1", "remove g1 u1"
	n     int    // the call's number, from 1
	err   error  // the outcome, for an end
}

// outcome scripts the answer to a call.
type outcome func(ctx context.Context, n int, key string) (seam.Meta, error)

// fake is a Client that logs its calls, tracks how many run at once, can
// hold calls until released and answers as scripted.
type fake struct {
	// answer decides the outcome of call n; nil means success.
	answer outcome
	// gates hold the calls whose key is present until the channel is
	// closed or the call's context ends.
	gates map[string]chan struct{}
	// hang makes the calls whose key is present wait for their context.
	hang map[string]bool
	// hangAll makes every call wait for its context.
	hangAll bool
	// started, when set, receives the key of each call as it starts.
	started chan string
	// ended, when set, receives the key of each call as it ends.
	ended chan string

	mu          sync.Mutex
	calls       int
	inFlight    int
	maxInFlight int
	events      []event
}

func (f *fake) AddUserToGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error) {
	return f.do(ctx, "add "+groupID+" "+acsUserID)
}

func (f *fake) AddUserIdentityToGroup(ctx context.Context, groupID, userIdentityID string) (seam.Meta, error) {
	return f.do(ctx, "add "+groupID+" "+userIdentityID)
}

func (f *fake) RemoveUserFromGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error) {
	return f.do(ctx, "remove "+groupID+" "+acsUserID)
}

func (f *fake) do(ctx context.Context, key string) (seam.Meta, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.events = append(f.events, event{start: true, key: key, n: n})
	gate := f.gates[key]
	hang := f.hangAll || f.hang[key]
	f.mu.Unlock()
	if f.started != nil {
		f.started <- key
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
	if err == nil && f.answer != nil {
		meta, err = f.answer(ctx, n, key)
	}

	f.mu.Lock()
	f.inFlight--
	f.events = append(f.events, event{key: key, n: n, err: err})
	f.mu.Unlock()
	if f.ended != nil {
		f.ended <- key
	}
	return meta, err
}

// log returns a copy of the event log.
func (f *fake) log() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.events...)
}

// apiError returns an answer with an HTTP error.
func apiError(n, status int, typ, msg string) (seam.Meta, error) {
	meta := seam.Meta{Attempts: 1, Status: status, RequestID: fmt.Sprintf("req_%d", n)}
	return meta, &seam.APIError{Method: "PUT", Route: "/acs/access_groups/add_user", Meta: meta, Type: typ, Message: msg}
}

// keyOf returns the fake's key for an operation.
func keyOf(op plan.Operation) string {
	who := op.AcsUserID
	if op.Via == plan.ViaUserIdentityID {
		who = op.UserIdentityID
	}
	return string(op.Action) + " " + op.GroupID + " " + who
}

// add returns an add of user u to group g of system s.
func add(s, g, u string) plan.Operation {
	return plan.Operation{Action: plan.ActionAdd, SystemID: s, SystemName: "Site " + s, GroupID: g, GroupName: "Group " + g,
		AcsUserID: u, Email: u + "@example.com", FullName: "User " + u, File: "in.csv", Line: 2, Via: plan.ViaAcsUserID, Reason: "in the CSV"}
}

// remove returns a remove of user u from group g of system s.
func remove(s, g, u string) plan.Operation {
	return plan.Operation{Action: plan.ActionRemove, SystemID: s, SystemName: "Site " + s, GroupID: g, GroupName: "Group " + g,
		AcsUserID: u, Email: u + "@example.com", Via: plan.ViaAcsUserID, Reason: "not in the CSV"}
}

// adds returns n adds of distinct users to one group.
func adds(n int) []plan.Operation {
	ops := make([]plan.Operation, n)
	for i := range ops {
		ops[i] = add("s1", "g1", fmt.Sprintf("u%d", i))
	}
	return ops
}
