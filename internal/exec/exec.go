// Package exec applies a computed plan to Seam: it sends each operation's
// request with bounded concurrency, adds before removes, and turns the
// outcome of every operation into exactly one [report.Record], whatever
// happens to the run (a failure, an authentication error, --max-errors, an
// interrupt, a journal that cannot be written, a hard abort).
//
// The executor never retries and never sleeps: retries, backoff, pacing and
// Retry-After belong to the Seam client, in one place.
//
// # Phases: make before break
//
// Every add runs, and finishes, before the first remove is sent, so that a
// person moved from one group to another never loses access in between.
// As an extra safety, a remove of a person whose add failed in the same
// system during this run is not sent: it is recorded not_attempted, so that
// a failed move leaves the person with their old access rather than none.
//
// # Stopping
//
// A failed operation does not stop the others. Scheduling stops (no new
// request is started; the operations not yet started are recorded
// not_attempted with the reason) when:
//
//   - Options.Stop is closed (SIGINT, SIGTERM): Result.Stopped "interrupted";
//   - an answer is 401 or 403: every other request would fail too;
//   - Options.MaxErrors operations have failed;
//   - Options.Record returns an error (the journal cannot be written);
//   - ctx is done (a hard abort).
//
// Requests already in flight when scheduling stops are allowed to finish:
// they run on a request context that is not the stop signal. A request
// still waiting in the client's pacer is not in flight: the request context
// carries the stop signal (seam.WithStop), the client gives up on it without
// sending it, and it is recorded not_attempted with the reason; a retry
// still waiting is not sent either, and the operation keeps its last
// attempt's failure. That context is
// cancelled Options.DrainTimeout after the stop, or at once when ctx is done;
// a request cut that way is recorded failed with error type "interrupted",
// since its outcome is unknown (a rerun reads the live state again).
package exec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Client is the part of the Seam API the executor calls. *seam.Client
// satisfies it; tests use fakes.
type Client interface {
	// AddUserToGroup makes an ACS user a member of an access group.
	AddUserToGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error)
	// AddUserIdentityToGroup makes a user identity a member of an access group.
	AddUserIdentityToGroup(ctx context.Context, groupID, userIdentityID string) (seam.Meta, error)
	// RemoveUserFromGroup removes an ACS user from an access group.
	RemoveUserFromGroup(ctx context.Context, groupID, acsUserID string) (seam.Meta, error)
}

// Defaults of [Options].
const (
	// DefaultConcurrency is how many requests run at once by default.
	DefaultConcurrency = 8
	// DefaultDrainTimeout is how long in-flight requests may run after a
	// stop before their context is cancelled.
	DefaultDrainTimeout = 30 * time.Second
)

// Error types the executor puts in Record.ErrorType besides Seam's own.
const (
	// ErrorTypeInterrupted: a failed operation whose request was cancelled
	// by the drain timeout or a hard abort (outcome unknown), or a
	// not-attempted operation of an interrupted run.
	ErrorTypeInterrupted = "interrupted"
	// ErrorTypeTransport: no HTTP answer (connection refused, reset, bad TLS).
	ErrorTypeTransport = "transport"
	// ErrorTypeTimeout: the request timed out without an HTTP answer.
	ErrorTypeTimeout = "timeout"
	// ErrorTypeCanceled: the request's context was cancelled by something
	// other than the executor.
	ErrorTypeCanceled = "canceled"
	// ErrorTypeInvalidRequest: the client refused to build the request (an
	// empty id); nothing was sent.
	ErrorTypeInvalidRequest = "invalid_request"
	// ErrorTypeInternal: the client panicked; the outcome is unknown.
	ErrorTypeInternal = "internal_error"
	// ErrorTypeAuthStop: not attempted, the run stopped after a 401 or 403.
	ErrorTypeAuthStop = "authentication_failed"
	// ErrorTypeMaxErrors: not attempted, the run stopped at --max-errors.
	ErrorTypeMaxErrors = "max_errors"
	// ErrorTypeJournal: not attempted, the journal could not be written.
	ErrorTypeJournal = "journal_failed"
	// ErrorTypeMakeBeforeBreak: not attempted, the person's add in the same
	// system failed, so removing their old membership would leave them
	// without access.
	ErrorTypeMakeBeforeBreak = "make_before_break"
)

