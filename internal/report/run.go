package report

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/redact"
)

// FormatVersion is the version of the report.json document that [Write]
// produces; [Load] reads it and every earlier one, and refuses a newer one.
// Version 2 added the unresolved status, records with Seq 0, the refusal,
// and the reason and queued_ms columns of the CSV files.
const FormatVersion = 2

// Run is the report.json document: what a run was asked to do, how it
// ended, and the outcome of every planned operation.
type Run struct {
	// Version is the document's format version; [Write] sets it to
	// [FormatVersion] when zero.
	Version int    `json:"version"`
	RunID   string `json:"run_id"`
	// Command is the command line; [Write] passes it through [redact.Args].
	Command    []string  `json:"command"`
	Endpoint   string    `json:"endpoint"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Options are the run's options as the caller chose to encode them
	// (typically the JSON of plan.Options plus the executor's settings).
	Options json.RawMessage `json:"options,omitempty"`
	// Plan is the summary of the plan the run applied.
	Plan *plan.Summary `json:"plan,omitempty"`
	// Counts is the number of records of each status, every status
	// present. [Write] recomputes it from Records.
	Counts map[Status]int `json:"counts"`
	// Stopped says why the run stopped before attempting every operation
	// ("interrupted", "authentication failed", "max errors reached"...);
	// empty when it did not.
	Stopped string `json:"stopped"`
	// LowestRate is the lowest request rate (requests per second) the
	// pacer came down to; Throttled counts the 429 responses received.
	LowestRate float64 `json:"lowest_rate"`
	Throttled  int     `json:"throttled"`
	// Records holds one record per planned operation; [Write] sorts them
	// by Seq.
	Records []Record `json:"records"`
	// Refused, when set, says the plan was refused by its guards and
	// nothing was sent: the plan is in refused-plan.json.
	Refused *Refusal `json:"refused,omitempty"`
	// Verified counts the verify outcomes of the succeeded records (every
	// outcome present) when verify ran; [Write] recomputes it.
	Verified map[string]int `json:"verified,omitempty"`
	// VerifiedAt is when verify last read the live state.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
}

// Refusal is why a run refused its plan: the guards that tripped, with
// their figures, and a message for each naming the flag that overrides it.
type Refusal struct {
	Guards   []plan.Guard `json:"guards"`
	Messages []string     `json:"messages"`
}

// csvColumns is the fixed column order of report.csv and failures.csv.
var csvColumns = []string{
	"seq", "action", "status", "verified",
	"acs_system_id", "system_name", "acs_access_group_id", "group_name",
	"acs_user_id", "user_identity_id", "email", "full_name",
	"file", "line", "via",
	"attempts", "http_status", "error_type", "error_message", "request_id",
	"duration_ms", "finished_at", "reason", "queued_ms",
}

// CSVHeader returns the header row of report.csv and failures.csv, which is
// also their fixed column order: seq, action, status, verified, acs_system_id,
// system_name, acs_access_group_id, group_name, acs_user_id,
// user_identity_id, email, full_name, file, line, via, attempts,
// http_status, error_type, error_message, request_id, duration_ms,
// finished_at, reason (why the operation was planned: "line 4: not a
// member", "member, not in the CSV"), queued_ms (the time the operation
// waited in the client: rate limiter, pauses, backoff; duration_ms is the
// attempts' own). Columns are only ever appended, so that a script reading
// them by position keeps working. Zero line and http_status are written as
// empty cells, a zero
// finished_at too; times are RFC 3339 in UTC.
func CSVHeader() []string { return slices.Clone(csvColumns) }

// Write writes report.csv, failures.csv and then report.json into dir
// (created 0700 when missing), each atomically and with mode 0600, so that
// the presence of report.json means the run finished and all three are
// complete. failures.csv holds the failed and not-attempted records. The
// command line is redacted and the counts recomputed from the records; run
// itself is not modified. It is an error for two records to share a Seq or
// for a record to lack a valid status.
func Write(d Dir, run *Run) error {
	dir := d.Path()
	doc := *run
	if doc.Version == 0 {
		doc.Version = FormatVersion
	}
	doc.Command = redact.Args(run.Command)
	if doc.Command == nil {
		doc.Command = []string{}
	}
	doc.Records = slices.Clone(run.Records)
	if doc.Records == nil {
		doc.Records = []Record{}
	}
	slices.SortStableFunc(doc.Records, compareRecords)
	for i, r := range doc.Records {
		if !r.Status.Valid() {
			return fmt.Errorf("write report in %s: operation %d: invalid status %q", dir, r.Seq, r.Status)
		}
		if (r.Seq == 0) != (r.Status == Unresolved) {
			return fmt.Errorf("write report in %s: record %d: only an unresolved row has no operation number", dir, r.Seq)
		}
		if i > 0 && r.Seq > 0 && doc.Records[i-1].Seq == r.Seq {
			return fmt.Errorf("write report in %s: operation %d has two records", dir, r.Seq)
		}
	}
	doc.Counts = Count(doc.Records)
	doc.Verified = nil
	for _, r := range doc.Records {
		if r.Verified != "" {
			doc.Verified = CountVerified(doc.Records)
			break
		}
	}

	js, err := json.MarshalIndent(&doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write report in %s: %w", dir, err)
	}
	js = append(js, '\n')
	all, err := encodeCSV(doc.Records)
	if err != nil {
		return fmt.Errorf("write report in %s: %w", dir, err)
	}
	failures, err := encodeCSV(slices.DeleteFunc(slices.Clone(doc.Records), func(r Record) bool {
		return !r.InFailures()
	}))
	if err != nil {
		return fmt.Errorf("write report in %s: %w", dir, err)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{
		{d.ReportCSV(), all},
		{d.Failures(), failures},
		{d.ReportJSON(), js}, // last: its presence means the run finished
	} {
		if err := atomicfile.WriteFile(f.path, f.data, 0o600); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// encodeCSV renders records as CSV, header first, every cell escaped by
// [escapeCell].
func encodeCSV(records []Record) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(csvColumns); err != nil {
		return nil, err
	}
	row := make([]string, len(csvColumns))
	for _, r := range records {
		row = append(row[:0],
			intOrEmpty(r.Seq), string(r.Action), string(r.Status), r.Verified,
			r.SystemID, r.SystemName, r.GroupID, r.GroupName,
			r.AcsUserID, r.UserIdentityID, r.Email, r.FullName,
			r.File, intOrEmpty(r.Line), r.Via,
			strconv.Itoa(r.Attempts), intOrEmpty(r.HTTPStatus), r.ErrorType, r.ErrorMessage, r.RequestID,
			strconv.FormatInt(r.DurationMS, 10), timeOrEmpty(r.FinishedAt), r.Reason,
			strconv.FormatInt(r.QueuedMS, 10),
		)
		for i, c := range row {
			row[i] = escapeCell(c)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CountVerified counts the records by verify outcome, every outcome
// present.
func CountVerified(records []Record) map[string]int {
	out := make(map[string]int, 5)
	for _, v := range VerifyOutcomes() {
		out[v] = 0
	}
	for _, r := range records {
		if r.Verified != "" {
			out[r.Verified]++
		}
	}
	return out
}

// compareRecords orders records by Seq, the unresolved rows (Seq 0) last,
// by file and line.
func compareRecords(a, b Record) int {
	switch {
	case a.Seq == 0 && b.Seq == 0:
		return cmp.Or(strings.Compare(a.File, b.File), a.Line-b.Line)
	case a.Seq == 0:
		return 1
	case b.Seq == 0:
		return -1
	}
	return a.Seq - b.Seq
}

// escapeCell neutralizes a value that a spreadsheet would evaluate as a
// formula (OWASP "CSV injection"): a value starting with =, +, -, @, a tab
// or a carriage return gets a leading single quote. Genuine values such as
// a +1555 phone number or a name starting with a dash get the quote too;
// the escape is one-way, as rerun and revert read report.json.
func escapeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// noReportError is the error of [Load] when report.json is missing; it
// matches fs.ErrNotExist.
type noReportError struct{ dir string }

func (e *noReportError) Error() string {
	return fmt.Sprintf("no %s in %s: the run did not finish; rerun reads its journal", ReportJSONName, e.dir)
}

func (e *noReportError) Unwrap() error { return fs.ErrNotExist }

// Load reads the report.json of the run directory dir, for rerun and
// revert. When the file is missing (the run did not finish) the error says
// so and matches fs.ErrNotExist; the journal then holds what is known.
func Load(d Dir) (*Run, error) {
	dir, path := d.Path(), d.ReportJSON()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &noReportError{dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("load report %s: %w", path, err)
	}
	if run.Version > FormatVersion {
		return nil, fmt.Errorf("load report %s: format version %d is newer than this acs-bulk reads (%d): upgrade acs-bulk", path, run.Version, FormatVersion)
	}
	for _, r := range run.Records {
		if !r.Status.Valid() {
			return nil, fmt.Errorf("load report %s: operation %d: invalid status %q", path, r.Seq, r.Status)
		}
	}
	return &run, nil
}
