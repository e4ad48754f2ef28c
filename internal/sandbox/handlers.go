package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ok wraps a payload in Seam's success envelope.
func ok(key string, v any) map[string]any {
	if key == "" {
		return map[string]any{"ok": true}
	}
	return map[string]any{key: v, "ok": true}
}

func (s *Server) findSystem(id string) (*AcsSystem, *apiError) {
	i, found := s.systems[id]
	if !found {
		return nil, errorf(http.StatusNotFound, "acs_system_not_found", "Access system %q not found", id)
	}
	return &s.st.AcsSystems[i], nil
}

// findGroup finds a group, managed or not.
func (s *Server) findGroup(id string) (*AcsAccessGroup, *apiError) {
	i, found := s.groups[id]
	if !found {
		return nil, errorf(http.StatusNotFound, "acs_access_group_not_found", "Access group %q not found", id)
	}
	return &s.st.AcsAccessGroups[i], nil
}

func (s *Server) findUser(id string) (*AcsUser, *apiError) {
	i, found := s.users[id]
	if !found {
		return nil, errorf(http.StatusNotFound, "acs_user_not_found", "ACS user %q not found", id)
	}
	return &s.st.AcsUsers[i], nil
}

func (s *Server) findIdentity(id string) (*UserIdentity, *apiError) {
	i, found := s.idents[id]
	if !found {
		return nil, errorf(http.StatusNotFound, "user_identity_not_found", "User identity %q not found", id)
	}
	return &s.st.UserIdentities[i], nil
}

// identityUser returns the identity's ACS user in a system, or nil.
func (s *Server) identityUser(identityID, systemID string) *AcsUser {
	for i := range s.st.AcsUsers {
		u := &s.st.AcsUsers[i]
		if u.UserIdentityID == identityID && u.AcsSystemID == systemID {
			return u
		}
	}
	return nil
}

// --- systems ---

func (s *Server) systemsList(c *call) (any, *apiError) {
	account := c.p.str("connected_account_id")
	search := strings.ToLower(c.p.str("search"))
	out := []systemJSON{}
	if c.p.str("customer_key") != "" {
		return ok("acs_systems", out), nil // the sandbox has no customers: no system is a customer's
	}
	for i := range s.st.AcsSystems {
		x := &s.st.AcsSystems[i]
		if account != "" && x.ConnectedAccountID != account {
			continue
		}
		if search != "" && !containsFold(search, x.Name, x.AcsSystemID) {
			continue
		}
		out = append(out, s.renderSystem(x))
	}
	return ok("acs_systems", out), nil
}

// containsFold reports whether one of fields contains the lower-case needle,
// ignoring case.
func containsFold(needle string, fields ...string) bool {
	return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), needle) })
}

func (s *Server) systemsGet(c *call) (any, *apiError) {
	id := c.p.required("acs_system_id")
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	x, e := s.findSystem(id)
	if e != nil {
		return nil, e
	}
	return ok("acs_system", s.renderSystem(x)), nil
}

// --- access groups ---

// groupFilter selects groups by system, member user, member identity or a
// search of their name and id.
func (s *Server) groupFilter(c *call) (func(*AcsAccessGroup) bool, *apiError) {
	systemID := c.p.str("acs_system_id")
	userID := c.p.str("acs_user_id")
	identityID := c.p.str("user_identity_id")
	search := strings.ToLower(c.p.str("search"))
	if systemID != "" {
		if _, e := s.findSystem(systemID); e != nil {
			return nil, e
		}
	}
	if userID != "" {
		if _, e := s.findUser(userID); e != nil {
			return nil, e
		}
	}
	var identityUsers []string
	if identityID != "" {
		if _, e := s.findIdentity(identityID); e != nil {
			return nil, e
		}
		for _, u := range s.st.AcsUsers {
			if u.UserIdentityID == identityID {
				identityUsers = append(identityUsers, u.AcsUserID)
			}
		}
	}
	return func(g *AcsAccessGroup) bool {
		if systemID != "" && g.AcsSystemID != systemID {
			return false
		}
		if userID != "" && !s.members[g.AcsAccessGroupID][userID] {
			return false
		}
		if identityID != "" && !slices.ContainsFunc(identityUsers, func(u string) bool { return s.members[g.AcsAccessGroupID][u] }) {
			return false
		}
		if search != "" && !containsFold(search, g.Name, g.DisplayName, g.AcsAccessGroupID) {
			return false
		}
		return true
	}, nil
}

