package plan

import "sort"

// Replan builds a plan from operations that come from elsewhere (the
// leftovers of an earlier run for rerun, the inverses of its successes for
// revert) against the current members of their groups. Operations the
// live state already satisfies (satisfied returns true) are dropped and
// returned apart; the rest keep their order, adds first, and get group
// figures, totals and guards as Compute gives them (the empty-input guard
// aside: an empty list is simply nothing to do).
func Replan(ops []Operation, members map[string][]string, opts Options, satisfied func(Operation) bool) (p *Plan, done []Operation, err error) {
	if opts, err = opts.normalize(); err != nil {
		return nil, nil, err
	}
	p = &Plan{Options: opts, Operations: []Operation{}, Unresolved: []RowError{}, Held: []Operation{}, Groups: []GroupStat{}, Guards: []Guard{}}
	var adds, removes []Operation
	for _, op := range ops {
		switch {
		case satisfied(op):
			done = append(done, op)
		case op.Action == ActionAdd:
			adds = append(adds, op)
		case op.Action == ActionRemove:
			removes = append(removes, op)
		}
	}
	p.Operations = append(append(p.Operations, adds...), removes...)

	stats := map[string]*GroupStat{}
	var order []string
	for _, op := range ops {
		if stats[op.GroupID] == nil {
			cur := len(members[op.GroupID])
			stats[op.GroupID] = &GroupStat{SystemID: op.SystemID, SystemName: op.SystemName, GroupID: op.GroupID, GroupName: op.GroupName, Current: cur}
			order = append(order, op.GroupID)
		}
	}
	for _, op := range p.Operations {
		if op.Action == ActionAdd {
			stats[op.GroupID].Add++
		} else {
			stats[op.GroupID].Remove++
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := stats[order[i]], stats[order[j]]
		if a.SystemName != b.SystemName {
			return a.SystemName < b.SystemName
		}
		if a.GroupName != b.GroupName {
			return a.GroupName < b.GroupName
		}
		return a.GroupID < b.GroupID
	})
	for _, g := range order {
		s := stats[g]
		s.Unchanged = s.Current - s.Remove
		s.Final = s.Current + s.Add - s.Remove
		p.Groups = append(p.Groups, *s)
		p.Totals.InScope += s.Current
	}
	p.Totals.Add, p.Totals.Remove = len(adds), len(removes)
	if len(p.Operations) > 0 {
		p.Guards = guards(p, inputSize{rows: len(p.Operations), usable: len(p.Operations)})
	}
	return p, done, nil
}
