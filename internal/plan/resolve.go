package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/phone"
	"github.com/acs-bulk/acs-bulk/internal/quote"
)

// resolved is a row resolved to a group and a target.
type resolved struct {
	row    int32
	group  int32
	target int32 // the membership is keyed by (group, target)
	ident  int32 // identity the add goes by, or -1 for an ACS user
	dup    bool  // an earlier row gives the same membership
}

// failure is a row that did not resolve, with what is known of it so that
// the memberships it may refer to can be held.
type failure struct {
	row   *desired.Row
	errs  []*RowError
	sys   int32 // -1 when unknown
	group int32 // -1 when unknown
	cands []int32
}

// resolver resolves rows; sysFilter is nil when --system was not given.
type resolver struct {
	ix         *index
	sysFilter  []bool
	filterSys  []int32
	filterDesc string
	// headers is Input.Headers: how each file spells our mapped columns.
	headers map[string]map[string]string
}

func (rv *resolver) rowErr(r *desired.Row, col, hint, format string, args ...any) *RowError {
	return &RowError{File: r.File, Line: r.Line, Column: col, Header: rv.headers[r.File][col], Msg: fmt.Sprintf(format, args...), Hint: hint,
		SystemID: r.SystemID, SystemName: r.SystemName, GroupID: r.GroupID, GroupName: r.GroupName,
		AcsUserID: r.AcsUserID, UserIdentityID: r.UserIdentityID, Email: r.Email, FullName: r.FullName}
}

// resolve resolves row i; on failure it returns the failure instead.
func (rv *resolver) resolve(i int, r *desired.Row) (resolved, *failure) {
	sys, err := rv.system(r)
	if err != nil {
		return resolved{}, &failure{row: r, errs: []*RowError{err}, sys: -1, group: -1}
	}
	g, gerr := rv.group(r, sys)
	t, ident, uerr := rv.user(r, sys)
	if gerr == nil && uerr == nil {
		return resolved{row: int32(i), group: g, target: t, ident: ident}, nil
	}
	f := &failure{row: r, sys: sys, group: -1}
	if gerr != nil {
		f.errs = append(f.errs, gerr)
	} else {
		f.group = g
	}
	if uerr != nil {
		f.errs = append(f.errs, uerr)
		f.cands = rv.candidates(r, sys)
	} else {
		f.cands = []int32{t}
	}
	return resolved{}, f
}

func (rv *resolver) sysLabel(s int32) string {
	sy := rv.ix.system(s)
	if sy.Name != "" {
		return sy.Name
	}
	return sy.ID
}

func (rv *resolver) system(r *desired.Row) (int32, *RowError) {
	ix := rv.ix
	s := int32(-1)
	switch {
	case r.SystemID != "":
		var ok bool
		if s, ok = ix.sysByID[r.SystemID]; !ok {
			return -1, rv.rowErr(r, desired.ColumnSystemID, "", "unknown acs_system_id '%s'", r.SystemID)
		}
		if r.SystemName != "" && foldName(ix.system(s).Name) != foldName(r.SystemName) {
			return -1, rv.rowErr(r, desired.ColumnSystemName, "", "acs_system_id %s is system '%s', but acs_system says '%s'", r.SystemID, ix.system(s).Name, r.SystemName)
		}
	case r.SystemName != "":
		m := ix.findSystem(r.SystemName)
		switch {
		case m.sys >= 0:
			s = m.sys
		case len(m.names) > 0:
			return -1, rv.rowErr(r, desired.ColumnSystemName, "use an acs_system_id column", "system name '%s' is ambiguous: %s", r.SystemName, ix.systemIDs(m.names))
		default:
			return -1, rv.rowErr(r, desired.ColumnSystemName, m.hint, "unknown system '%s'", r.SystemName)
		}
	case len(rv.filterSys) == 1:
		s = rv.filterSys[0]
	case len(ix.snap.Systems) == 1:
		s = 0
	case r.GroupID != "":
		g, ok := ix.groupByID[r.GroupID]
		if !ok {
			return -1, rv.rowErr(r, desired.ColumnGroupID, "", "unknown acs_access_group_id '%s'", r.GroupID)
		}
		if s = ix.groupSys[g]; s < 0 {
			return -1, rv.rowErr(r, desired.ColumnGroupID, "", "acs_access_group_id %s belongs to system %s, which was not read", r.GroupID, ix.group(g).SystemID)
		}
	default:
		return -1, rv.rowErr(r, "", "add an acs_system_id or acs_system column, or pass --system", "no system for this row: the workspace has %d systems", len(ix.snap.Systems))
	}
	if rv.sysFilter != nil && !rv.sysFilter[s] {
		return -1, rv.rowErr(r, desired.ColumnSystemName, "", "system %s is outside --system %s", rv.sysLabel(s), rv.filterDesc)
	}
	return s, nil
}