func (s *Server) listGroups(c *call, managed bool) (any, *apiError) {
	keep, e := s.groupFilter(c)
	if e != nil {
		return nil, e
	}
	out := []groupJSON{}
	for i := range s.st.AcsAccessGroups {
		g := &s.st.AcsAccessGroups[i]
		if g.Managed() == managed && keep(g) {
			out = append(out, s.renderGroup(g))
		}
	}
	return ok("acs_access_groups", out), nil
}

func (s *Server) groupsList(c *call) (any, *apiError) { return s.listGroups(c, true) }

func (s *Server) unmanagedList(c *call) (any, *apiError) { return s.listGroups(c, false) }

// getGroup answers /acs/access_groups/get (managed) and its unmanaged twin:
// a group of the other kind is not found on each route.
func (s *Server) getGroup(c *call, managed bool) (any, *apiError) {
	id := c.p.required("acs_access_group_id")
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	g, e := s.findGroup(id)
	if e != nil {
		return nil, e
	}
	if g.Managed() != managed {
		if managed {
			return nil, errorf(http.StatusNotFound, "acs_access_group_not_found", "Access group %q not found (it is an unmanaged group: see /acs/access_groups/unmanaged/get)", id)
		}
		return nil, errorf(http.StatusNotFound, "acs_access_group_not_found", "Unmanaged access group %q not found (it is a managed group: see /acs/access_groups/get)", id)
	}
	return ok("acs_access_group", s.renderGroup(g)), nil
}

func (s *Server) groupsGet(c *call) (any, *apiError) { return s.getGroup(c, true) }

func (s *Server) unmanagedGet(c *call) (any, *apiError) { return s.getGroup(c, false) }

// groupsListUsers lists every member of a group (managed or not), in the
// users' creation order; not paginated.
func (s *Server) groupsListUsers(c *call) (any, *apiError) {
	id := c.p.required("acs_access_group_id")
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	if _, e := s.findGroup(id); e != nil {
		return nil, e
	}
	idx := make([]int, 0, len(s.members[id]))
	for u := range s.members[id] {
		idx = append(idx, s.users[u])
	}
	slices.Sort(idx)
	out := make([]userJSON, 0, len(idx))
	for _, i := range idx {
		out = append(out, s.renderUser(&s.st.AcsUsers[i], c.now))
	}
	return ok("acs_users", out), nil
}

// changeableGroup finds a group that membership changes may touch.
func (s *Server) changeableGroup(id string) (*AcsAccessGroup, *apiError) {
	g, e := s.findGroup(id)
	if e != nil {
		return nil, e
	}
	if !g.Managed() {
		return nil, errorf(http.StatusBadRequest, "invalid_input", "Access group %q (%s) is not managed by Seam; its members cannot be changed through the API", g.AcsAccessGroupID, g.Name)
	}
	return g, nil
}

// target is the ACS user a membership change is about, as resolved from
// acs_user_id or user_identity_id.
type target struct {
	user     *AcsUser      // nil when an add will create the user
	identity *UserIdentity // set when named by user_identity_id
	link     bool          // user exists but must be linked to identity
}

// resolveAdd finds the user an add refers to. With a user identity it is the
// identity's user in the group's system, else a system user with the
// identity's email or phone number (to be linked), else a user to create.
func (s *Server) resolveAdd(g *AcsAccessGroup, userID, identityID string) (target, *apiError) {
	if userID != "" {
		u, e := s.findUser(userID)
		if e != nil {
			return target{}, e
		}
		if u.AcsSystemID != g.AcsSystemID {
			return target{}, errorf(http.StatusBadRequest, "invalid_input", "ACS user %q belongs to access system %q, but access group %q belongs to %q", u.AcsUserID, u.AcsSystemID, g.AcsAccessGroupID, g.AcsSystemID)
		}
		return target{user: u}, nil
	}
	id, e := s.findIdentity(identityID)
	if e != nil {
		return target{}, e
	}
	if u := s.identityUser(id.UserIdentityID, g.AcsSystemID); u != nil {
		return target{user: u, identity: id}, nil
	}
	for i := range s.st.AcsUsers {
		u := &s.st.AcsUsers[i]
		if u.AcsSystemID != g.AcsSystemID || u.UserIdentityID != "" {
			continue
		}
		if (id.EmailAddress != "" && strings.EqualFold(u.EmailAddress, id.EmailAddress)) ||
			(id.PhoneNumber != "" && samePhone(u.PhoneNumber, id.PhoneNumber)) {
			return target{user: u, identity: id, link: true}, nil
		}
	}
	return target{identity: id}, nil
}

