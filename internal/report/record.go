// Package report records what a run did: a journal appended and synced as each
// operation finishes (so even a killed run leaves the record of every
// operation the server acknowledged), and the final report.json, report.csv
// and failures.csv. It also reads them back, for rerun and revert.
package report

import (
	"time"

	"github.com/acs-bulk/acs-bulk/internal/plan"
)

// Status is the outcome of one operation. Every planned operation ends with
// exactly one.
type Status string

// The statuses of an operation.
const (
	// Succeeded: the server acknowledged the change.
	Succeeded Status = "succeeded"
	// Failed: the server refused, or every attempt failed.
	Failed Status = "failed"
	// Skipped: not sent because the live state already satisfies it (a
	// stale plan applied with --allow-stale, or a rerun).
	Skipped Status = "skipped"
	// NotAttempted: never started (the run stopped first: interrupted,
	// --max-errors, or an authentication failure).
	NotAttempted Status = "not_attempted"
	// Unresolved: a row of the CSV that did not resolve, skipped by
	// --skip-unresolved. It is no operation (its Seq is 0) and a rerun
	// cannot fix it: the CSV must change.
	Unresolved Status = "unresolved"
)

// ErrorTypeUnresolved is the error type of an unresolved row's record.
const ErrorTypeUnresolved = "unresolved"

// Record is the outcome of one operation, as written to the journal and the
// reports: the operation itself (its fields are inlined in the JSON), then
// the outcome. A record and its operation convert into each other by the
// embedding alone, so there is one mapping between the two.
type Record struct {
	// Seq is the operation's position in the run's plan.json (from 1); with
	// the plan it identifies the operation across journal, report and rerun.
	// The executor numbers the records; nothing else does. An unresolved
	// row is no operation: its Seq is 0.
	Seq int `json:"seq"`
	plan.Operation

	Status Status `json:"status"`
	// Attempts is the number of HTTP attempts made (0 when not attempted).
	Attempts int `json:"attempts"`
	// HTTPStatus is the status of the last attempt (0 when none answered).
	HTTPStatus int `json:"http_status,omitempty"`
	// ErrorType and ErrorMessage are Seam's error type and message, or a
	// transport error, for failed operations; the reason for skipped and
	// not-attempted ones.
	ErrorType    string `json:"error_type,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// RequestID is the seam-request-id of the last attempt: what Seam
	// support asks for.
	RequestID string `json:"request_id,omitempty"`
	// DurationMS is the attempts' own time: from each request leaving the
	// client's pacer until its response was read.
	DurationMS int64     `json:"duration_ms"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Verified is what --verify (or acs-bulk verify) found for a
	// succeeded operation: one of the Verify* outcomes; empty without it.
	// A change that failed on the access system keeps Seam's message in
	// ErrorMessage, with ErrorType failed_to_update_on_acs_system.
	Verified string `json:"verified,omitempty"`
	// QueuedMS is the time the operation waited in the client, not on the
	// wire: for the rate limiter, a pause, and between attempts (backoff,
	// Retry-After).
	QueuedMS int64 `json:"queued_ms"`
}

// The outcomes of --verify, in Record.Verified.
const (
	// VerifyConfirmed: the live state shows the change and nothing is
	// pending for it.
	VerifyConfirmed = "confirmed"
	// VerifyPending: Seam was still pushing the change to the access
	// system when verify gave up (--verify-timeout).
	VerifyPending = "pending"
	// VerifyDeferred: Seam scheduled the change rather than pushing it;
	// not a failure, and verify does not wait for it.
	VerifyDeferred = "deferred"
	// VerifyFailedOnAcs: the access system refused the change: the live
	// state does not show it and the user carries
	// failed_to_update_on_acs_system created after the operation finished.
	VerifyFailedOnAcs = "failed_on_acs"
	// VerifyNotReflected: the live state does not show the change and
	// nothing explains why.
	VerifyNotReflected = "not_reflected"
)

// VerifyOutcomes lists the outcomes of verify, in the order reports count
// them.
func VerifyOutcomes() []string {
	return []string{VerifyConfirmed, VerifyPending, VerifyDeferred, VerifyFailedOnAcs, VerifyNotReflected}
}

// VerifyFailed reports whether a verify outcome is a failure: the change
// Seam acknowledged did not happen (exit 3, failures.csv, retried by a
// rerun).
func VerifyFailed(v string) bool { return v == VerifyFailedOnAcs || v == VerifyNotReflected }

// Retried reports whether a rerun retries the record: it failed, was not
// attempted, or succeeded but verify found it did not happen. Unresolved
// rows need the CSV fixed, not a rerun.
func (r Record) Retried() bool {
	return r.Status.Retried() || r.Status == Succeeded && VerifyFailed(r.Verified)
}

// InFailures reports whether failures.csv lists the record: what a rerun
// retries, and the unresolved rows.
func (r Record) InFailures() bool { return r.Retried() || r.Status == Unresolved }
