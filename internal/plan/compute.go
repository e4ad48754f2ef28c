package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
)

// ActionHold marks an entry of Plan.Held: a removal not planned because a
// row that failed to resolve may refer to the member.
const ActionHold Action = "hold"

// key is a membership: a group and a target.
func key(g, t int32) uint64 { return uint64(uint32(g))<<32 | uint64(uint32(t)) }

func keyGroup(k uint64) int32  { return int32(uint32(k >> 32)) }
func keyTarget(k uint64) int32 { return int32(uint32(k)) }

// Compute resolves the input's rows and rules against snap and plans the
// changes that make the memberships of the in-scope groups equal to the
// rows.
//
// When rows or rules fail to resolve and opts.SkipUnresolved is false, the
// error is an *Errors listing every failure (a rule's problem once, on its
// line), and the returned Plan is Blocked: it lists the failures and plans
// nothing. Invalid options, a --system that names no system, or an
// in-scope group whose members are absent from snap.Members give a plain
// error and no plan. Tripped guards are not errors: they are in
// Plan.Guards, and [Plan.Guard] returns them.
func Compute(in Input, snap *live.Snapshot, opts Options) (*Plan, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return nil, errors.New("no live state to plan against")
	}
	ix := newIndex(snap)
	rv := &resolver{ix: ix, headers: in.Headers}
	if err := rv.setFilter(opts.Systems); err != nil {
		return nil, err
	}
	p := &Plan{
		Options:    opts,
		Operations: []Operation{},
		Unresolved: []RowError{},
		Held:       []Operation{},
		Groups:     []GroupStat{},
		Guards:     []Guard{},
	}
	loc := newLocator(&in)
	rows := in.Rows

	// The rules' groups, then every row.
	ruleGroups, ruleErrs := rv.ruleGroups(in.Rules)
	res := make([]resolved, 0, len(rows))
	var fails []*failure
	var rowErrs []*RowError
	for i := range rows {
		r, f := rv.resolve(i, &rows[i])
		if f != nil {
			if ru := in.origin(i); ru != nil {
				blame(f, ru)
			} else if in.listed(i) {
				for _, e := range f.errs {
					if e.Column == desired.ColumnGroupName {
						e.Column, e.Header = desired.ColumnGroupList, in.Headers[e.File][desired.ColumnGroupList]
					}
				}
			}
			fails = append(fails, f)
			rowErrs = append(rowErrs, f.errs...)
			continue
		}
		res = append(res, r)
	}
	errs := sortErrors(&in, uniqueErrors(append(rowErrs, ruleErrs...)))
	for _, e := range errs {
		p.Unresolved = append(p.Unresolved, *e)
	}
	p.Totals.Unresolved = failedLines(errs)
	if len(errs) > 0 && !opts.SkipUnresolved {
		p.Blocked = true
		return p, &Errors{Rows: errs}
	}

	// Groups in scope.
	nG := len(snap.Groups)
	named := make([]bool, nG)
	for i := range res {
		named[res[i].group] = true
	}
	for _, g := range ruleGroups {
		named[g] = true
	}
	scope := rv.inScope(named, opts.Scope)
	for _, g := range scope {
		if _, ok := snap.Members[ix.group(g).ID]; !ok {
			gr := ix.group(g)
			return nil, fmt.Errorf("members of group '%s' (%s) were not read", gr.Name, gr.ID)
		}
	}

	// Desired memberships, the first row of each winning.
	want := make(map[uint64]int32, len(res))
	for i := range res {
		k := key(res[i].group, res[i].target)
		if _, dup := want[k]; dup {
			res[i].dup = true
			continue
		}
		want[k] = int32(i)
	}

	// Current memberships of the in-scope groups.
	present := make([]bool, len(res))
	cur := make([]int, nG)
	unch := make([]int, nG)
	var extra []uint64
	for _, g := range scope {
		for _, id := range snap.Members[ix.group(g).ID] {
			k := key(g, ix.memberTarget(id))
			if ri, ok := want[k]; ok {
				if !present[ri] {
					present[ri] = true
					cur[g]++
					unch[g]++
				}
				continue
			}
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	extra = slices.Compact(extra)
	for _, k := range extra {
		cur[keyGroup(k)]++
	}

	// Memberships that failed rows may refer to.
	holdPair := map[uint64]string{}
	holdSys := map[uint64]string{}
	for _, f := range fails {
		if f.sys < 0 {
			continue
		}
		where := loc.of(f.row, "")
		for _, t := range f.cands {
			if f.group >= 0 {
				if _, ok := holdPair[key(f.group, t)]; !ok {
					holdPair[key(f.group, t)] = where
				}
			} else if _, ok := holdSys[key(f.sys, t)]; !ok {
				holdSys[key(f.sys, t)] = where
			}
		}
	}

	// People in the input with no group, or without this one: their
	// memberships go, saying so.
	noGroups := rv.groupless(&in, res, scope)
	known := map[int32]*desired.Row{} // a person of the input -> their first row
	if in.WithRules || in.WithLists {
		for i := range res {
			if _, ok := known[res[i].target]; !ok {
				known[res[i].target] = &rows[res[i].row]
			}
		}
	}

	// Adds, removes and holds, as memberships.
	var adds []int32
	for i := range res {
		switch {
		case res[i].dup:
		case present[i]:
			p.Totals.Unchanged++
		case opts.Mode != ModeRemoveOnly:
			adds = append(adds, int32(i))
		}
	}
	var removes, holds []uint64
	holdWhere := map[uint64]string{}
	for _, k := range extra {
		where, held := holdPair[k]
		if !held && len(holdSys) > 0 {
			where, held = holdSys[key(ix.groupSys[keyGroup(k)], keyTarget(k))]
		}
		switch {
		case held:
			holds = append(holds, k)
			holdWhere[k] = where
		case opts.Mode != ModeAddOnly:
			removes = append(removes, k)
		}
	}

	// Order: groups by system and name, people by email, name and id.
	grank := groupRanks(ix, scope)
	slices.SortFunc(scope, func(a, b int32) int { return cmp.Compare(grank[a], grank[b]) })
	trank := targetRanks(ix, res, adds, removes, holds)
	addKey := func(i int32) uint64 { return key(grank[res[i].group], trank[res[i].target]) }
	slices.SortFunc(adds, func(a, b int32) int { return cmp.Compare(addKey(a), addKey(b)) })
	byRank := func(a, b uint64) int {
		return cmp.Compare(key(grank[keyGroup(a)], trank[keyTarget(a)]), key(grank[keyGroup(b)], trank[keyTarget(b)]))
	}
	slices.SortFunc(removes, byRank)
	slices.SortFunc(holds, byRank)

	// Operations.
	p.Operations = make([]Operation, 0, len(adds)+len(removes))
	addN := make([]int, nG)
	remN := make([]int, nG)
	for _, i := range adds {
		r := &res[i]
		p.Operations = append(p.Operations, addOp(ix, &rows[r.row], in.origin(int(r.row)), r, loc))
		addN[r.group]++
	}
	reasons := [2]string{removeReason(false, opts), removeReason(true, opts)}
	for _, k := range removes {
		g, t := keyGroup(k), keyTarget(k)
		reason := reasons[0]
		if named[g] {
			reason = reasons[1]
		}
		op := removeOp(ix, g, t, ActionRemove, reason)
		// A person of the input: the row that says so locates the remove.
		if ng, ok := noGroups[t]; ok {
			op.Reason, op.File, op.Line = loc.of(ng.row, ": "+ng.why+" ("+string(opts.Mode)+")"), ng.row.File, ng.row.Line
		} else if r, ok := known[t]; ok {
			op.Reason, op.File, op.Line = loc.of(r, ": "+notGiven(&in)+" ("+string(opts.Mode)+")"), r.File, r.Line
		}
		p.Operations = append(p.Operations, op)
		remN[g]++
	}
	for _, k := range holds {
		reason := "member kept: " + holdWhere[k] + " did not resolve and may refer to this person"
		p.Held = append(p.Held, removeOp(ix, keyGroup(k), keyTarget(k), ActionHold, reason))
	}

	// Group figures, totals, rules and guards.
	for _, g := range scope {
		gr := ix.group(g)
		p.Groups = append(p.Groups, GroupStat{
			SystemID: gr.SystemID, SystemName: ix.system(ix.groupSys[g]).Name,
			GroupID: gr.ID, GroupName: gr.Name,
			Current: cur[g], Add: addN[g], Remove: remN[g], Unchanged: unch[g],
			Final: cur[g] + addN[g] - remN[g],
		})
		p.Totals.InScope += cur[g]
	}
	p.Totals.Add, p.Totals.Remove, p.Totals.Held = len(adds), len(removes), len(holds)
	if in.WithRules {
		p.Rules = append([]Rule{}, in.Rules...)
	}
	p.Totals.NoGroups = len(in.Groupless)
	p.Guards = guards(p, inputSize{rows: len(rows), usable: len(res), people: len(in.Groupless), withRules: in.WithRules})
	return p, nil
}

// blame moves the problems of a row that a rule gave to the rule: those in
// the columns the rule gives (the group, and its system when the rule
// names one) are the rule's, reported once on its line; the others (the
// person) stay the row's.
func blame(f *failure, ru *Rule) {
	for i, e := range f.errs {
		switch e.Column {
		case desired.ColumnGroupID, desired.ColumnGroupName:
		case desired.ColumnSystemID, desired.ColumnSystemName:
			if ru.SystemID == "" && ru.SystemName == "" {
				continue
			}
		default:
			continue
		}
		f.errs[i] = &RowError{File: ru.File, Line: ru.Line, Column: e.Column, Msg: e.Msg, Hint: e.Hint,
			SystemID: ru.SystemID, SystemName: ru.SystemName, GroupID: ru.GroupID, GroupName: ru.GroupName}
	}
}

// uniqueErrors drops the errors that repeat an earlier one (the same file,
// line, column and message): a person's problem comes once for each group
// the person gets, and a rule's once for each person it matches.
func uniqueErrors(errs []*RowError) []*RowError {
	if len(errs) < 2 {
		return errs
	}
	type k struct {
		file     string
		line     int
		col, msg string
	}
	seen := make(map[k]bool, len(errs))
	out := errs[:0:0]
	for _, e := range errs {
		key := k{e.File, e.Line, e.Column, e.Msg}
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

// sortErrors orders errs by file, the input files first in the order their
// rows come, then by line.
func sortErrors(in *Input, errs []*RowError) []*RowError {
	rank := map[string]int{}
	for _, rows := range [][]desired.Row{in.Rows, in.Groupless} {
		last := ""
		for i := range rows {
			if f := rows[i].File; f != last {
				last = f
				if _, ok := rank[f]; !ok {
					rank[f] = len(rank)
				}
			}
		}
	}
	r := func(f string) int {
		if k, ok := rank[f]; ok {
			return k
		}
		return len(rank) // the rules file
	}
	slices.SortStableFunc(errs, func(a, b *RowError) int {
		return cmp.Or(cmp.Compare(r(a.File), r(b.File)), cmp.Compare(a.Line, b.Line))
	})
	return errs
}

// failedLines counts the input lines (rows and rules) that errs are about.
func failedLines(errs []*RowError) int {
	type k struct {
		file string
		line int
	}
	seen := map[k]bool{}
	for _, e := range errs {
		seen[k{e.File, e.Line}] = true
	}
	return len(seen)
}

// noGroup is why a person's memberships are removed: the row of the input
// that gives them no group.
type noGroup struct {
	row *desired.Row
	why string
}

// groupless returns, for each ACS user a row of in.Groupless resolves to
// and no desired membership names, the row and why. A row with a system is
// looked up there, one without in every system of the scope.
func (rv *resolver) groupless(in *Input, res []resolved, scope []int32) map[int32]noGroup {
	if len(in.Groupless) == 0 {
		return nil
	}
	ix := rv.ix
	wanted := map[int32]bool{}
	for i := range res {
		wanted[res[i].target] = true
	}
	var scopeSys []int32
	for _, g := range scope {
		if s := ix.groupSys[g]; !slices.Contains(scopeSys, s) {
			scopeSys = append(scopeSys, s)
		}
	}
	why := "lists no group"
	if in.WithRules {
		why = "matches no rule"
	}
	out := map[int32]noGroup{}
	for i := range in.Groupless {
		r := &in.Groupless[i]
		systems := scopeSys
		if r.SystemID != "" || r.SystemName != "" || len(rv.filterSys) == 1 || len(ix.snap.Systems) == 1 {
			s, err := rv.system(r)
			if err != nil {
				continue
			}
			systems = []int32{s}
		}
		for _, s := range systems {
			t, _, err := rv.user(r, s)
			if err != nil || t >= ix.nUsers || wanted[t] {
				continue
			}
			if _, ok := out[t]; !ok {
				out[t] = noGroup{r, why}
			}
		}
	}
	return out
}

// setFilter resolves --system values (ids or names).
func (rv *resolver) setFilter(systems []string) error {
	if len(systems) == 0 {
		return nil
	}
	list, err := rv.ix.systemFilter(systems)
	if err != nil {
		return err
	}
	rv.sysFilter = make([]bool, len(rv.ix.snap.Systems))
	names := make([]string, len(list))
	for i, s := range list {
		rv.sysFilter[s] = true
		names[i] = rv.sysLabel(s)
	}
	rv.filterSys, rv.filterDesc = list, strings.Join(names, ", ")
	return nil
}

// inScope returns the groups a plan reconciles: with ScopeGroups the named
// ones; with ScopeSystems every managed group of the --system systems, or,
// without --system, of the named groups' systems.
func (rv *resolver) inScope(named []bool, scope Scope) []int32 {
	ix := rv.ix
	var out []int32
	if scope == ScopeGroups {
		for g, ok := range named {
			if ok {
				out = append(out, int32(g))
			}
		}
		return out
	}
	sysIn := rv.sysFilter
	if sysIn == nil {
		sysIn = make([]bool, len(ix.snap.Systems))
		for g, ok := range named {
			if ok {
				sysIn[ix.groupSys[g]] = true
			}
		}
	}
	for g := range ix.snap.Groups {
		if s := ix.groupSys[g]; s >= 0 && sysIn[s] && ix.group(int32(g)).Managed() {
			out = append(out, int32(g))
		}
	}
	return out
}

// groupRanks orders the in-scope groups by system name, system id, group
// name and group id.
func groupRanks(ix *index, scope []int32) []int32 {
	order := slices.Clone(scope)
	slices.SortFunc(order, func(a, b int32) int {
		ga, gb := ix.group(a), ix.group(b)
		sa, sb := ix.system(ix.groupSys[a]), ix.system(ix.groupSys[b])
		return cmp.Or(cmp.Compare(sa.Name, sb.Name), cmp.Compare(sa.ID, sb.ID),
			cmp.Compare(ga.Name, gb.Name), cmp.Compare(ga.ID, gb.ID))
	})
	rank := make([]int32, len(ix.snap.Groups))
	for i, g := range order {
		rank[g] = int32(i)
	}
	return rank
}

// targetRanks orders the people that appear in operations by email (those
// without one last), name and ids, case-insensitively.
func targetRanks(ix *index, res []resolved, adds []int32, removes, holds []uint64) []int32 {
	n := int(ix.nUsers+ix.nIdent) + len(ix.extra)
	rank := make([]int32, n)
	type entry struct {
		t                 int32
		email, name       string
		acsUser, identity string
	}
	var used []entry
	mark := func(t int32) {
		if rank[t] == 0 {
			rank[t] = -1
			p := ix.person(t)
			used = append(used, entry{t, strings.ToLower(p.email), strings.ToLower(p.name), p.acsUserID, p.identityID})
		}
	}
	for _, i := range adds {
		mark(res[i].target)
	}
	for _, k := range removes {
		mark(keyTarget(k))
	}
	for _, k := range holds {
		mark(keyTarget(k))
	}
	slices.SortFunc(used, func(a, b entry) int {
		return cmp.Or(boolCmp(a.email == "", b.email == ""), cmp.Compare(a.email, b.email),
			cmp.Compare(a.name, b.name), cmp.Compare(a.acsUser, b.acsUser), cmp.Compare(a.identity, b.identity))
	})
	for i, e := range used {
		rank[e.t] = int32(i)
	}
	return rank
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func addOp(ix *index, row *desired.Row, ru *Rule, r *resolved, loc locator) Operation {
	g := ix.group(r.group)
	s := ix.system(ix.groupSys[r.group])
	op := Operation{
		Action: ActionAdd, SystemID: s.ID, SystemName: s.Name, GroupID: g.ID, GroupName: g.Name,
		File: row.File, Line: row.Line,
	}
	if r.ident < 0 {
		p := ix.person(r.target)
		op.Via, op.AcsUserID, op.UserIdentityID = ViaAcsUserID, p.acsUserID, p.identityID
		op.Email, op.FullName = cmp.Or(p.email, row.Email), cmp.Or(p.name, row.FullName)
		// One string a reason: plans of a million rows have many.
		if ru == nil {
			op.Reason = loc.of(row, ": not a member")
		} else {
			op.Reason = loc.of(row, " matches "+ru.Label()+": not a member")
		}
		return op
	}
	line := loc.of(row, ": ")
	if ru != nil {
		line = loc.of(row, " matches "+ru.Label()+": ")
	}
	idn := ix.identity(r.ident)
	op.Via, op.UserIdentityID = ViaUserIdentityID, idn.ID
	op.Email, op.FullName = cmp.Or(idn.EmailAddress, row.Email), cmp.Or(identityName(idn), row.FullName)
	contact := cmp.Or(idn.EmailAddress, idn.PhoneNumber)
	who := "identity " + idn.ID
	if contact != "" {
		who += " (" + contact + ")"
	}
	sysName := cmp.Or(s.Name, s.ID)
	if r.target < ix.nUsers {
		u := ix.user(r.target)
		op.LinkAcsUserID = u.ID
		op.Reason = line + "no ACS user in " + sysName + " is linked to " + who + "; Seam will link ACS user " + u.ID + ", which has its email or phone"
		return op
	}
	op.Reason = line + "no ACS user in " + sysName + "; Seam will link or create one for " + who
	return op
}

func removeOp(ix *index, g, t int32, a Action, reason string) Operation {
	gr := ix.group(g)
	s := ix.system(ix.groupSys[g])
	p := ix.person(t)
	return Operation{
		Action: a, SystemID: s.ID, SystemName: s.Name, GroupID: gr.ID, GroupName: gr.Name,
		AcsUserID: p.acsUserID, UserIdentityID: p.identityID, Email: p.email, FullName: p.name,
		Via: ViaAcsUserID, Reason: reason,
	}
}

// notGiven says why a person of the input loses a group: none of their
// rows gives it.
func notGiven(in *Input) string {
	switch {
	case in.WithRules && in.WithLists:
		return "no rule or list gives this group"
	case in.WithRules:
		return "no rule gives this group"
	}
	return "not among the groups listed"
}

func removeReason(named bool, opts Options) string {
	if named {
		return "member, not in the CSV (" + string(opts.Mode) + ")"
	}
	return "member of a group not in the CSV (" + string(opts.Mode) + ", scope systems)"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

// inputSize is what the empty-input guard looks at: the input's
// memberships, those that resolved, and the rows of people with no group.
type inputSize struct {
	rows, usable, people int
	withRules            bool
}

// guards computes the tripped guards of p.
func guards(p *Plan, in inputSize) []Guard {
	gs := []Guard{}
	o := p.Options
	if !o.AllowEmptyGroups && in.usable == 0 {
		msg := "refusing an input with no rows"
		switch {
		case in.rows > 0:
			msg = "refusing an input with no usable rows (" + plural(p.Totals.Unresolved, "row", "rows") + " unresolved)"
		case in.people > 0 && in.withRules:
			msg = "refusing an input that gives nobody a group (" + plural(in.people, "person", "people") + ", none matches a rule)"
		case in.people > 0:
			msg = "refusing an input that gives nobody a group (" + plural(in.people, "person", "people") + ", none lists a group)"
		}
		gs = append(gs, Guard{Kind: GuardEmptyInput, Message: msg, Override: OverrideAllowEmptyGroups})
	}
	if allowed := o.MaxRemovals.Allowed(p.Totals.InScope); p.Totals.Remove > allowed {
		msg := "refusing to remove " + plural(p.Totals.Remove, "membership", "memberships") + ": more than the limit of " + o.MaxRemovals.String()
		if o.MaxRemovals.Kind == LimitPercent {
			msg += " of " + plural(p.Totals.InScope, "in-scope membership", "in-scope memberships") + " (" + strconv.Itoa(allowed) + ")"
		}
		gs = append(gs, Guard{
			Kind: GuardMaxRemovals, Message: msg, Override: OverrideMaxRemovals,
			Removals: p.Totals.Remove, Limit: o.MaxRemovals.String(), InScope: p.Totals.InScope, Allowed: allowed,
		})
	}
	if o.MaxAdds != nil {
		if allowed := o.MaxAdds.Allowed(p.Totals.InScope); p.Totals.Add > allowed {
			msg := "refusing to add " + plural(p.Totals.Add, "membership", "memberships") + ": more than the limit of " + o.MaxAdds.String()
			if o.MaxAdds.Kind == LimitPercent {
				msg += " of " + plural(p.Totals.InScope, "in-scope membership", "in-scope memberships") + " (" + strconv.Itoa(allowed) + ")"
			}
			gs = append(gs, Guard{
				Kind: GuardMaxAdds, Message: msg, Override: OverrideMaxAdds,
				Adds: p.Totals.Add, Limit: o.MaxAdds.String(), InScope: p.Totals.InScope, Allowed: allowed,
			})
		}
	}
	if !o.AllowEmptyGroups {
		for _, g := range p.Groups {
			if g.Current > 0 && g.Final == 0 {
				gs = append(gs, Guard{
					Kind:     GuardEmptyGroup,
					Message:  "refusing to empty group " + g.GroupName + " (" + cmp.Or(g.SystemName, g.SystemID) + ", " + plural(g.Current, "member", "members") + ")",
					Override: OverrideAllowEmptyGroups,
					SystemID: g.SystemID, SystemName: g.SystemName, GroupID: g.GroupID, GroupName: g.GroupName, Members: g.Current,
				})
			}
		}
	}
	return gs
}