// Reasons a run stops scheduling, as found in Result.Stopped (the others are
// "authentication failed (401)", "max errors reached (N)", "journal: ...").
const (
	// StoppedInterrupted: Options.Stop was closed or ctx was done.
	StoppedInterrupted = "interrupted"
)

// Options configure [Run]. The zero value is valid.
type Options struct {
	// Concurrency is how many requests run at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// MaxErrors stops scheduling once this many operations have failed;
	// 0 means no limit.
	MaxErrors int
	// Stop, when closed, stops scheduling (SIGINT, SIGTERM): requests in
	// flight may finish within DrainTimeout. Nil never stops.
	Stop <-chan struct{}
	// DrainTimeout is how long in-flight requests may run after scheduling
	// stopped, for any reason, before their context is cancelled; 0 means
	// DefaultDrainTimeout, a negative value cancels them at once.
	DrainTimeout time.Duration
	// Record is called exactly once per operation as it finishes, including
	// the operations that are not attempted. It is called from the worker
	// goroutines (and from Run's goroutine for operations not sent),
	// possibly concurrently, and must be safe for that. If it
	// returns an error, scheduling stops and Run returns the first such
	// error; Record is still called for the remaining operations. Nil: no
	// journal.
	Record func(report.Record) error
	// OnDone is called after Record for each operation (a progress hook);
	// concurrently, like Record. Optional.
	OnDone func(report.Record)
	// Now is the clock for FinishedAt and durations; nil means time.Now.
	Now func() time.Time
	// Satisfied is the number of leading operations that the live state
	// already satisfies (a rerun, a stale plan applied with --allow-stale):
	// each is recorded skipped, journaled like the others, and never sent.
	Satisfied int
}

// SkippedMessage is the message of a record skipped by Options.Satisfied.
const SkippedMessage = "already satisfied by the live state: not sent"

// Result is what a run did.
type Result struct {
	// Records has one record per operation, in the operations' order;
	// Records[i].Seq is i+1: the executor is the one owner of the numbering.
	Records []report.Record
	// Counts counts the records by status; every status has a key.
	Counts map[report.Status]int
	// Stopped says why scheduling stopped early: "" (it did not),
	// "interrupted", "authentication failed (401)", "max errors reached (N)"
	// or "journal: ...".
	Stopped string
}

// Run applies ops, in their order within each phase: every add, then, once
// every add has finished, every remove. It returns a Result with one record
// per operation. The error is nil unless the options are invalid (then no
// operation is sent and the Result is nil) or Options.Record failed (then
// the Result is complete all the same).
//
// ctx is the hard-abort context: when it is done, scheduling stops and the
// requests in flight are cancelled at once. The soft stop is Options.Stop.
func Run(ctx context.Context, c Client, ops []plan.Operation, opts Options) (*Result, error) {
	switch {
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("invalid concurrency %d: want 1 or more", opts.Concurrency)
	case opts.MaxErrors < 0:
		return nil, fmt.Errorf("invalid max errors %d: want 0 (no limit) or more", opts.MaxErrors)
	case opts.Satisfied < 0 || opts.Satisfied > len(ops):
		return nil, fmt.Errorf("invalid satisfied count %d for %d operations", opts.Satisfied, len(ops))
	case c == nil:
		return nil, errors.New("no client")
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	reqCtx, cancelReq := context.WithCancel(ctx)
	defer cancelReq()
	r := &run{
		ctx:        ctx,
		reqCtx:     reqCtx,
		cancelReq:  cancelReq,
		c:          c,
		ops:        ops,
		opts:       opts,
		records:    make([]report.Record, len(ops)),
		sem:        make(chan struct{}, opts.Concurrency),
		stopCh:     make(chan struct{}),
		failedAdds: make(map[personKey]string),
	}

	// The watcher turns the stop signal and a hard abort into a stop even
	// while the producer is blocked waiting for a slot or for the phase to
	// drain, so that the drain timer starts when the signal arrives.
	finished := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-opts.Stop:
			r.stop(StoppedInterrupted, ErrorTypeInterrupted, "not sent: the run was interrupted")
		case <-ctx.Done():
			r.stop(StoppedInterrupted, ErrorTypeInterrupted, "not sent: the run was interrupted")
		case <-finished:
		}
	}()

	for i := range opts.Satisfied {
		r.settle(i, r.skeleton(i, report.Skipped, "", SkippedMessage))
	}
	var adds, removes []int
	for i, op := range ops[opts.Satisfied:] {
		i += opts.Satisfied
		if op.Action == plan.ActionRemove {
			removes = append(removes, i)
		} else {
			adds = append(adds, i)
		}
	}
	r.phase(adds)
	r.phase(removes)

	close(finished)
	<-watcherDone
	r.mu.Lock()
	if r.drain != nil {
		r.drain.Stop()
	}
	res := &Result{Records: r.records, Stopped: r.reason, Counts: map[report.Status]int{
		report.Succeeded: 0, report.Failed: 0, report.Skipped: 0, report.NotAttempted: 0,
	}}
	recErr := r.recErr
	r.mu.Unlock()
	for _, rec := range res.Records {
		res.Counts[rec.Status]++
	}
	return res, recErr
}

