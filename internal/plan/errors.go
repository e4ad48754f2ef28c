package plan

import (
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"

	"github.com/acs-bulk/acs-bulk/internal/desired"
)

// RowError is a CSV row, or an access rule, that failed to resolve against
// the live state.
type RowError struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Column names the CSV column at fault (e.g. "access_group"), or is
	// empty when the row as a whole is; Header is how the file spells it
	// when a column mapping renamed it ("Work Email" for email).
	Column string `json:"column,omitempty"`
	Header string `json:"header,omitempty"`
	// Msg says what is wrong; Hint, when set, how to fix it (e.g. "did you
	// mean 'Floor 2'?"). A CLI may print them on separate lines.
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"`
	// The row's values as the CSV gives them, so that a report can name
	// the row's person and group.
	SystemID       string `json:"acs_system_id,omitempty"`
	SystemName     string `json:"acs_system,omitempty"`
	GroupID        string `json:"acs_access_group_id,omitempty"`
	GroupName      string `json:"access_group,omitempty"`
	AcsUserID      string `json:"acs_user_id,omitempty"`
	UserIdentityID string `json:"user_identity_id,omitempty"`
	Email          string `json:"email,omitempty"`
	FullName       string `json:"full_name,omitempty"`
}

// Error renders the error as "FILE:LINE: column COLUMN: MSG; HINT", leaving
// out the column part when no column applies (the same shape as the CSV
// reader's errors).
func (e *RowError) Error() string {
	s := (&desired.RowError{File: e.File, Line: e.Line, Column: e.Column, Header: e.Header, Msg: e.Msg}).Error()
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Errors collects every row and rule that failed to resolve: the rows in
// input order, then the rules.
type Errors struct {
	Rows []*RowError
}

// ExitCode makes unresolved rows a usage error: the input must change.
func (e *Errors) ExitCode() int { return exitcode.Usage }

// Error renders one row error per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		lines[i] = r.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the row errors, so that errors.As finds a *RowError.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.Rows))
	for i, r := range e.Rows {
		errs[i] = r
	}
	return errs
}

// GuardKind names a safety guard.
type GuardKind string

const (
	// GuardMaxRemovals trips when a plan removes more memberships than
	// Options.MaxRemovals allows.
	GuardMaxRemovals GuardKind = "max_removals"
	// GuardEmptyGroup trips when a plan leaves an in-scope group that has
	// members with none.
	GuardEmptyGroup GuardKind = "empty_group"
	// GuardEmptyInput trips when the input has no usable row.
	GuardEmptyInput GuardKind = "empty_input"
	// GuardMaxAdds trips when a plan adds more memberships than
	// Options.MaxAdds allows.
	GuardMaxAdds GuardKind = "max_adds"
)

// Guard is one tripped safety guard, with the figures behind it.
type Guard struct {
	Kind GuardKind `json:"kind"`
	// Message names the figures, in words that name no command-line flag.
	Message string `json:"message"`
	// Override names the option that overrides the guard, as Options'
	// JSON names it: OverrideAllowEmptyGroups or OverrideMaxRemovals. The
	// command line says which flag that is.
	Override string `json:"override"`

	// For GuardMaxRemovals and GuardMaxAdds (Adds).
	Removals int    `json:"removals,omitempty"`
	Adds     int    `json:"adds,omitempty"`
	Limit    string `json:"limit,omitempty"`
	InScope  int    `json:"in_scope,omitempty"`
	Allowed  int    `json:"allowed,omitempty"`

	// For GuardEmptyGroup.
	SystemID   string `json:"acs_system_id,omitempty"`
	SystemName string `json:"system_name,omitempty"`
	GroupID    string `json:"acs_access_group_id,omitempty"`
	GroupName  string `json:"group_name,omitempty"`
	Members    int    `json:"members,omitempty"`
}

// The options that override guards, in Guard.Override.
const (
	OverrideAllowEmptyGroups = "allow_empty_groups"
	OverrideMaxRemovals      = "max_removals"
	OverrideMaxAdds          = "max_adds"
)

// GuardError is a plan refused by its guards. The executor must not apply
// the plan, and must not retry.
type GuardError struct {
	Guards []Guard
}

// Error renders one guard message per line.
func (e *GuardError) Error() string {
	lines := make([]string, len(e.Guards))
	for i, g := range e.Guards {
		lines[i] = g.Message
	}
	return strings.Join(lines, "\n")
}

// ExitCode makes a refused plan exit with the guard status.
func (e *GuardError) ExitCode() int { return exitcode.Guard }