// samePhone compares phone numbers by their digits.
func samePhone(a, b string) bool {
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	da := digits(a)
	return da != "" && da == digits(b)
}

// scripted returns the scripted failure matching a change, counting it down.
func (s *Server) scripted(g *AcsAccessGroup, t target) *apiError {
	var emails []string
	userID := ""
	if t.user != nil {
		userID = t.user.AcsUserID
		emails = append(emails, t.user.EmailAddress)
	}
	if t.identity != nil {
		emails = append(emails, t.identity.EmailAddress)
	}
	for i, f := range s.faults.Scripted {
		if s.left[i] == 0 {
			continue
		}
		match := (f.AcsUserID != "" && f.AcsUserID == userID) ||
			(f.AccessGroupID != "" && f.AccessGroupID == g.AcsAccessGroupID) ||
			(f.Email != "" && slices.ContainsFunc(emails, func(e string) bool { return e != "" && strings.EqualFold(e, f.Email) }))
		if !match {
			continue
		}
		if s.left[i] > 0 {
			s.left[i]--
		}
		typ := f.Type
		if typ == "" {
			typ = defaultErrorType(f.Status, f.AccessGroupID != "")
		}
		msg := f.Message
		if msg == "" {
			msg = "Scripted failure " + f.String()
		}
		return &apiError{status: f.Status, typ: typ, message: msg}
	}
	return nil
}

// addMember applies an add: links or creates the user when needed, records
// the membership, the pending mutation and the log entry.
func (s *Server) addMember(c *call, g *AcsAccessGroup, t target) *apiError {
	if e := s.scripted(g, t); e != nil {
		return e
	}
	userAction := ""
	switch {
	case t.user == nil:
		u := s.createUser(c, AcsUser{
			AcsSystemID:    g.AcsSystemID,
			FullName:       t.identity.FullName,
			EmailAddress:   t.identity.EmailAddress,
			PhoneNumber:    t.identity.PhoneNumber,
			UserIdentityID: t.identity.UserIdentityID,
		})
		t.user = u
		userAction = "created"
	case t.link:
		t.user.UserIdentityID = t.identity.UserIdentityID
		t.identity.AcsUserIDs = append(t.identity.AcsUserIDs, t.user.AcsUserID)
		userAction = "linked"
	}
	userID := t.user.AcsUserID
	changed := !s.members[g.AcsAccessGroupID][userID]
	if changed {
		s.members[g.AcsAccessGroupID][userID] = true
		s.recordChange(c, g.AcsAccessGroupID, userID, true)
	}
	s.logChange(c, "add", g.AcsAccessGroupID, userID, changed, userAction)
	c.header.Set("X-Sandbox-Acs-User-Id", userID)
	if userAction != "" {
		c.header.Set("X-Sandbox-Acs-User-Action", userAction)
	}
	return nil
}

// removeMember applies a removal; removing a non-member is not an error.
func (s *Server) removeMember(c *call, g *AcsAccessGroup, t target) *apiError {
	if e := s.scripted(g, t); e != nil {
		return e
	}
	userID := ""
	changed := false
	if t.user != nil {
		userID = t.user.AcsUserID
		changed = s.members[g.AcsAccessGroupID][userID]
		if changed {
			delete(s.members[g.AcsAccessGroupID], userID)
			s.recordChange(c, g.AcsAccessGroupID, userID, false)
		}
	}
	s.logChange(c, "remove", g.AcsAccessGroupID, userID, changed, "")
	return nil
}

func (s *Server) logChange(c *call, action, groupID, userID string, changed bool, userAction string) {
	s.log = append(s.log, MembershipChange{
		Seq: len(s.log) + 1, Action: action, AccessGroupID: groupID, AcsUserID: userID,
		Changed: changed, UserAction: userAction, RequestID: c.requestID, At: c.now,
	})
}

