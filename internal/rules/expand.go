package rules

import (
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/quote"
	"github.com/acs-bulk/acs-bulk/internal/similar"
)

// Expand turns the rows of files (read with the Set's Conditions as
// desired.Options.Attributes) into the planner's input: for each row, the
// row itself when it names a group, a membership per group of its
// access_groups cell, and one per rule of s that matches it (s may be
// nil), each with the row's file and line; a row that gives no membership
// at all is one of Input.Groupless. Every rule is in Input.Rules, with the
// rows it matched counted and, for a rule that matched nobody, a hint. The
// files must have no problems (and s's Check none).
//
// A file of memberships alone, without rules, is passed through as it is:
// its rows are not copied.
func Expand(files []*desired.File, s *Set) plan.Input {
	in := plan.Input{WithRules: s != nil}
	for _, f := range files {
		in.WithLists = in.WithLists || f.Lists != nil
		if sp := f.HeaderSpellings(); sp != nil {
			if in.Headers == nil {
				in.Headers = map[string]map[string]string{}
			}
			in.Headers[f.Name] = sp
		}
	}
	if s == nil && len(files) == 1 && files[0].Lists == nil {
		in.Rows = files[0].Rows
		return in
	}
	var people []int
	var ms []*matcher
	if s != nil {
		people = make([]int, len(s.Rules))
	}
	for _, f := range files {
		var m *matcher
		if s != nil {
			m = newMatcher(s, f)
			ms = append(ms, m)
		}
		expandFile(&in, f, s, m, people)
	}
	if s != nil {
		in.Rules = make([]plan.Rule, len(s.Rules))
		for k := range s.Rules {
			ru := &s.Rules[k]
			in.Rules[k] = plan.Rule{
				File: s.Name, Line: ru.Line, Conditions: s.conditions(ru),
				SystemID: ru.SystemID, SystemName: ru.SystemName, GroupID: ru.GroupID, GroupName: ru.GroupName,
				People: people[k],
			}
			if people[k] == 0 {
				in.Rules[k].Hint = s.hint(ru, ms)
			}
		}
	}
	return in
}

// expandFile appends the memberships and groupless rows of f to in,
// counting the rows each rule matches in people.
func expandFile(in *plan.Input, f *desired.File, s *Set, m *matcher, people []int) {
	// First the rules each row matches, so that the rows are allocated
	// once.
	var matched []int32 // the rules of row i are matched[off[i]:off[i+1]]
	var off []int32
	n := len(in.Rows)
	for i := range f.Rows {
		if m != nil {
			off = append(off, int32(len(matched)))
			matched = m.match(i, matched)
		}
		if f.Rows[i].GroupID != "" || f.Rows[i].GroupName != "" {
			n++
		}
		if f.Lists != nil {
			n += strings.Count(f.Lists[i], string(f.ListSeparator)) + 1
		}
	}
	off = append(off, int32(len(matched)))
	n += len(matched)
	in.Rows = slices.Grow(in.Rows, n-len(in.Rows))
	in.Origins = slices.Grow(in.Origins, n-len(in.Origins))
	for len(in.Origins) < len(in.Rows) { // the rows of earlier files of memberships
		in.Origins = append(in.Origins, 0)
	}
	for i := range f.Rows {
		row := &f.Rows[i]
		before := len(in.Rows)
		if row.GroupID != "" || row.GroupName != "" {
			in.Rows = append(in.Rows, *row)
			in.Origins = append(in.Origins, 0)
		}
		for _, g := range f.ListedGroups(i) {
			r := *row
			r.GroupID, r.GroupName = "", g
			in.Rows = append(in.Rows, r)
			in.Origins = append(in.Origins, plan.OriginList)
		}
		if s != nil {
			for _, k := range matched[off[i]:off[i+1]] {
				in.Rows = append(in.Rows, s.Rules[k].apply(*row))
				in.Origins = append(in.Origins, k+1)
				people[k]++
			}
		}
		if len(in.Rows) == before {
			in.Groupless = append(in.Groupless, *row)
		}
	}
}

