package plan

import (
	"slices"

	"github.com/acs-bulk/acs-bulk/internal/desired"
)

// ruleGroups resolves the groups the rules name, which are in the plan's
// scope whether or not the rules match anyone, and returns them with the
// problems, each on its rule's line. A rule that names its system, or its
// group by id, names one group, found as a row's is. A rule that names a
// group only by name names it in every system with groups read (those of
// --system when given) that has a group of that name: a rule for one site
// names nothing when the plan reads another (it matches nobody there).
func (rv *resolver) ruleGroups(rules []Rule) (groups []int32, errs []*RowError) {
	ix := rv.ix
	var readSys []int32 // the systems with groups read, in order
	for _, s := range ix.groupSys {
		if s >= 0 && (rv.sysFilter == nil || rv.sysFilter[s]) && !slices.Contains(readSys, s) {
			readSys = append(readSys, s)
		}
	}
	slices.Sort(readSys)
	for k := range rules {
		ru := &rules[k]
		r := &desired.Row{File: ru.File, Line: ru.Line, SystemID: ru.SystemID, SystemName: ru.SystemName, GroupID: ru.GroupID, GroupName: ru.GroupName}
		if ru.SystemID != "" || ru.SystemName != "" || ru.GroupID != "" || len(rv.filterSys) == 1 || len(ix.snap.Systems) == 1 {
			sys, err := rv.system(r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			g, err := rv.group(r, sys)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			groups = append(groups, g)
			continue
		}
		for _, s := range readSys {
			if len(ix.groupByName[sysKey{s, ru.GroupName}]) == 0 {
				continue
			}
			g, err := rv.group(r, s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			groups = append(groups, g)
		}
		// A system without the group is no problem of the rule's: a person
		// there it matches fails to resolve on their row, which names it.
	}
	return groups, errs
}