func (rv *resolver) group(r *desired.Row, sys int32) (int32, *RowError) {
	ix := rv.ix
	g := int32(-1)
	if r.GroupID != "" {
		var ok bool
		if g, ok = ix.groupByID[r.GroupID]; !ok {
			return -1, rv.rowErr(r, desired.ColumnGroupID, "", "unknown acs_access_group_id '%s'", r.GroupID)
		}
		if gs := ix.groupSys[g]; gs != sys {
			where := ix.group(g).SystemID
			if gs >= 0 {
				where = rv.sysLabel(gs)
			}
			return -1, rv.rowErr(r, desired.ColumnGroupID, "", "acs_access_group_id %s is group '%s' in %s, not in %s", r.GroupID, ix.group(g).Name, where, rv.sysLabel(sys))
		}
	}
	if r.GroupName != "" {
		list := ix.groupByName[sysKey{sys, r.GroupName}]
		switch {
		case g >= 0 && !slices.Contains(list, g):
			return -1, rv.rowErr(r, desired.ColumnGroupName, "", "acs_access_group_id %s is group '%s', but access_group says '%s'", r.GroupID, ix.group(g).Name, r.GroupName)
		case g >= 0:
			// The id picks one of the groups of that name.
		case len(list) == 0:
			return -1, rv.rowErr(r, desired.ColumnGroupName, rv.groupHint(sys, r.GroupName), "unknown group '%s' in %s", r.GroupName, rv.sysLabel(sys))
		case len(list) > 1:
			ids := make([]string, len(list))
			for i, x := range list {
				ids[i] = ix.group(x).ID
			}
			slices.Sort(ids)
			return -1, rv.rowErr(r, desired.ColumnGroupName, "use an acs_access_group_id column", "group name '%s' in %s is ambiguous: %s", r.GroupName, rv.sysLabel(sys), strings.Join(ids, ", "))
		default:
			g = list[0]
		}
	}
	if g < 0 {
		return -1, rv.rowErr(r, "", "add an acs_access_group_id or access_group column", "no group for this row")
	}
	if gr := ix.group(g); !gr.Managed() {
		return -1, rv.rowErr(r, desired.ColumnGroupName, "", "group '%s' (%s) in %s is not managed: Seam cannot change its members", gr.Name, gr.ID, rv.sysLabel(sys))
	}
	return g, nil
}

func (rv *resolver) groupHint(sys int32, name string) string {
	k := sysKey{sys, name}
	if h, ok := rv.ix.hints[k]; ok {
		return h
	}
	var names []string
	for i, g := range rv.ix.snap.Groups {
		if rv.ix.groupSys[i] == sys && g.Managed() {
			names = append(names, g.Name)
		}
	}
	h := suggest(name, names)
	rv.ix.hints[k] = h
	return h
}

