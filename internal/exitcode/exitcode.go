// Package exitcode is the one place that says which exit status acs-bulk ends
// with, and why. Monitoring (cron wrappers, CI) branches on these numbers, so
// they never change meaning.
package exitcode

import (
	"context"
	"errors"
	"fmt"
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

// Table is the exit-status table shown in --help and the README.
var Table = []struct {
	Code    int
	Meaning string
}{
	{OK, "success (for plan with --detailed-exitcode: no changes)"},
	{Failure, "runtime failure: network, authentication, server or file system"},
	{Usage, "invalid usage or input; nothing was changed"},
	{Partial, "partial failure: some operations failed (apply, rerun, revert)"},
	{Guard, "a safety guard refused the plan; nothing was changed"},
	{Changes, "changes present (plan --detailed-exitcode)"},
	{Interrupted, "interrupted by SIGINT/SIGTERM; reports were written"},
}

// Help renders the table for a command's help text, with the codes that
// command can return (all of them when codes is empty).
func Help(codes ...int) string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, row := range Table {
		if len(codes) > 0 && !contains(codes, row.Code) {
			continue
		}
		fmt.Fprintf(&b, "  %-4d %s\n", row.Code, row.Meaning)
	}
	return b.String()
}

func contains(codes []int, c int) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
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