// createUser adds a new ACS user (with a fresh id) and returns it.
func (s *Server) createUser(c *call, u AcsUser) *AcsUser {
	for {
		u.AcsUserID = s.newID()
		if _, taken := s.users[u.AcsUserID]; !taken {
			break
		}
	}
	u.CreatedAt = c.now
	s.st.AcsUsers = append(s.st.AcsUsers, u)
	s.users[u.AcsUserID] = len(s.st.AcsUsers) - 1
	if u.UserIdentityID != "" {
		id := &s.st.UserIdentities[s.idents[u.UserIdentityID]]
		id.AcsUserIDs = append(id.AcsUserIDs, u.AcsUserID)
	}
	if s.delay > 0 {
		s.pending[u.AcsUserID] = append(s.pending[u.AcsUserID], pendingMutation{
			code: mutationCreating, message: "Creating the user on the access system", createdAt: c.now, until: c.now.Add(s.delay),
		})
	}
	return &s.st.AcsUsers[len(s.st.AcsUsers)-1]
}

// addParams reads acs_access_group_id and exactly one of acs_user_id and
// user_identity_id (or, when userRequired, acs_user_id alone).
func (s *Server) memberParams(c *call, userRequired bool) (groupID, userID, identityID string, e *apiError) {
	groupID = c.p.required("acs_access_group_id")
	if userRequired {
		userID = c.p.required("acs_user_id")
	} else {
		userID = c.p.str("acs_user_id")
		identityID = c.p.str("user_identity_id")
		switch {
		case userID != "" && identityID != "":
			c.p.invalid("acs_user_id", "Provide only one of acs_user_id or user_identity_id")
			c.p.invalid("user_identity_id", "Provide only one of acs_user_id or user_identity_id")
		case userID == "" && identityID == "":
			c.p.invalid("acs_user_id", "Provide one of acs_user_id or user_identity_id")
			c.p.invalid("user_identity_id", "Provide one of acs_user_id or user_identity_id")
		}
	}
	return groupID, userID, identityID, c.p.failure()
}

func (s *Server) add(c *call, userRequired bool) (any, *apiError) {
	groupID, userID, identityID, e := s.memberParams(c, userRequired)
	if e != nil {
		return nil, e
	}
	g, e := s.changeableGroup(groupID)
	if e != nil {
		return nil, e
	}
	t, e := s.resolveAdd(g, userID, identityID)
	if e != nil {
		return nil, e
	}
	if e := s.addMember(c, g, t); e != nil {
		return nil, e
	}
	return ok("", nil), nil
}

func (s *Server) remove(c *call) (any, *apiError) {
	groupID, userID, identityID, e := s.memberParams(c, false)
	if e != nil {
		return nil, e
	}
	g, e := s.changeableGroup(groupID)
	if e != nil {
		return nil, e
	}
	var t target
	if userID != "" {
		if t.user, e = s.findUser(userID); e != nil {
			return nil, e
		}
	} else {
		if t.identity, e = s.findIdentity(identityID); e != nil {
			return nil, e
		}
		t.user = s.identityUser(identityID, g.AcsSystemID)
	}
	if e := s.removeMember(c, g, t); e != nil {
		return nil, e
	}
	return ok("", nil), nil
}

func (s *Server) groupsAddUser(c *call) (any, *apiError) { return s.add(c, false) }

func (s *Server) groupsRemoveUser(c *call) (any, *apiError) { return s.remove(c) }

func (s *Server) usersAddToGroup(c *call) (any, *apiError) { return s.add(c, true) }

func (s *Server) usersRemoveFromGroup(c *call) (any, *apiError) { return s.remove(c) }

// --- users ---