// apply returns the membership the rule gives the person of row: the
// rule's group, in the rule's system when it names one; a group named by
// id alone is placed by its id; a group named by name alone is in the
// row's system.
func (r *Rule) apply(row desired.Row) desired.Row {
	row.GroupID, row.GroupName = r.GroupID, r.GroupName
	switch {
	case r.SystemID != "" || r.SystemName != "":
		row.SystemID, row.SystemName = r.SystemID, r.SystemName
	case r.GroupID != "":
		row.SystemID, row.SystemName = "", ""
	}
	return row
}

// mask is a set of rules, a bit each.
type mask []uint64

// matcher finds the rules that match the rows of one file. Per condition,
// it keeps the rules that accept each value seen (its raw value, which the
// rows share, mapped to a mask), so that a row costs a map lookup and a few
// words of AND per condition.
type matcher struct {
	s    *Set
	f    *desired.File
	all  mask
	cond []condMatcher
	acc  mask
}

type condMatcher struct {
	values []string        // the file's values of the condition, by row (nil: the file lacks it)
	wild   mask            // the rules with Any
	exact  map[string]mask // a folded value -> the rules that name it
	seen   map[string]mask // a raw value -> its rules: wild | exact[fold(value)]
	order  []string        // the raw values seen, in the order first seen
}

func newMatcher(s *Set, f *desired.File) *matcher {
	w := (len(s.Rules) + 63) / 64
	m := &matcher{s: s, f: f, all: make(mask, w), acc: make(mask, w)}
	for k := range s.Rules {
		m.all[k/64] |= 1 << (k % 64)
	}
	for c, name := range s.Conditions {
		cm := condMatcher{wild: make(mask, w), exact: map[string]mask{}, seen: map[string]mask{}}
		if a := slices.Index(f.Attributes, name); a >= 0 {
			cm.values = f.Attrs[a]
		}
		for k := range s.Rules {
			v := s.Rules[k].Values[c]
			if v == Any {
				cm.wild[k/64] |= 1 << (k % 64)
				continue
			}
			fv := email.Fold(v)
			if cm.exact[fv] == nil {
				cm.exact[fv] = make(mask, w)
			}
			cm.exact[fv][k/64] |= 1 << (k % 64)
		}
		m.cond = append(m.cond, cm)
	}
	return m
}

// match appends the rules row i matches to out, in rule order.
func (m *matcher) match(i int, out []int32) []int32 {
	copy(m.acc, m.all)
	for c := range m.cond {
		cm := &m.cond[c]
		v := ""
		if cm.values != nil {
			v = cm.values[i]
		}
		rs, ok := cm.seen[v]
		if !ok {
			rs = slices.Clone(cm.wild)
			for j, x := range cm.exact[email.Fold(v)] {
				rs[j] |= x
			}
			cm.seen[v] = rs
			cm.order = append(cm.order, v)
		}
		for j := range m.acc {
			m.acc[j] &= rs[j]
		}
	}
	for j, x := range m.acc {
		for x != 0 {
			b := bits.TrailingZeros64(x)
			out = append(out, int32(j*64+b))
			x &^= 1 << b
		}
	}
	return out
}

// hint says why rule r may have matched nobody: the condition values no row
// of the files has, each with the closest value rows have, or that no row
// has all of its values at once.
func (s *Set) hint(r *Rule, ms []*matcher) string {
	var parts []string
	for c, v := range r.Values {
		if v == Any {
			continue
		}
		fv := email.Fold(v)
		var have []string // the values rows have, each once (as first written), in file order
		folded := map[string]bool{}
		for _, m := range ms {
			for _, raw := range m.cond[c].order {
				if f := email.Fold(raw); !folded[f] {
					folded[f] = true
					if raw != "" {
						have = append(have, raw)
					}
				}
			}
		}
		if folded[fv] {
			continue
		}
		part := "no row has " + s.Conditions[c] + " " + quote.Value(v)
		if near := similar.Closest(v, have, max(1, utf8.RuneCountInString(v)/3)); len(near) > 0 {
			part += "; did you mean " + quote.Value(near[0]) + "?"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		if len(r.Values) == 0 {
			return "the exports have no rows"
		}
		return "no row has all of its values at once"
	}
	return strings.Join(parts, "; ")
}