// personKey names a person within a system, for make-before-break.
type personKey struct{ system, kind, id string }

// run is the state of one Run.
type run struct {
	ctx       context.Context // hard abort
	reqCtx    context.Context // the requests' context: ctx, cut by the drain timer
	cancelReq context.CancelFunc
	c         Client
	ops       []plan.Operation
	opts      Options
	// records[i] is written once, by whoever settles operation i; read
	// after every phase has been waited for.
	records []report.Record
	// sem holds one token per request in flight.
	sem chan struct{}

	mu sync.Mutex
	// stopCh is closed when scheduling stops; reason, notSentType and
	// notSentMsg say why, for Result.Stopped and the not-attempted records.
	stopCh      chan struct{}
	reason      string
	notSentType string
	notSentMsg  string
	drain       *time.Timer
	failed      int
	recErr      error
	// failedAdds maps the people whose add did not succeed to the group.
	failedAdds map[personKey]string
}

// stop stops scheduling for reason (the first reason wins) and starts the
// drain timer.
func (r *run) stop(reason, errType, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(reason, errType, msg)
}

func (r *run) stopLocked(reason, errType, msg string) {
	if r.reason != "" {
		return
	}
	r.reason, r.notSentType, r.notSentMsg = reason, errType, msg
	close(r.stopCh)
	if r.opts.DrainTimeout < 0 {
		r.cancelReq()
		return
	}
	r.drain = time.AfterFunc(r.opts.DrainTimeout, r.cancelReq)
}