// user resolves the row's person in system sys: the most specific
// identifier decides, and the others must agree with it.
func (rv *resolver) user(r *desired.Row, sys int32) (target, ident int32, err *RowError) {
	ix := rv.ix
	switch {
	case r.AcsUserID != "":
		u, ok := ix.userByID[r.AcsUserID]
		if !ok {
			return -1, -1, rv.rowErr(r, desired.ColumnAcsUserID, "", "unknown acs_user_id '%s'", r.AcsUserID)
		}
		if us := ix.userSys[u]; us != sys {
			where := ix.user(u).SystemID
			if us >= 0 {
				where = rv.sysLabel(us)
			}
			return -1, -1, rv.rowErr(r, desired.ColumnAcsUserID, "", "acs_user_id %s is in %s, not in %s", r.AcsUserID, where, rv.sysLabel(sys))
		}
		if r.UserIdentityID != "" && r.UserIdentityID != ix.user(u).UserIdentityID {
			linked := "not linked to a user identity"
			if id := ix.user(u).UserIdentityID; id != "" {
				linked = "linked to " + id
			}
			return -1, -1, rv.rowErr(r, desired.ColumnIdentityID, "", "user_identity_id %s does not match ACS user %s (%s)", r.UserIdentityID, r.AcsUserID, linked)
		}
		return u, -1, rv.agreeUser(r, sys, u)
	case r.UserIdentityID != "":
		switch list := ix.usersByIdentity[sysKey{sys, r.UserIdentityID}]; len(list) {
		case 1:
			return list[0], -1, rv.agreeUser(r, sys, list[0])
		case 0:
			id, ok := ix.identByID[r.UserIdentityID]
			if !ok {
				return -1, -1, rv.rowErr(r, desired.ColumnIdentityID, "", "unknown user_identity_id '%s'", r.UserIdentityID)
			}
			if err := rv.agreeIdentity(r, sys, id); err != nil {
				return -1, -1, err
			}
			return rv.viaIdentity(r, sys, id)
		default:
			return -1, -1, rv.rowErr(r, desired.ColumnIdentityID, "add an acs_user_id column to choose", "user_identity_id %s has several ACS users in %s: %s", r.UserIdentityID, rv.sysLabel(sys), rv.userIDs(list))
		}
	case r.Email != "":
		return rv.byContact(r, sys, desired.ColumnEmail, "email", emailKey(r.Email), ix.usersByEmail, ix.identByEmail)
	case r.Phone != "":
		p := phone.Normalize(r.Phone)
		if p == "" {
			return -1, -1, rv.rowErr(r, desired.ColumnPhone, "", "phone_number '%s' has no digits", r.Phone)
		}
		return rv.byContact(r, sys, desired.ColumnPhone, "phone number", p, ix.usersByPhone, ix.identByPhone)
	}
	return -1, -1, rv.rowErr(r, "", "add an acs_user_id, user_identity_id, email or phone_number column", "no user for this row")
}

// byContact resolves by email or phone (value already normalized).
func (rv *resolver) byContact(r *desired.Row, sys int32, col, what, value string, users map[sysKey][]int32, idents map[string][]int32) (int32, int32, *RowError) {
	raw := r.Email
	if col == desired.ColumnPhone {
		raw = r.Phone
	}
	switch list := users[sysKey{sys, value}]; len(list) {
	case 1:
		return list[0], -1, rv.agreeUser(r, sys, list[0])
	case 0:
	default:
		return -1, -1, rv.rowErr(r, col, "add an acs_user_id column to choose", "%s %s matches several ACS users in %s: %s", what, raw, rv.sysLabel(sys), rv.userIDs(list))
	}
	switch list := idents[value]; len(list) {
	case 1:
		if err := rv.agreeIdentity(r, sys, list[0]); err != nil {
			return -1, -1, err
		}
		return rv.viaIdentity(r, sys, list[0])
	case 0:
		hint := ""
		if col == desired.ColumnEmail {
			hint = emailHint(raw)
		}
		return -1, -1, rv.rowErr(r, col, hint, "no ACS user in %s and no user identity has %s %s", rv.sysLabel(sys), what, raw)
	default:
		ids := make([]string, len(list))
		for i, x := range list {
			ids[i] = rv.ix.identity(x).ID
		}
		slices.Sort(ids)
		return -1, -1, rv.rowErr(r, col, "add a user_identity_id or acs_user_id column to choose", "%s %s matches several user identities: %s", what, raw, strings.Join(ids, ", "))
	}
}

