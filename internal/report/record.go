// Package report records what a run did: a journal appended and synced as each
// operation finishes (so even a killed run leaves the record of every
// operation the server acknowledged), and the final report.json, report.csv
// and failures.csv. It also reads them back, for rerun and revert.
package report

import "time"

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
)

// Record is the outcome of one operation, as written to the journal and the
// reports. The fields mirror the plan's operation, then the outcome.
type Record struct {
	// Seq is the operation's position in the plan's order (from 1); with
	// the plan it identifies the operation across journal, report and rerun.
	Seq            int    `json:"seq"`
	Action         string `json:"action"` // "add" or "remove"
	SystemID       string `json:"acs_system_id"`
	SystemName     string `json:"system_name,omitempty"`
	GroupID        string `json:"acs_access_group_id"`
	GroupName      string `json:"group_name"`
	AcsUserID      string `json:"acs_user_id,omitempty"`
	UserIdentityID string `json:"user_identity_id,omitempty"`
	Email          string `json:"email,omitempty"`
	FullName       string `json:"full_name,omitempty"`
	// File and Line locate the CSV row the operation comes from (adds).
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Via is how the user was named to Seam: acs_user_id or user_identity_id.
	Via string `json:"via,omitempty"`

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
	// Verified is what --verify found for a succeeded operation: confirmed
	// (reflected in the live state, nothing pending), pending (reflected,
	// but Seam was still pushing it to the access system when verify gave
	// up), or not_reflected; empty without --verify.
	Verified string `json:"verified,omitempty"`
	// QueuedMS is the time the operation waited in the client, not on the
	// wire: for the rate limiter, a pause, and between attempts (backoff,
	// Retry-After).
	QueuedMS int64 `json:"queued_ms"`
}

// The outcomes of --verify, in Record.Verified.
const (
	VerifyConfirmed    = "confirmed"
	VerifyPending      = "pending"
	VerifyNotReflected = "not_reflected"
)