// stopped polls the stop signal and the hard-abort context, and reports
// whether scheduling has stopped.
func (r *run) stopped() bool {
	select {
	case <-r.opts.Stop:
		r.stop(StoppedInterrupted, ErrorTypeInterrupted, "not sent: the run was interrupted")
	case <-r.ctx.Done():
		r.stop(StoppedInterrupted, ErrorTypeInterrupted, "not sent: the run was interrupted")
	default:
	}
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

// phase runs the operations idx (indexes into r.ops) and returns when every
// one of them is settled. It starts no operation once scheduling stopped.
func (r *run) phase(idx []int) {
	if len(idx) == 0 {
		return
	}
	var g errgroup.Group
	// The semaphore r.sem is the real limit (it can be waited for together
	// with the stop signal); the group's limit is the same, and Go can only
	// wait for a worker that has released its token and is returning.
	g.SetLimit(cap(r.sem))
	for k, i := range idx {
		if r.stopped() {
			r.notAttempted(idx[k:])
			break
		}
		if group, blocked := r.blockedRemove(r.ops[i]); blocked {
			r.settle(i, r.skeleton(i, report.NotAttempted, ErrorTypeMakeBeforeBreak,
				fmt.Sprintf("not sent: adding this user to %s failed (make-before-break)", group)))
			continue
		}
		acquired := false
		select {
		case r.sem <- struct{}{}:
			acquired = true
		case <-r.stopCh:
		}
		// Check again: the slot may have been won while a stop arrived, and
		// the worker that freed it may be the one that stopped the run.
		if r.stopped() {
			if acquired {
				<-r.sem
			}
			r.notAttempted(idx[k:])
			break
		}
		g.Go(func() error {
			defer func() { <-r.sem }()
			r.execute(i)
			return nil // a failed operation is recorded, never an error
		})
	}
	_ = g.Wait()
}

// notAttempted settles the operations idx as not attempted, with the reason
// the run stopped.
func (r *run) notAttempted(idx []int) {
	r.mu.Lock()
	errType, msg := r.notSentType, r.notSentMsg
	r.mu.Unlock()
	for _, i := range idx {
		r.settle(i, r.skeleton(i, report.NotAttempted, errType, msg))
	}
}

// keys returns the ways an operation names its person within its system:
// the ACS user, the ACS user an identity add is expected to link, and the
// user identity.
func keys(op plan.Operation) []personKey {
	var ks []personKey
	for _, id := range []string{op.AcsUserID, op.LinkAcsUserID} {
		if id != "" {
			ks = append(ks, personKey{op.SystemID, plan.ViaAcsUserID, id})
		}
	}
	if op.UserIdentityID != "" {
		ks = append(ks, personKey{op.SystemID, plan.ViaUserIdentityID, op.UserIdentityID})
	}
	return ks
}

// blockedRemove reports whether op is a remove of a person whose add in the
// same system did not succeed in this run, and the group of that add.
func (r *run) blockedRemove(op plan.Operation) (string, bool) {
	if op.Action != plan.ActionRemove {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys(op) {
		if g, ok := r.failedAdds[k]; ok {
			return g, true
		}
	}
	return "", false
}

// skeleton returns operation i's record without an outcome.
func (r *run) skeleton(i int, st report.Status, errType, msg string) report.Record {
	return report.Record{
		Seq:          i + 1,
		Operation:    r.ops[i],
		Status:       st,
		ErrorType:    errType,
		ErrorMessage: msg,
		FinishedAt:   r.opts.Now(),
	}
}

// execute sends operation i and settles it.
func (r *run) execute(i int) {
	op := r.ops[i]
	start := r.opts.Now()
	var timing seam.Timing
	meta, err := r.call(op, &timing)
	var ae *seam.APIError
	if err != nil && errors.As(err, &ae) && ae.Attempts == 0 && errors.Is(err, seam.ErrNotSent) {
		// The run stopped while the request waited in the client's pacer:
		// nothing was sent.
		r.mu.Lock()
		errType, msg := r.notSentType, r.notSentMsg
		r.mu.Unlock()
		rec := r.skeleton(i, report.NotAttempted, errType, msg)
		rec.QueuedMS = timing.Queued.Milliseconds()
		r.settle(i, rec)
		return
	}
	rec := r.skeleton(i, report.Succeeded, "", "")
	rec.Attempts, rec.HTTPStatus, rec.RequestID = meta.Attempts, meta.Status, meta.RequestID
	d := meta.Duration
	if ae != nil {
		rec.Attempts, rec.HTTPStatus, rec.RequestID = ae.Attempts, ae.Status, ae.RequestID
		d = ae.Duration
	}
	switch {
	case timing.Sending > 0 || timing.Queued > 0:
		// The client said where the time went: the attempts' own time,
		// and the waits apart.
		d = timing.Sending
		rec.QueuedMS = timing.Queued.Milliseconds()
	case d <= 0:
		d = rec.FinishedAt.Sub(start)
	}
	rec.DurationMS = d.Milliseconds()
	if err != nil {
		rec.Status = report.Failed
		rec.ErrorType, rec.ErrorMessage = r.classify(err, ae)
	}
	r.settle(i, rec)
}

// call sends op's request; a panic in the client becomes an error. The
// request context carries the stop signal, so that a request still waiting
// in the client's pacer when scheduling stops is not sent (seam.ErrNotSent)
// while one on the wire drains, and asks the client to fill timing.
func (r *run) call(op plan.Operation, timing *seam.Timing) (meta seam.Meta, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &internalError{fmt.Sprintf("internal error: the client panicked: %v; the outcome is unknown, a rerun will check the live state", p)}
		}
	}()
	ctx := seam.WithTiming(seam.WithStop(r.reqCtx, r.stopCh), timing)
	switch {
	case op.Action == plan.ActionAdd && op.Via == plan.ViaUserIdentityID:
		return r.c.AddUserIdentityToGroup(ctx, op.GroupID, op.UserIdentityID)
	case op.Action == plan.ActionAdd:
		return r.c.AddUserToGroup(ctx, op.GroupID, op.AcsUserID)
	case op.Action == plan.ActionRemove:
		return r.c.RemoveUserFromGroup(ctx, op.GroupID, op.AcsUserID)
	}
	return seam.Meta{}, &invalidError{fmt.Sprintf("unknown action %q", op.Action)}
}