// emailHint explains, for an email that matches no one, that a non-ASCII
// character in it matches only itself (email.Fold folds ASCII letters
// only): "email contains U+212A KELVIN SIGN (not the ASCII letter k):
// non-ASCII characters must match exactly". It is "" for an ASCII email.
func emailHint(e string) string {
	r, ok := email.NonASCII(e)
	if !ok {
		return ""
	}
	h := "email contains " + quote.Rune(r)
	if a, ok := email.ASCIITwin(r); ok {
		h += fmt.Sprintf(" (not the ASCII letter %c)", a)
	}
	return h + ": non-ASCII characters must match exactly"
}

// viaIdentity resolves an identity with no ACS user in sys: the add goes by
// identity, and Seam links the system's ACS user that has the identity's
// email or phone, if there is one.
func (rv *resolver) viaIdentity(r *desired.Row, sys, id int32) (int32, int32, *RowError) {
	ix := rv.ix
	idn := ix.identity(id)
	if list := ix.usersByIdentity[sysKey{sys, idn.ID}]; len(list) == 1 {
		return list[0], -1, nil
	} else if len(list) > 1 {
		return -1, -1, rv.rowErr(r, desired.ColumnIdentityID, "add an acs_user_id column to choose", "user identity %s has several ACS users in %s: %s", idn.ID, rv.sysLabel(sys), rv.userIDs(list))
	}
	var cands []int32
	if e := emailKey(idn.EmailAddress); e != "" {
		cands = append(cands, ix.usersByEmail[sysKey{sys, e}]...)
	}
	if p := phone.Normalize(idn.PhoneNumber); p != "" {
		for _, u := range ix.usersByPhone[sysKey{sys, p}] {
			if !slices.Contains(cands, u) {
				cands = append(cands, u)
			}
		}
	}
	switch len(cands) {
	case 0:
		return ix.nUsers + id, id, nil
	case 1:
		return cands[0], id, nil
	}
	return -1, -1, rv.rowErr(r, desired.ColumnIdentityID, "add an acs_user_id column to choose", "user identity %s matches several ACS users in %s by email or phone: %s; Seam's link would be ambiguous", idn.ID, rv.sysLabel(sys), rv.userIDs(cands))
}

