package plan

import (
	"strconv"

	"github.com/acs-bulk/acs-bulk/internal/desired"
)

// Input is the desired state a plan is computed from: the memberships the
// input files give, and, when they are HR exports read with access rules,
// the rules and the people who get no group. Package rules builds it from
// the files; a CSV of memberships is simply Input{Rows: file.Rows}.
type Input struct {
	// Rows are the desired memberships, in input order: a row of a CSV of
	// memberships, a group of a row's access_groups cell, or a group an
	// access rule gives a row of people. Each keeps its row's file and
	// line, and rows of one person are matched across rows and files by
	// the ACS user they resolve to.
	Rows []desired.Row
	// Origins, when not nil, has an entry per row: 0 for a membership the
	// row gives in its group column, OriginList for one of its
	// access_groups cell, k for one that Rules[k-1] gives.
	Origins []int32
	// Rules are the access rules the rows were expanded with. Every group
	// a rule names is in the plan's scope, whether or not it matches anyone.
	Rules []Rule
	// WithRules says that access rules were given (a rules file with no
	// rule in it too), and WithLists that a file lists groups in an
	// access_groups cell: the rows are people, and a person of the input is
	// removed from a group none of their rows gives with a reason saying
	// so, rather than as one not in the CSV.
	WithRules bool
	WithLists bool
	// Groupless are the rows of people that give no membership at all:
	// they match no rule and list no group. Such a person's current
	// memberships in scope are removed (in sync and remove-only modes) with
	// a reason saying so; a person is found by the ACS users the row
	// resolves to, in the row's system or, without one, in every system of
	// the plan's scope. A row that resolves to nobody is nothing to do.
	Groupless []desired.Row
	// Headers maps a file's name to how it spells our mapped column names
	// (desired.File.HeaderSpellings), so that the planner's messages name a
	// mapped column as its file does.
	Headers map[string]map[string]string
}

// Rule is an access rule as the planner sees it: where it is written, what
// it matches, the group it gives, and how many rows of people it matched.
// The group is found as a row's is: by id, or by name in the rule's system;
// a rule without a system gives the group of that name in the system of
// each person it matches, and puts in scope the groups of that name in
// every system the plan reads.
type Rule struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Conditions says what the rule matches, as written:
	// "department=Sales location=Harbor Tower"; empty when it matches
	// everyone.
	Conditions string `json:"conditions"`
	SystemID   string `json:"acs_system_id,omitempty"`
	SystemName string `json:"acs_system,omitempty"`
	GroupID    string `json:"acs_access_group_id,omitempty"`
	GroupName  string `json:"access_group,omitempty"`
	// People counts the rows of people the rule matched.
	People int `json:"people"`
	// Hint says, for a rule that matched nobody, what may be wrong: a
	// condition value no row has, and the closest one.
	Hint string `json:"hint,omitempty"`
}

// Label names the rule for a person: its file and line, then its
// conditions ("rules.csv:3 department=Sales location=Harbor Tower"), or
// "(everyone)" for a rule without conditions.
func (r *Rule) Label() string {
	c := r.Conditions
	if c == "" {
		c = "(everyone)"
	}
	return r.File + ":" + strconv.Itoa(r.Line) + " " + c
}

// Target names the group the rule gives, as written: "Lobby", "Lobby in
// Harbor Tower", or the group's id.
func (r *Rule) Target() string {
	t := r.GroupName
	if t == "" {
		t = r.GroupID
	}
	switch {
	case r.SystemName != "":
		t += " in " + r.SystemName
	case r.SystemID != "":
		t += " in " + r.SystemID
	}
	return t
}

// OriginList is the origin of a membership from a row's access_groups
// cell (Input.Origins).
const OriginList = -1

// origin returns the rule row i of in comes from, or nil.
func (in *Input) origin(i int) *Rule {
	if in.Origins == nil || in.Origins[i] <= 0 {
		return nil
	}
	return &in.Rules[in.Origins[i]-1]
}

// listed reports whether row i of in comes from an access_groups cell.
func (in *Input) listed(i int) bool { return in.Origins != nil && in.Origins[i] == OriginList }

// locator names input rows in reasons: "line 12" when every row comes from
// one file, "hr-harbor.csv:12" when they come from several.
type locator bool

func newLocator(in *Input) locator {
	first := ""
	for _, rows := range [][]desired.Row{in.Rows, in.Groupless} {
		for i := range rows {
			switch f := rows[i].File; {
			case first == "":
				first = f
			case f != first:
				return true
			}
		}
	}
	return false
}

// of locates r ("hr.csv:12" with several files, else "line 12") and adds
// tail, in one string.
func (l locator) of(r *desired.Row, tail string) string {
	var buf [24]byte
	n := strconv.AppendInt(buf[:0], int64(r.Line), 10)
	if l {
		return r.File + ":" + string(n) + tail
	}
	return "line " + string(n) + tail
}