// internalError is a panic of the client.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

// invalidError is an operation the executor cannot send.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

// classify returns the error type and message of a failed call; ae is the
// *seam.APIError in err's chain, if any.
func (r *run) classify(err error, ae *seam.APIError) (string, string) {
	var ie *internalError
	if errors.As(err, &ie) {
		return ErrorTypeInternal, err.Error()
	}
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if ctxErr && r.reqCtx.Err() != nil {
		if r.ctx.Err() != nil {
			return ErrorTypeInterrupted, "interrupted: the run was aborted while the request was in flight; the outcome is unknown, a rerun will check the live state"
		}
		return ErrorTypeInterrupted, fmt.Sprintf("interrupted: the request was still in flight %s after the run stopped and was cancelled; the outcome is unknown, a rerun will check the live state", r.opts.DrainTimeout)
	}
	msg := err.Error()
	if ae != nil && ae.Status != 0 {
		if ae.Type != "" {
			return ae.Type, msg
		}
		return "http_" + strconv.Itoa(ae.Status), msg
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrorTypeTimeout, msg
	case errors.Is(err, context.Canceled):
		return ErrorTypeCanceled, msg
	case ae != nil:
		return ErrorTypeTransport, msg
	}
	return ErrorTypeInvalidRequest, msg
}

// settle stores operation i's record, updates the stop conditions, journals
// it and reports it: exactly once per operation.
func (r *run) settle(i int, rec report.Record) {
	op := r.ops[i]
	r.records[i] = rec
	r.mu.Lock()
	// An add already satisfied (skipped) gave the access as surely as one
	// that succeeded.
	if op.Action == plan.ActionAdd && rec.Status != report.Succeeded && rec.Status != report.Skipped {
		group := op.GroupName
		if group == "" {
			group = op.GroupID
		}
		for _, k := range keys(op) {
			if _, ok := r.failedAdds[k]; !ok {
				r.failedAdds[k] = group
			}
		}
	}
	if rec.Status == report.Failed {
		r.failed++
		switch {
		case rec.ErrorType != ErrorTypeInterrupted && (rec.HTTPStatus == 401 || rec.HTTPStatus == 403):
			r.stopLocked(fmt.Sprintf("authentication failed (%d)", rec.HTTPStatus), ErrorTypeAuthStop,
				"not sent: the run stopped after an authentication failure")
		case r.opts.MaxErrors > 0 && r.failed >= r.opts.MaxErrors:
			r.stopLocked(fmt.Sprintf("max errors reached (%d)", r.opts.MaxErrors), ErrorTypeMaxErrors,
				fmt.Sprintf("not sent: the run stopped after %d failed operations (--max-errors)", r.failed))
		}
	}
	r.mu.Unlock()

	if r.opts.Record != nil {
		if err := r.opts.Record(rec); err != nil {
			err = fmt.Errorf("journal: record operation %d (%s): %w", rec.Seq, op.Describe(), err)
			r.mu.Lock()
			if r.recErr == nil {
				r.recErr = err
			}
			r.stopLocked(err.Error(), ErrorTypeJournal, "not sent: the run stopped because the journal could not be written")
			r.mu.Unlock()
		}
	}
	if r.opts.OnDone != nil {
		r.opts.OnDone(rec)
	}
}