func (rv *resolver) userIDs(list []int32) string {
	ids := make([]string, len(list))
	for i, u := range list {
		ids[i] = rv.ix.user(u).ID
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// agreeUser checks the row's email and phone against ACS user u. A value
// the user lacks agrees unless it belongs to another user of the system.
func (rv *resolver) agreeUser(r *desired.Row, sys, u int32) *RowError {
	ix := rv.ix
	us := ix.user(u)
	if r.Email != "" {
		have := [3]string{us.EmailAddress, us.Email, us.UserIdentityEmailAddress}
		match, first := false, ""
		for _, e := range have {
			e = strings.TrimSpace(e)
			if e != "" && first == "" {
				first = e
			}
			if e != "" && email.Equal(e, r.Email) {
				match = true
			}
		}
		switch {
		case match:
		case first != "":
			return rv.rowErr(r, desired.ColumnEmail, emailHint(r.Email), "email %s does not match ACS user %s (%s)", r.Email, us.ID, first)
		default:
			if other := ix.usersByEmail[sysKey{sys, emailKey(r.Email)}]; len(other) > 0 {
				return rv.rowErr(r, desired.ColumnEmail, "", "email %s belongs to ACS user %s, not %s", r.Email, rv.userIDs(other), us.ID)
			}
		}
	}
	if r.Phone != "" {
		p := phone.Normalize(r.Phone)
		have := ix.userPhones[u]
		switch {
		case p == "":
			return rv.rowErr(r, desired.ColumnPhone, "", "phone_number '%s' has no digits", r.Phone)
		case p == have[0] || p == have[1]:
		case have[0] != "" || have[1] != "":
			shown := us.PhoneNumber
			if have[0] == "" {
				shown = us.UserIdentityPhoneNumber
			}
			return rv.rowErr(r, desired.ColumnPhone, "", "phone_number %s does not match ACS user %s (%s)", r.Phone, us.ID, shown)
		default:
			if other := ix.usersByPhone[sysKey{sys, p}]; len(other) > 0 {
				return rv.rowErr(r, desired.ColumnPhone, "", "phone_number %s belongs to ACS user %s, not %s", r.Phone, rv.userIDs(other), us.ID)
			}
		}
	}
	return nil
}

// agreeIdentity checks the row's email and phone against identity id.
func (rv *resolver) agreeIdentity(r *desired.Row, sys, id int32) *RowError {
	ix := rv.ix
	idn := ix.identity(id)
	if r.Email != "" && !email.Equal(strings.TrimSpace(idn.EmailAddress), r.Email) {
		if idn.EmailAddress != "" {
			return rv.rowErr(r, desired.ColumnEmail, emailHint(r.Email), "email %s does not match user identity %s (%s)", r.Email, idn.ID, idn.EmailAddress)
		}
		if other := ix.identByEmail[emailKey(r.Email)]; len(other) > 0 {
			return rv.rowErr(r, desired.ColumnEmail, "", "email %s belongs to user identity %s, not %s", r.Email, ix.identity(other[0]).ID, idn.ID)
		}
		if other := ix.usersByEmail[sysKey{sys, emailKey(r.Email)}]; len(other) > 0 {
			return rv.rowErr(r, desired.ColumnEmail, "", "email %s belongs to ACS user %s, not to user identity %s", r.Email, rv.userIDs(other), idn.ID)
		}
	}
	if r.Phone != "" {
		p, have := phone.Normalize(r.Phone), phone.Normalize(idn.PhoneNumber)
		switch {
		case p == "":
			return rv.rowErr(r, desired.ColumnPhone, "", "phone_number '%s' has no digits", r.Phone)
		case p == have:
		case have != "":
			return rv.rowErr(r, desired.ColumnPhone, "", "phone_number %s does not match user identity %s (%s)", r.Phone, idn.ID, idn.PhoneNumber)
		default:
			if other := ix.identByPhone[p]; len(other) > 0 {
				return rv.rowErr(r, desired.ColumnPhone, "", "phone_number %s belongs to user identity %s, not %s", r.Phone, ix.identity(other[0]).ID, idn.ID)
			}
			if other := ix.usersByPhone[sysKey{sys, p}]; len(other) > 0 {
				return rv.rowErr(r, desired.ColumnPhone, "", "phone_number %s belongs to ACS user %s, not to user identity %s", r.Phone, rv.userIDs(other), idn.ID)
			}
		}
	}
	return nil
}

// candidates are the ACS users of sys that any of the row's identifiers
// points to: the people a failed row may have meant.
func (rv *resolver) candidates(r *desired.Row, sys int32) []int32 {
	ix := rv.ix
	var c []int32
	if u, ok := ix.userByID[r.AcsUserID]; ok && r.AcsUserID != "" && ix.userSys[u] == sys {
		c = append(c, u)
	}
	if r.UserIdentityID != "" {
		c = append(c, ix.usersByIdentity[sysKey{sys, r.UserIdentityID}]...)
	}
	if r.Email != "" {
		c = append(c, ix.usersByEmail[sysKey{sys, emailKey(r.Email)}]...)
	}
	if p := phone.Normalize(r.Phone); p != "" {
		c = append(c, ix.usersByPhone[sysKey{sys, p}]...)
	}
	return c
}