func (s *Server) usersList(c *call) (any, *apiError) {
	systemID := c.p.str("acs_system_id")
	identityID := c.p.str("user_identity_id")
	identityEmail := c.p.str("user_identity_email_address")
	identityPhone := c.p.str("user_identity_phone_number")
	search := strings.ToLower(c.p.str("search"))
	before := c.p.timestamp("created_before")
	limit := c.p.positiveInt("limit", 500)
	start := c.p.cursor("acs_users")
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	if systemID != "" {
		if _, e := s.findSystem(systemID); e != nil {
			return nil, e
		}
	}
	if identityID != "" {
		if _, e := s.findIdentity(identityID); e != nil {
			return nil, e
		}
	}
	keep := func(u *AcsUser) bool {
		if systemID != "" && u.AcsSystemID != systemID {
			return false
		}
		if identityID != "" && u.UserIdentityID != identityID {
			return false
		}
		if !before.IsZero() && !u.CreatedAt.Before(before) {
			return false
		}
		var id *UserIdentity
		if u.UserIdentityID != "" {
			id = &s.st.UserIdentities[s.idents[u.UserIdentityID]]
		}
		if identityEmail != "" && (id == nil || !strings.EqualFold(id.EmailAddress, identityEmail)) {
			return false
		}
		if identityPhone != "" && (id == nil || !samePhone(id.PhoneNumber, identityPhone)) {
			return false
		}
		if search != "" {
			fields := []string{u.FullName, u.PhoneNumber, u.EmailAddress, u.AcsUserID, u.UserIdentityID}
			if id != nil {
				fields = append(fields, id.FullName, id.PhoneNumber, id.EmailAddress)
			}
			if !slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), search) }) {
				return false
			}
		}
		return true
	}
	out := []userJSON{}
	next := -1
	for i := start; i < len(s.st.AcsUsers); i++ {
		u := &s.st.AcsUsers[i]
		if !keep(u) {
			continue
		}
		if len(out) == limit {
			next = i
			break
		}
		out = append(out, s.renderUser(u, c.now))
	}
	resp := ok("acs_users", out)
	resp["pagination"] = s.pagination(c, "acs_users", next)
	return resp, nil
}

// pagination describes the next page, which starts at index next (-1: none).
// next_page_url is a GET of the same route with the same parameters.
func (s *Server) pagination(c *call, list string, next int) paginationJSON {
	if next < 0 {
		return paginationJSON{}
	}
	cur := encodeCursor(list, next)
	q := c.p.query()
	q.Set("page_cursor", cur)
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	host := c.r.Host
	if host == "" {
		host = "localhost"
	}
	u := (&url.URL{Scheme: scheme, Host: host, Path: c.r.URL.Path, RawQuery: q.Encode()}).String()
	return paginationJSON{HasNextPage: true, NextPageCursor: &cur, NextPageURL: &u}
}

func (s *Server) usersGet(c *call) (any, *apiError) {
	userID := c.p.str("acs_user_id")
	identityID := c.p.str("user_identity_id")
	systemID := c.p.str("acs_system_id")
	switch {
	case userID != "" && identityID != "":
		c.p.invalid("acs_user_id", "Provide only one of acs_user_id or user_identity_id")
	case userID == "" && identityID == "":
		c.p.invalid("acs_user_id", "Required")
	}
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	if userID != "" {
		u, e := s.findUser(userID)
		if e != nil {
			return nil, e
		}
		return ok("acs_user", s.renderUser(u, c.now)), nil
	}
	if _, e := s.findIdentity(identityID); e != nil {
		return nil, e
	}
	var found []*AcsUser
	for i := range s.st.AcsUsers {
		u := &s.st.AcsUsers[i]
		if u.UserIdentityID == identityID && (systemID == "" || u.AcsSystemID == systemID) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return nil, errorf(http.StatusNotFound, "acs_user_not_found", "User identity %q has no ACS user%s", identityID, inSystem(systemID))
	case 1:
		return ok("acs_user", s.renderUser(found[0], c.now)), nil
	default:
		return nil, errorf(http.StatusBadRequest, "invalid_input", "User identity %q has ACS users in %d access systems; give acs_system_id", identityID, len(found))
	}
}

func inSystem(id string) string {
	if id == "" {
		return ""
	}
	return " in access system " + `"` + id + `"`
}

