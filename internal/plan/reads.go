package plan

import (
	"slices"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/phone"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Reads decides what live state a plan needs, for live.Read: the systems,
// the groups whose members are read, and whether the user identities are
// read. It resolves the rows with the resolver [Compute] uses, on the state
// read so far, so that what is read and how the rows resolve follow one
// rule. A row that will not resolve costs no request; a row whose person is
// not yet known may cost one (a group's members), never a wrong plan.
type Reads struct {
	in   Input
	opts Options
	// later, when set, gives the input once it is known (NewReadsLater);
	// ok is false when there will be none (reading it failed).
	later func() (in Input, ok bool)
	// all reads every managed group of the systems (every system when
	// opts.Systems is empty), and the identities when identities is set.
	all        bool
	identities bool
}

// NewReads returns what a plan of in with opts needs: what the rows need,
// and the groups the rules name.
func NewReads(in Input, opts Options) *Reads {
	if o, err := opts.normalize(); err == nil {
		opts = o
	}
	return &Reads{in: in, opts: opts}
}

// NewReadsLater is NewReads for an input still being read: input blocks
// until the input is known and reports false when reading it failed. The
// systems are picked without waiting when the input cannot change them
// (--system given, or a workspace of one system), so that the live read
// starts while the CSV is still being parsed; the groups and the
// identities wait for it. When input reports false nothing more is read.
func NewReadsLater(opts Options, input func() (Input, bool)) *Reads {
	r := NewReads(Input{}, opts)
	r.later = input
	return r
}

// input waits for the input, when it comes later; ok is false when there
// is none.
func (r *Reads) input() bool {
	if r.later == nil {
		return true
	}
	in, ok := r.later()
	if ok {
		r.in, r.later = in, nil
	}
	return ok
}

// ReadAll reads the members of every managed group of the given systems
// (ids or names; every system when none), and the user identities when
// identities is set: what export writes.
func ReadAll(systems []string, identities bool) *Reads {
	return &Reads{opts: Options{Systems: systems, Scope: ScopeSystems}, all: true, identities: identities}
}

// Systems picks the systems to read: those of --system, else those the
// rows and rules name (every system when a row or rule can only be placed
// by its group id), else every system for ReadAll. A --system value that
// names no system, or several, is a *SystemError.
func (r *Reads) Systems(all []seam.System) ([]string, error) {
	ix := newIndex(&live.Snapshot{Systems: all})
	filter, err := ix.systemFilter(r.opts.Systems)
	if err != nil {
		return nil, err
	}
	if len(filter) > 0 {
		return ix.systemIDList(filter), nil
	}
	if r.all || len(all) <= 1 {
		return ix.systemIDList(nil), nil
	}
	if !r.input() {
		return nil, nil
	}
	pick := make([]bool, len(all))
	rows := r.in.Rows
	if len(r.in.Rules) > 0 {
		rows = slices.Clone(rows)
		for k := range r.in.Rules {
			ru := &r.in.Rules[k]
			rows = append(rows, desired.Row{SystemID: ru.SystemID, SystemName: ru.SystemName, GroupID: ru.GroupID, GroupName: ru.GroupName})
		}
	}
	for i := range rows {
		row := &rows[i]
		switch {
		case row.SystemID != "":
			if s, ok := ix.sysByID[row.SystemID]; ok {
				pick[s] = true
			}
		case row.SystemName != "":
			if m := ix.findSystem(row.SystemName); m.sys >= 0 {
				pick[m.sys] = true
			}
		case row.GroupID != "":
			// Only the groups can tell this row's system.
			return ix.systemIDList(nil), nil
		}
	}
	var list []int32
	for s, ok := range pick {
		if ok {
			list = append(list, int32(s))
		}
	}
	return ix.systemIDList(list), nil
}

// Groups picks the groups whose members to read: the groups in the plan's
// scope, as [Compute] will find it (those the rows and the rules name).
func (r *Reads) Groups(systems []seam.System, groups []seam.AccessGroup) []string {
	if !r.all && !r.input() {
		return nil
	}
	ix := newIndex(&live.Snapshot{Systems: systems, Groups: groups})
	rv := &resolver{ix: ix}
	if err := rv.setFilter(r.opts.Systems); err != nil {
		return nil // Systems refused it already
	}
	named := make([]bool, len(groups))
	if r.all {
		if rv.sysFilter == nil {
			rv.sysFilter = make([]bool, len(systems))
			for s := range rv.sysFilter {
				rv.sysFilter[s] = true
			}
		}
	} else {
		type place struct{ sysID, sysName, groupID, groupName string }
		seen := map[place]bool{}
		for i := range r.in.Rows {
			row := &r.in.Rows[i]
			k := place{row.SystemID, row.SystemName, row.GroupID, row.GroupName}
			if seen[k] {
				continue
			}
			seen[k] = true
			if g := rv.place(row); g >= 0 {
				named[g] = true
			}
		}
		groups, _ := rv.ruleGroups(r.in.Rules)
		for _, g := range groups {
			named[g] = true
		}
	}
	scope := rv.inScope(named, r.opts.Scope)
	ids := make([]string, len(scope))
	for i, g := range scope {
		ids[i] = ix.group(g).ID
	}
	return ids
}

// Identities reports whether a row can only resolve through a user
// identity: it names one that no ACS user of its system is linked to, or
// its email or phone is that of no ACS user of its system (a person known
// in one site and added to another goes by identity there).
func (r *Reads) Identities(snap *live.Snapshot) bool {
	if r.all {
		return r.identities
	}
	if !r.input() {
		return false
	}
	ix := newIndex(&live.Snapshot{Systems: snap.Systems, Groups: snap.Groups, Users: snap.Users})
	rv := &resolver{ix: ix}
	if err := rv.setFilter(r.opts.Systems); err != nil {
		return false
	}
	for i := range r.in.Rows {
		row := &r.in.Rows[i]
		if row.AcsUserID != "" {
			continue
		}
		sys, err := rv.system(row)
		if err != nil {
			continue
		}
		switch {
		case row.UserIdentityID != "":
			if len(ix.usersByIdentity[sysKey{sys, row.UserIdentityID}]) == 0 {
				return true
			}
		case row.Email != "":
			if len(ix.usersByEmail[sysKey{sys, emailKey(row.Email)}]) == 0 {
				return true
			}
		case row.Phone != "":
			if p := phone.Normalize(row.Phone); p != "" && len(ix.usersByPhone[sysKey{sys, p}]) == 0 {
				return true
			}
		}
	}
	return false
}

// place returns the group a row names in its system, or -1 when either
// does not resolve.
func (rv *resolver) place(r *desired.Row) int32 {
	sys, err := rv.system(r)
	if err != nil {
		return -1
	}
	g, gerr := rv.group(r, sys)
	if gerr != nil {
		return -1
	}
	return g
}

// systemIDList returns the ids of the systems list, or of every system
// when list is nil.
func (ix *index) systemIDList(list []int32) []string {
	if list == nil {
		ids := make([]string, len(ix.snap.Systems))
		for i, s := range ix.snap.Systems {
			ids[i] = s.ID
		}
		return ids
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = ix.system(s).ID
	}
	return ids
}
