package desired

import (
	"slices"
	"strings"
)

// Value positions in a record, in the order of KnownColumns and of Row's
// fields.
const (
	vSystemID = iota
	vSystemName
	vAcsUserID
	vIdentityID
	vEmail
	vPhone
	vGroupID
	vGroupName
	vFullName
	nValues
)

// vList is the value position of the access_groups cell; the attributes
// follow it (attrPos).
const vList = nValues

// attrPos returns the value position of attribute a.
func attrPos(a int) int { return vList + 1 + a }

// valueColumns names the column of each value position.
var valueColumns = [nValues]string{
	ColumnSystemID, ColumnSystemName,
	ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone,
	ColumnGroupID, ColumnGroupName,
	ColumnFullName,
}

// sharedField tells the Row fields whose values repeat across rows
// (systems and groups), kept once each in store.vals, from the user values,
// kept per row in store.users.
var sharedField = [nValues]bool{vSystemID: true, vSystemName: true, vGroupID: true, vGroupName: true}

// isShared reports whether the values at position p are kept once each:
// systems, groups, the group lists and the attributes (departments, sites)
// repeat across rows.
func isShared(p int) bool { return p >= nValues || sharedField[p] }

// store keeps the rows of one read until the end, when build makes the
// []Row. A kept row is a few 32-bit words and no pointer: the line, the
// index in vals of each system and group column of the header, and the
// lengths of its user columns, two to a word (for the 4 columns of a
// typical file, 16 bytes instead of the 168 of a Row). The garbage collector
// does not scan them, and its heap goal, twice the live heap, stays low while
// the file is read; the Rows are allocated once, when the read's garbage is
// bounded by that low goal. On the plan-at-scale file (1M rows) this took
// the peak RSS of a read from about 420 MB to about 280 MB (see
// BenchmarkReadScale1M and TestReadScaleOnce).
type store struct {
	// shared and user are the value positions the header maps, of each
	// kind; stride is the words per row: 1 + len(shared) + (len(user)+1)/2.
	shared, user []int
	stride       int
	words        []uint32
	n            int
	// vals holds every system and group value once (vals[0] is ""), up to
	// internLimit distinct values in index; past that, new values are
	// added without being looked up again.
	vals  []string
	index map[string]uint32
	last  []uint32 // the previous row's index of each shared column: rows come in runs
	// users holds the user values of every row, one after the other,
	// except that a row with the same user values as the row before it
	// shares them (files sorted by user); sameUser marks it in the line
	// word.
	users   strings.Builder
	prev    []string
	hasPrev bool
	// maxLine is the last line a row may start on (lines take 31 bits).
	maxLine int
	tooLong bool
}

const sameUser = 1 << 31

func newStore() *store {
	return &store{vals: []string{""}, index: map[string]uint32{}, maxLine: sameUser - 1}
}

// layout sets the columns kept: the value positions the header maps.
func (st *store) layout(positions []int) {
	st.shared, st.user = nil, nil
	for _, p := range positions {
		if isShared(p) {
			st.shared = append(st.shared, p)
		} else {
			st.user = append(st.user, p)
		}
	}
	st.stride = 1 + len(st.shared) + (len(st.user)+1)/2
	st.last = make([]uint32, len(st.shared))
	st.prev = make([]string, len(st.user))
}

// intern returns the index of s in vals, adding it when new; slot is the
// position in shared, for the run check.
func (st *store) intern(slot int, s string) uint32 {
	if s == "" {
		return 0
	}
	if i := st.last[slot]; st.vals[i] == s {
		return i
	}
	i, ok := st.index[s]
	if !ok {
		c := strings.Clone(s)
		i = uint32(len(st.vals))
		st.vals = append(st.vals, c)
		if len(st.index) < internLimit {
			st.index[c] = i
		}
	}
	st.last[slot] = i
	return i
}

// keep adds the checked values of the row starting on line, by value
// position (values at positions the header does not map are empty). It
// reports false, keeping nothing, when line is past maxLine.
func (st *store) keep(v []string, line int) bool {
	if line < 0 || line > st.maxLine {
		return false
	}
	base := len(st.words)
	st.words = slices.Grow(st.words, st.stride)[:base+st.stride]
	w := st.words[base:]
	clear(w)
	same := st.hasPrev
	for j, p := range st.user {
		w[1+len(st.shared)+j/2] |= uint32(len(v[p])) << (16 * (j % 2))
		same = same && v[p] == st.prev[j]
	}
	w[0] = uint32(line)
	if same {
		w[0] |= sameUser
	} else {
		for j, p := range st.user {
			st.users.WriteString(v[p])
			st.prev[j] = v[p]
		}
		st.hasPrev = true
	}
	for i, p := range st.shared {
		w[1+i] = st.intern(i, v[p])
	}
	st.n++
	return true
}

// grow makes room for about n more rows with userBytes bytes of user values
// each, so that a large file is not copied again and again by append.
func (st *store) grow(n int, userBytes float64) {
	st.words = slices.Grow(st.words, n*st.stride)
	st.users.Grow(int(float64(n) * userBytes))
}

// build returns the rows kept, with File set to name, and the values of the
// positions past the Row fields (the list cell, the attributes), by
// position - nValues and row: extra[k] is nil for a position the layout
// does not keep. The rows' user values share one string; system and group
// values are shared between rows.
//
// Allocating the rows usually starts a garbage collection, which scans them
// while they are filled: the fields are set one by one, and only those the
// header maps, since each pointer written then costs a write barrier.
func (st *store) build(name string, nExtra int) (rows []Row, extra [][]string) {
	extra = make([][]string, nExtra)
	for _, p := range st.shared {
		if p >= nValues {
			extra[p-nValues] = make([]string, st.n)
		}
	}
	if st.n == 0 {
		return nil, extra
	}
	users := st.users.String()
	rows = make([]Row, st.n)
	var off, next int // where this row's and the next new user's values start
	for k := range rows {
		w := st.words[k*st.stride : (k+1)*st.stride]
		r := &rows[k]
		r.File, r.Line = name, int(w[0]&^sameUser)
		for i, p := range st.shared {
			if x := w[1+i]; x != 0 {
				if p >= nValues {
					extra[p-nValues][k] = st.vals[x]
				} else {
					*r.field(p) = st.vals[x]
				}
			}
		}
		if w[0]&sameUser == 0 {
			off = next
		}
		at := off
		for j, p := range st.user {
			if n := int(w[1+len(st.shared)+j/2]>>(16*(j%2))) & 0xFFFF; n > 0 {
				*r.field(p) = users[at : at+n]
				at += n
			}
		}
		next = max(next, at)
	}
	return rows, extra
}

// field returns the field of r at value position p.
func (r *Row) field(p int) *string {
	switch p {
	case vSystemID:
		return &r.SystemID
	case vSystemName:
		return &r.SystemName
	case vAcsUserID:
		return &r.AcsUserID
	case vIdentityID:
		return &r.UserIdentityID
	case vEmail:
		return &r.Email
	case vPhone:
		return &r.Phone
	case vGroupID:
		return &r.GroupID
	case vGroupName:
		return &r.GroupName
	}
	return &r.FullName
}
