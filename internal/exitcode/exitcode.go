// Package exitcode is the one place that says which exit status acs-bulk ends
// with, and why. Monitoring (cron wrappers, CI) branches on these numbers, so
// they never change meaning.
package exitcode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The exit statuses of acs-bulk.
const (
	// OK: the command did what was asked (and, for apply, every operation succeeded).
	OK = 0
	// Failure: a runtime failure (network, authentication, server, file system).
	Failure = 1
	// Usage: invalid usage or input; nothing was changed.
	Usage = 2
	// Partial: apply finished but some operations failed (see the report).
	Partial = 3
	// Guard: a safety guard refused the plan; nothing was changed.
	Guard = 4
	// Changes: with --detailed-exitcode, the plan has changes to make.
	Changes = 5
	// Interrupted: stopped by SIGINT or SIGTERM; what was done is in the report.
	Interrupted = 130
)

// Status is one exit status: its code, what it means for every command
// that can return it, and the commands that can.
type Status struct {
	Code    int
	Meaning string
	// Commands are the commands that can return the code; nil means every
	// command.
	Commands []string
	// Notes add to Meaning for some of those commands.
	Notes []Note
	// Outcome ends the meaning for every command ("nothing was changed").
	Outcome string
}

// Note is what a status means besides its Meaning for some commands; Text
// starts with its own separator (", or ...", "; ...").
type Note struct {
	Commands []string
	Text     string
}

// text renders the status for command, or with every note and the
// commands each is about when command is "".
func (st Status) text(command string) string {
	s := st.Meaning
	for _, n := range st.Notes {
		switch {
		case command == "":
			s += n.Text + " (" + strings.Join(n.Commands, ", ") + ")"
		case slices.Contains(n.Commands, command):
			s += n.Text
		}
	}
	if st.Outcome != "" {
		s += "; " + st.Outcome
	}
	return s
}

// runs are the commands that change memberships and write a run directory.
var runs = []string{"apply", "rerun", "revert"}

// Table is the one table of acs-bulk's exit statuses: each command's help
// and the README's table are made from it (a test checks the README).
var Table = []Status{
	{Code: OK, Meaning: "success", Notes: []Note{{[]string{"plan"}, "; with --detailed-exitcode: no changes"}}},
	{Code: Failure, Meaning: "runtime failure: network, authentication, server or file system",
		Commands: []string{"validate", "plan", "export", "apply", "rerun", "revert", "verify", "sandbox", "demo"},
		Notes:    []Note{{append(slices.Clone(runs), "verify"), ", or another run holds the lock"}}},
	{Code: Usage, Meaning: "invalid usage or input", Outcome: "nothing was changed",
		Notes: []Note{{runs, ", or the changes were not confirmed"}}},
	{Code: Partial, Meaning: "partial failure: some operations failed, were not attempted or are not reflected; see failures.csv",
		Commands: append(slices.Clone(runs), "verify")},
	{Code: Guard, Meaning: "a safety guard refused the plan, or a saved plan is stale", Outcome: "nothing was changed",
		Commands: []string{"plan", "apply", "revert"}},
	{Code: Changes, Meaning: "changes present (plan --detailed-exitcode)", Commands: []string{"plan"}},
	{Code: Interrupted, Meaning: "interrupted by SIGINT or SIGTERM",
		Commands: append(slices.Clone(runs), "plan", "export", "verify", "demo"),
		Notes:    []Note{{runs, "; requests in flight finished and the reports were written"}}},
}

// Codes returns the exit codes command can return, in table order.
func Codes(command string) []int {
	var out []int
	for _, st := range Table {
		if st.Commands == nil || slices.Contains(st.Commands, command) {
			out = append(out, st.Code)
		}
	}
	return out
}

// Help renders the exit statuses command can return, for its help text;
// with "" (acs-bulk's own help) every status, with every note.
func Help(command string) string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, st := range Table {
		if command != "" && st.Commands != nil && !slices.Contains(st.Commands, command) {
			continue
		}
		fmt.Fprintf(&b, "  %-4d %s\n", st.Code, st.text(command))
	}
	return b.String()
}

// Markdown renders the whole table as the README's Markdown table: every
// note, with the commands it is about.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| code | commands | meaning |\n|---|---|---|\n")
	for _, st := range Table {
		who := "all"
		if st.Commands != nil {
			who = strings.Join(st.Commands, ", ")
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", st.Code, who, st.text(""))
	}
	return b.String()
}

// Error carries an exit status with the error that caused it. Commands return
// it (or an error wrapping it) to choose their exit status.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// With wraps err so that the command ends with code.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Usagef is a usage error: bad flags, arguments or input.
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// Coder is implemented by error types that know their exit status (a guard
// error, a row error), so this package need not import them.
type Coder interface{ ExitCode() int }

// Hinter is implemented by errors that can suggest a fix ("did you mean
// 'Harbor Tower'?"); the command line prints the hint on a line of its own.
type Hinter interface{ Hint() string }

// HintOf returns the hint of the first error in err's chain that has one,
// or "".
func HintOf(err error) string {
	var h Hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// For returns the exit status for err: OK for nil, the code of an *Error or
// Coder found with errors.As, Interrupted for a cancelled context, and
// Failure otherwise.
func For(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Failure
}
