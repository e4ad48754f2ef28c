// Package plan computes what acs-bulk must change so that the access-group
// memberships of Seam access systems equal the desired rows of a CSV.
//
// [Compute] is a pure function of the desired state (an [Input]: the rows,
// and the access rules that gave some of them), a snapshot of the live
// state and the options: it resolves every row to a group and a person,
// compares the result with the snapshot's members and returns a [Plan] of
// add and remove operations, each with the reason it exists, together with
// the safety guards the plan trips. It does no I/O, reads no clock and is
// deterministic: the same inputs give the same plan, byte for byte once
// rendered by [Plan.WriteText] or [Plan.WriteJSON].
package plan

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Mode says which kinds of change a plan may contain.
type Mode string

const (
	// ModeSync adds the missing memberships and removes the extra ones.
	ModeSync Mode = "sync"
	// ModeAddOnly only adds missing memberships.
	ModeAddOnly Mode = "add-only"
	// ModeRemoveOnly only removes memberships that are not in the CSV.
	ModeRemoveOnly Mode = "remove-only"
)

// ParseMode parses the value of --mode; the empty string means sync.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.TrimSpace(s)); m {
	case "":
		return ModeSync, nil
	case ModeSync, ModeAddOnly, ModeRemoveOnly:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q: want sync, add-only or remove-only", s)
}

// Scope says which groups a plan reconciles.
type Scope string

const (
	// ScopeGroups reconciles only the groups named by the CSV's rows; a
	// membership of any other group is never touched.
	ScopeGroups Scope = "groups"
	// ScopeSystems reconciles every managed group of the systems in the CSV
	// (or given by Options.Systems): a group absent from the CSV is emptied.
	ScopeSystems Scope = "systems"
)

// ParseScope parses the value of --scope; the empty string means groups.
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(strings.TrimSpace(s)); sc {
	case "":
		return ScopeGroups, nil
	case ScopeGroups, ScopeSystems:
		return sc, nil
	}
	return "", fmt.Errorf("unknown scope %q: want groups or systems", s)
}

// LimitKind says how a [Limit] is expressed.
type LimitKind uint8

const (
	// LimitDefault is the zero value: the limit is [DefaultMaxRemovals].
	LimitDefault LimitKind = iota
	// LimitCount limits removals to Value memberships.
	LimitCount
	// LimitPercent limits removals to Value percent of the in-scope
	// current memberships, rounded down.
	LimitPercent
)

// Limit is the --max-removals guard: a count or a percentage. Its zero
// value stands for [DefaultMaxRemovals]. It marshals as text ("25", "10%").
type Limit struct {
	Value int
	Kind  LimitKind
}

// DefaultMaxRemovals is the removal limit used when none is given.
var DefaultMaxRemovals = Limit{Value: 10, Kind: LimitPercent}