func (s *Server) usersCreate(c *call) (any, *apiError) {
	systemID := c.p.required("acs_system_id")
	fullName := c.p.required("full_name")
	email := c.p.str("email_address")
	if old := c.p.str("email"); old != "" {
		switch {
		case email == "":
			email = old
		case !strings.EqualFold(email, old):
			c.p.invalid("email", "Differs from email_address (email is the deprecated name of email_address)")
		}
	}
	phone := c.p.str("phone_number")
	identityID := c.p.str("user_identity_id")
	groupIDs := c.p.strList("acs_access_group_ids")
	if email != "" && !validEmail(email) {
		c.p.invalid("email_address", "Invalid email")
	}
	var sched *AccessSchedule
	if sc := c.p.schedule("access_schedule"); sc != nil {
		sched = &AccessSchedule{StartsAt: sc.startsAt, EndsAt: sc.endsAt}
		if sched.StartsAt.IsZero() {
			sched.StartsAt = c.now // Seam: starts_at defaults to the current time
		}
		if sched.EndsAt != nil && (!sched.EndsAt.After(c.now) || !sched.EndsAt.After(sched.StartsAt)) {
			c.p.invalid("access_schedule", "ends_at must be in the future and after starts_at")
		}
	}
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	if _, e := s.findSystem(systemID); e != nil {
		return nil, e
	}
	if identityID != "" {
		if _, e := s.findIdentity(identityID); e != nil {
			return nil, e
		}
		if u := s.identityUser(identityID, systemID); u != nil {
			return nil, errorf(http.StatusBadRequest, "invalid_input", "User identity %q already has ACS user %q in access system %q", identityID, u.AcsUserID, systemID)
		}
	}
	var groups []*AcsAccessGroup
	for _, gid := range groupIDs {
		g, e := s.changeableGroup(gid)
		if e != nil {
			return nil, e
		}
		if g.AcsSystemID != systemID {
			return nil, errorf(http.StatusBadRequest, "invalid_input", "Access group %q belongs to access system %q, not %q", gid, g.AcsSystemID, systemID)
		}
		groups = append(groups, g)
	}
	u := s.createUser(c, AcsUser{AcsSystemID: systemID, FullName: fullName, EmailAddress: email, PhoneNumber: phone, UserIdentityID: identityID, AccessSchedule: sched})
	userID := u.AcsUserID
	for _, g := range groups {
		if !s.members[g.AcsAccessGroupID][userID] {
			s.members[g.AcsAccessGroupID][userID] = true
			s.recordChange(c, g.AcsAccessGroupID, userID, true)
			s.logChange(c, "add", g.AcsAccessGroupID, userID, true, "created")
		}
	}
	return ok("acs_user", s.renderUser(&s.st.AcsUsers[s.users[userID]], c.now)), nil
}

// --- user identities ---

func (s *Server) identitiesList(c *call) (any, *apiError) {
	search := strings.ToLower(c.p.str("search"))
	ids := c.p.strList("user_identity_ids")
	noCredentialManager := c.p.str("credential_manager_acs_system_id") != "" // the sandbox has none: no identity matches
	before := c.p.timestamp("created_before")
	limit := c.p.positiveInt("limit", 500)
	start := c.p.cursor("user_identities")
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	out := []identityJSON{}
	next := -1
	for i := start; i < len(s.st.UserIdentities) && !noCredentialManager; i++ {
		id := &s.st.UserIdentities[i]
		if _, given := c.p.vals["user_identity_ids"]; given && !slices.Contains(ids, id.UserIdentityID) {
			continue
		}
		if !before.IsZero() && !id.CreatedAt.Before(before) {
			continue
		}
		if search != "" && !slices.ContainsFunc([]string{id.FullName, id.PhoneNumber, id.EmailAddress, id.UserIdentityID},
			func(f string) bool { return strings.Contains(strings.ToLower(f), search) }) {
			continue
		}
		if len(out) == limit {
			next = i
			break
		}
		out = append(out, s.renderIdentity(id))
	}
	resp := ok("user_identities", out)
	resp["pagination"] = s.pagination(c, "user_identities", next)
	return resp, nil
}

func (s *Server) identitiesGet(c *call) (any, *apiError) {
	id := c.p.str("user_identity_id")
	key := c.p.str("user_identity_key")
	if id == "" && key == "" {
		c.p.invalid("user_identity_id", "Required")
	}
	if e := c.p.failure(); e != nil {
		return nil, e
	}
	if id != "" {
		x, e := s.findIdentity(id)
		if e != nil {
			return nil, e
		}
		return ok("user_identity", s.renderIdentity(x)), nil
	}
	for i := range s.st.UserIdentities {
		if x := &s.st.UserIdentities[i]; x.UserIdentityKey == key {
			return ok("user_identity", s.renderIdentity(x)), nil
		}
	}
	return nil, errorf(http.StatusNotFound, "user_identity_not_found", "User identity with key %q not found", key)
}
