package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
)

// SystemError is a --system value that names no access system, or several.
// It is a usage error: nothing was read beyond the list of systems.
type SystemError struct {
	// Value is the --system value as given.
	Value string
	msg   string
	hint  string
}

// Error says what is wrong, without the hint.
func (e *SystemError) Error() string { return e.msg }

// ExitCode makes a bad --system a usage error.
func (e *SystemError) ExitCode() int { return exitcode.Usage }

// Hint says how to fix it: "did you mean ...?", the systems there are, or
// "use the system id".
func (e *SystemError) Hint() string { return e.hint }

// systemMatch is the outcome of looking a system up by id or name.
type systemMatch struct {
	sys   int32   // the system, when found: -1 otherwise
	names []int32 // the systems sharing the name, when ambiguous
	hint  string  // for an unknown name: "did you mean ..." or the list
}

// findSystem is the one rule by which acs-bulk finds a system, for --system
// and for a row's acs_system alike: an exact id, else a name compared
// case-insensitively (ASCII letters only); a name two systems share is
// ambiguous, an unknown one gets a hint.
func (ix *index) findSystem(idOrName string) systemMatch {
	if m, ok := ix.foundSys[idOrName]; ok {
		return m // rows name few systems: fold each name once
	}
	m := ix.lookupSystem(idOrName)
	if ix.foundSys == nil {
		ix.foundSys = map[string]systemMatch{}
	}
	ix.foundSys[idOrName] = m
	return m
}

// lookupSystem is findSystem without its memory.
func (ix *index) lookupSystem(idOrName string) systemMatch {
	if s, ok := ix.sysByID[idOrName]; ok {
		return systemMatch{sys: s}
	}
	switch list := ix.sysByName[foldName(idOrName)]; len(list) {
	case 1:
		return systemMatch{sys: list[0]}
	case 0:
		return systemMatch{sys: -1, hint: ix.systemHint(idOrName)}
	default:
		return systemMatch{sys: -1, names: list}
	}
}

// systemHint suggests the systems closest to name, or lists them all when
// none is close (up to ten).
func (ix *index) systemHint(name string) string {
	names := make([]string, len(ix.snap.Systems))
	for i, s := range ix.snap.Systems {
		names[i] = s.Name
	}
	if h := suggest(name, names); h != "" {
		return h
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return "the workspace has no access system"
	}
	more := ""
	if len(names) > 10 {
		more = fmt.Sprintf(" and %d more", len(names)-10)
		names = names[:10]
	}
	for i, n := range names {
		names[i] = "'" + n + "'"
	}
	return "the workspace has " + strings.Join(names, ", ") + more
}

// systemFilter resolves the --system values: the systems' positions, in the
// order given without repeats, or a *SystemError for the first value that
// names no system or several.
func (ix *index) systemFilter(values []string) ([]int32, error) {
	var out []int32
	for _, v := range values {
		m := ix.findSystem(v)
		switch {
		case m.sys >= 0:
			if !slices.Contains(out, m.sys) {
				out = append(out, m.sys)
			}
		case len(m.names) > 0:
			return nil, &SystemError{Value: v, msg: fmt.Sprintf("system name '%s' in --system is ambiguous: %s", v, ix.systemIDs(m.names)), hint: "use the system id"}
		default:
			return nil, &SystemError{Value: v, msg: fmt.Sprintf("unknown system '%s' in --system", v), hint: m.hint}
		}
	}
	return out, nil
}

func (ix *index) systemIDs(list []int32) string {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = ix.system(s).ID
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// foldName is the form system names are compared in: the email rule
// (email.Fold), ASCII letters folded and nothing else, so that no non-ASCII
// character ever matches an ASCII one.
func foldName(s string) string { return email.Fold(s) }

// emailKey is the form emails are matched in: trimmed, ASCII letters folded
// to lower case, nothing else changed.
func emailKey(e string) string { return email.Fold(strings.TrimSpace(e)) }