// ParseLimit parses a limit such as --max-removals or --max-adds takes: a
// count of memberships ("25") or a percentage of the in-scope current
// memberships ("10%").
func ParseLimit(s string) (Limit, error) {
	t := strings.TrimSpace(s)
	kind := LimitCount
	if v, ok := strings.CutSuffix(t, "%"); ok {
		t, kind = strings.TrimSpace(v), LimitPercent
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || t == "" || t[0] == '+' {
		return Limit{}, fmt.Errorf("invalid limit %q: want a count such as 25 or a percentage such as 10%%", s)
	}
	if kind == LimitPercent && n > 100 {
		return Limit{}, fmt.Errorf("invalid limit %q: a percentage is at most 100%%", s)
	}
	return Limit{Value: n, Kind: kind}, nil
}

func (l Limit) effective() Limit {
	if l.Kind == LimitDefault {
		return DefaultMaxRemovals
	}
	return l
}

// String renders the limit as it is written on the command line; the zero
// Limit renders as the default it stands for.
func (l Limit) String() string {
	l = l.effective()
	if l.Kind == LimitPercent {
		return strconv.Itoa(l.Value) + "%"
	}
	return strconv.Itoa(l.Value)
}

// Allowed returns how many removals the limit allows out of inScope current
// memberships.
func (l Limit) Allowed(inScope int) int {
	l = l.effective()
	if l.Kind == LimitPercent {
		return int(int64(inScope) * int64(l.Value) / 100)
	}
	return l.Value
}

// MarshalText renders the limit as [Limit.String] does.
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses the limit as [ParseLimit] does; empty text
// gives the zero (default) Limit.
func (l *Limit) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*l = Limit{}
		return nil
	}
	v, err := ParseLimit(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Options are the choices a plan is computed with. The zero value is valid:
// sync mode, group scope, all systems, the default removal limit.
type Options struct {
	Mode  Mode  `json:"mode"`
	Scope Scope `json:"scope"`
	// Systems restricts the plan to these systems, each given by id or by
	// name (--system). Rows in other systems are errors. With ScopeSystems
	// they are the systems whose managed groups are all reconciled.
	Systems []string `json:"systems,omitempty"`
	// MaxRemovals refuses a plan that removes more memberships.
	MaxRemovals Limit `json:"max_removals"`
	// MaxAdds, when set, refuses a plan that adds more memberships (off by
	// default: a migration is mostly adds).
	MaxAdds *Limit `json:"max_adds,omitempty"`
	// AllowEmptyGroups lets a plan empty a group, or start from an input
	// with no usable rows.
	AllowEmptyGroups bool `json:"allow_empty_groups"`
	// SkipUnresolved plans the rows that resolve and lists the others,
	// instead of refusing to plan.
	SkipUnresolved bool `json:"skip_unresolved"`
}

// normalize validates the options and fills in defaults.
func (o Options) normalize() (Options, error) {
	var err error
	if o.Mode, err = ParseMode(string(o.Mode)); err != nil {
		return o, err
	}
	if o.Scope, err = ParseScope(string(o.Scope)); err != nil {
		return o, err
	}
	o.MaxRemovals = o.MaxRemovals.effective()
	if o.MaxRemovals.Value < 0 || (o.MaxRemovals.Kind == LimitPercent && o.MaxRemovals.Value > 100) || o.MaxRemovals.Kind > LimitPercent {
		return o, fmt.Errorf("invalid max removals %+v", o.MaxRemovals)
	}
	if o.MaxAdds != nil {
		l := o.MaxAdds.effective()
		if l.Value < 0 || (l.Kind == LimitPercent && l.Value > 100) || l.Kind > LimitPercent {
			return o, fmt.Errorf("invalid max adds %+v", *o.MaxAdds)
		}
		o.MaxAdds = &l
	}
	if o.Systems != nil {
		o.Systems = append([]string(nil), o.Systems...)
	}
	return o, nil
}

// Action is what an operation does to a membership.
type Action string

const (
	// ActionAdd adds a person to a group.
	ActionAdd Action = "add"
	// ActionRemove removes an ACS user from a group.
	ActionRemove Action = "remove"
)

// Via names the identifier an operation sends to Seam.
const (
	// ViaAcsUserID: the operation names an existing ACS user.
	ViaAcsUserID = "acs_user_id"
	// ViaUserIdentityID: the add names a user identity; Seam links an ACS
	// user of the system that has the identity's email or phone, or creates
	// one.
	ViaUserIdentityID = "user_identity_id"
)

// Operation is one membership change, with the reason it is planned.
type Operation struct {
	Action     Action `json:"action"`
	SystemID   string `json:"acs_system_id"`
	SystemName string `json:"system_name"`
	GroupID    string `json:"acs_access_group_id"`
	GroupName  string `json:"group_name"`
	// AcsUserID is the ACS user added or removed; empty when the add goes
	// by user identity.
	AcsUserID string `json:"acs_user_id,omitempty"`
	// UserIdentityID is the identity the add goes by (Via is
	// user_identity_id), or the identity the ACS user is linked to.
	UserIdentityID string `json:"user_identity_id,omitempty"`
	// LinkAcsUserID is, for an add by identity, the existing ACS user of
	// the system that Seam is expected to link (it has the identity's email
	// or phone); empty when Seam will create one.
	LinkAcsUserID string `json:"link_acs_user_id,omitempty"`
	Email         string `json:"email,omitempty"`
	FullName      string `json:"full_name,omitempty"`
	// File and Line locate the CSV row an add comes from, or the row of a
	// person whose remove it causes (a person who matches no rule, say);
	// empty and 0 for other removes.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Via is ViaAcsUserID or ViaUserIdentityID.
	Via string `json:"via"`
	// Reason says, for a person, why the operation is planned.
	Reason string `json:"reason"`
}

// GroupStat is the plan's effect on one in-scope group.
type GroupStat struct {
	SystemID   string `json:"acs_system_id"`
	SystemName string `json:"system_name"`
	GroupID    string `json:"acs_access_group_id"`
	GroupName  string `json:"group_name"`
	// Current counts the group's members now; Final after the plan.
	Current   int `json:"current"`
	Add       int `json:"add"`
	Remove    int `json:"remove"`
	Unchanged int `json:"unchanged"`
	Final     int `json:"final"`
}

// Summary counts a plan's operations and rows.
type Summary struct {
	// Add and Remove count the planned operations.
	Add    int `json:"add"`
	Remove int `json:"remove"`
	// Unchanged counts desired memberships already present.
	Unchanged int `json:"unchanged"`
	// Unresolved counts the rows that failed to resolve.
	Unresolved int `json:"unresolved"`
	// Held counts memberships not removed because a row that failed to
	// resolve may refer to them.
	Held int `json:"held"`
	// InScope counts the current memberships of the in-scope groups.
	InScope int `json:"in_scope"`
	// NoGroups counts the rows of people that give no group (they match
	// no access rule and list none); absent when there are none.
	NoGroups int `json:"no_groups,omitempty"`
}

// Plan is the outcome of [Compute]: the operations in the order they are to
// be applied (every add before any remove), the rows that failed to
// resolve, and the guards the plan trips.
type Plan struct {
	Options Options `json:"options"`
	// Blocked is set when rows failed to resolve and SkipUnresolved was
	// false: nothing is planned, only Unresolved is filled.
	Blocked    bool        `json:"blocked"`
	Operations []Operation `json:"operations"`
	Unresolved []RowError  `json:"unresolved"`
	// Held lists the memberships kept because an unresolved row may refer
	// to them (they would otherwise be removed).
	Held   []Operation `json:"held"`
	Groups []GroupStat `json:"groups"`
	Guards []Guard     `json:"guards"`
	Totals Summary     `json:"summary"`
	// Rules are the access rules the plan was computed with, each with
	// how many rows of people it matched; absent without rules.
	Rules []Rule `json:"rules,omitempty"`
}

// Summary returns the plan's counts.
func (p *Plan) Summary() Summary { return p.Totals }

// HasChanges reports whether the plan has any operation.
func (p *Plan) HasChanges() bool { return len(p.Operations) > 0 }

// Guard returns the tripped guards as an error, or nil when none tripped.
func (p *Plan) Guard() *GuardError {
	if len(p.Guards) == 0 {
		return nil
	}
	return &GuardError{Guards: append([]Guard(nil), p.Guards...)}
}

// Describe names the operation for a person: "add ann@example.com to Lobby",
// "remove u_123 from Floor 2".
func (op Operation) Describe() string {
	who := cmp.Or(op.Email, op.FullName, op.AcsUserID, op.UserIdentityID)
	group := cmp.Or(op.GroupName, op.GroupID)
	if op.Action == ActionRemove {
		return "remove " + who + " from " + group
	}
	return "add " + who + " to " + group
}
