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

// Compute resolves rows against snap and plans the changes that make the
// memberships of the in-scope groups equal to the rows.
//
// When rows fail to resolve and opts.SkipUnresolved is false, the error is
// an *Errors listing every failed row, and the returned Plan is Blocked: it
// lists the failures and plans nothing. Invalid options, a --system that
// names no system, or an in-scope group whose members are absent from
// snap.Members give a plain error and no plan. Tripped guards are not
// errors: they are in Plan.Guards, and [Plan.Guard] returns them.
func Compute(rows []desired.Row, snap *live.Snapshot, opts Options) (*Plan, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return nil, errors.New("no live state to plan against")
	}
	ix := newIndex(snap)
	rv := &resolver{ix: ix}
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

	// Resolve every row.
	res := make([]resolved, 0, len(rows))
	var fails []*failure
	var rowErrs []*RowError
	for i := range rows {
		r, f := rv.resolve(i, &rows[i])
		if f != nil {
			fails = append(fails, f)
			rowErrs = append(rowErrs, f.errs...)
			continue
		}
		res = append(res, r)
	}
	p.Totals.Unresolved = len(fails)
	for _, e := range rowErrs {
		p.Unresolved = append(p.Unresolved, *e)
	}
	if len(fails) > 0 && !opts.SkipUnresolved {
		p.Blocked = true
		return p, &Errors{Rows: rowErrs}
	}

	// Groups in scope.
	nG := len(snap.Groups)
	named := make([]bool, nG)
	for i := range res {
		named[res[i].group] = true
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
	holdPair := map[uint64]int{}
	holdSys := map[uint64]int{}
	for _, f := range fails {
		if f.sys < 0 {
			continue
		}
		line := f.errs[0].Line
		for _, t := range f.cands {
			if f.group >= 0 {
				if _, ok := holdPair[key(f.group, t)]; !ok {
					holdPair[key(f.group, t)] = line
				}
			} else if _, ok := holdSys[key(f.sys, t)]; !ok {
				holdSys[key(f.sys, t)] = line
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
	holdLine := map[uint64]int{}
	for _, k := range extra {
		line, held := holdPair[k]
		if !held && len(holdSys) > 0 {
			line, held = holdSys[key(ix.groupSys[keyGroup(k)], keyTarget(k))]
		}
		switch {
		case held:
			holds = append(holds, k)
			holdLine[k] = line
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
		p.Operations = append(p.Operations, addOp(ix, rows, &res[i]))
		addN[res[i].group]++
	}
	for _, k := range removes {
		g, t := keyGroup(k), keyTarget(k)
		p.Operations = append(p.Operations, removeOp(ix, g, t, ActionRemove, removeReason(named[g], opts)))
		remN[g]++
	}
	for _, k := range holds {
		reason := "member kept: line " + strconv.Itoa(holdLine[k]) + " did not resolve and may refer to this person"
		p.Held = append(p.Held, removeOp(ix, keyGroup(k), keyTarget(k), ActionHold, reason))
	}

	// Group figures, totals and guards.
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
	p.Guards = guards(p, len(rows))
	return p, nil
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

func addOp(ix *index, rows []desired.Row, r *resolved) Operation {
	row := &rows[r.row]
	g := ix.group(r.group)
	s := ix.system(ix.groupSys[r.group])
	op := Operation{
		Action: ActionAdd, SystemID: s.ID, SystemName: s.Name, GroupID: g.ID, GroupName: g.Name,
		File: row.File, Line: row.Line,
	}
	line := "line " + strconv.Itoa(row.Line) + ": "
	if r.ident < 0 {
		p := ix.person(r.target)
		op.Via, op.AcsUserID, op.UserIdentityID = ViaAcsUserID, p.acsUserID, p.identityID
		op.Email, op.FullName = cmp.Or(p.email, row.Email), cmp.Or(p.name, row.FullName)
		op.Reason = line + "not a member"
		return op
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

// guards computes the tripped guards of p; nRows is the input's row count.
func guards(p *Plan, nRows int) []Guard {
	gs := []Guard{}
	o := p.Options
	if !o.AllowEmptyGroups && nRows-p.Totals.Unresolved == 0 {
		msg := "refusing an input with no rows"
		if nRows > 0 {
			msg = "refusing an input with no usable rows (" + plural(p.Totals.Unresolved, "row", "rows") + " unresolved)"
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
