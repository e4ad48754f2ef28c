package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
)

// State is the sandbox's world: one workspace with its credentials, access
// systems, access groups, ACS users, user identities and group memberships.
// Objects and fields carry Seam's own names, so a state file reads like the
// API's responses, and objects pasted from responses load: a file may give
// any field Seam's schema gives the object (see ParseState). Only ids and
// names are needed; ParseState fills every other field with a realistic
// default.
type State struct {
	// WorkspaceID is the workspace every object belongs to. A personal access
	// token must name it in the Seam-Workspace header.
	WorkspaceID string `json:"workspace_id"`
	// APIKeys are the accepted API keys (`seam_...`). New generates one when
	// the list is empty.
	APIKeys []string `json:"api_keys"`
	// PersonalAccessTokens are the accepted personal access tokens (`seam_at...`).
	PersonalAccessTokens []string `json:"personal_access_tokens,omitempty"`
	// AcsSystems are the access control systems (sites).
	AcsSystems []AcsSystem `json:"acs_systems"`
	// AcsAccessGroups are the access groups of all systems.
	AcsAccessGroups []AcsAccessGroup `json:"acs_access_groups"`
	// AcsUsers are the ACS users of all systems, in creation order (the order
	// of /acs/users/list).
	AcsUsers []AcsUser `json:"acs_users"`
	// UserIdentities are the workspace's user identities.
	UserIdentities []UserIdentity `json:"user_identities"`
	// Memberships say which ACS user is in which access group.
	Memberships []Membership `json:"memberships"`
}

// AcsSystem is an access control system as stored in a state file.
type AcsSystem struct {
	// AcsSystemID is the system's id (any non-empty string; production ids are UUIDs).
	AcsSystemID string `json:"acs_system_id"`
	// Name is the site's name, e.g. "Harbor Tower".
	Name string `json:"name"`
	// ExternalType is Seam's system type (an enum of the spec); default "brivo_account".
	ExternalType string `json:"external_type,omitempty"`
	// ConnectedAccountID is the connected account the system came from; default derived from the id.
	ConnectedAccountID string `json:"connected_account_id,omitempty"`
	// Location holds the system's time zone.
	Location *Location `json:"location,omitempty"`
	// CreatedAt is when the system was connected; default 2025-01-06T09:00:00Z.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Location is an access system's location; TimeZone is an IANA name or nil.
type Location struct {
	// TimeZone is an IANA time zone name, e.g. "America/New_York".
	TimeZone *string `json:"time_zone"`
}

// AcsAccessGroup is an access group as stored in a state file.
type AcsAccessGroup struct {
	// AcsAccessGroupID is the group's id.
	AcsAccessGroupID string `json:"acs_access_group_id"`
	// AcsSystemID names the system the group belongs to.
	AcsSystemID string `json:"acs_system_id"`
	// Name is the group's name; names need not be unique.
	Name string `json:"name"`
	// DisplayName defaults to Name.
	DisplayName string `json:"display_name,omitempty"`
	// AccessGroupType is Seam's group type (an enum of the spec); default
	// derived from the system's external_type.
	AccessGroupType string `json:"access_group_type,omitempty"`
	// IsManaged is false for a group Seam cannot change; nil (default) means true.
	IsManaged *bool `json:"is_managed,omitempty"`
	// CreatedAt defaults to the system's created_at.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// AccessSchedule is the group's access window (optional; shown when set).
	AccessSchedule *AccessSchedule `json:"access_schedule,omitempty"`
}

// AccessSchedule is the window in which an ACS user's or a group's access
// holds.
type AccessSchedule struct {
	// StartsAt is when access starts.
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when access ends; nil means never.
	EndsAt *time.Time `json:"ends_at"`
}

func (a *AccessSchedule) clone() *AccessSchedule {
	if a == nil {
		return nil
	}
	c := *a
	if a.EndsAt != nil {
		c.EndsAt = new(*a.EndsAt)
	}
	return &c
}

// Managed reports whether the group can be changed through the API.
func (g AcsAccessGroup) Managed() bool { return g.IsManaged == nil || *g.IsManaged }

// AcsUser is an ACS user as stored in a state file.
type AcsUser struct {
	// AcsUserID is the user's id.
	AcsUserID string `json:"acs_user_id"`
	// AcsSystemID names the system the user belongs to.
	AcsSystemID string `json:"acs_system_id"`
	// FullName is the person's name (optional).
	FullName string `json:"full_name,omitempty"`
	// EmailAddress is the person's email address (optional).
	EmailAddress string `json:"email_address,omitempty"`
	// PhoneNumber is the person's phone number in E.164 form (optional).
	PhoneNumber string `json:"phone_number,omitempty"`
	// UserIdentityID links the user to a user identity (optional).
	UserIdentityID string `json:"user_identity_id,omitempty"`
	// IsSuspended marks a suspended user.
	IsSuspended bool `json:"is_suspended,omitempty"`
	// CreatedAt defaults to the system's created_at plus the user's position in seconds.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// AccessSchedule is the user's access window; nil shows one that starts
	// at CreatedAt and never ends.
	AccessSchedule *AccessSchedule `json:"access_schedule,omitempty"`
}

// UserIdentity is a user identity as stored in a state file.
type UserIdentity struct {
	// UserIdentityID is the identity's id.
	UserIdentityID string `json:"user_identity_id"`
	// UserIdentityKey is the caller's own key for the identity (optional).
	UserIdentityKey string `json:"user_identity_key,omitempty"`
	// FullName is the person's name (optional).
	FullName string `json:"full_name,omitempty"`
	// EmailAddress is the person's email address (optional).
	EmailAddress string `json:"email_address,omitempty"`
	// PhoneNumber is the person's phone number (optional).
	PhoneNumber string `json:"phone_number,omitempty"`
	// AcsUserIDs are the ACS users linked to the identity. On load they link
	// those users (as acs_users[].user_identity_id does); on save they are
	// derived from the users.
	AcsUserIDs []string `json:"acs_user_ids,omitempty"`
	// CreatedAt defaults to 2025-01-06T09:00:00Z plus the identity's position in seconds.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Membership says that an ACS user is a member of an access group.
type Membership struct {
	// AcsAccessGroupID is the group.
	AcsAccessGroupID string `json:"acs_access_group_id"`
	// AcsUserID is the member.
	AcsUserID string `json:"acs_user_id"`
}

// defaultEpoch is the creation time given to objects a state file leaves undated.
var defaultEpoch = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// systemTypes maps an acs_system external_type to the matching group and user types.
var systemTypes = map[string]struct{ system, group, groupName, user, userName string }{
	"avigilon_alta_org":        {"Avigilon Alta Organization", "avigilon_alta_group", "Avigilon Alta Group", "avigilon_alta_user", "Avigilon Alta User"},
	"kisi_organization":        {"Kisi Organization", "kisi_access_group", "Kisi Access Group", "kisi_user", "Kisi User"},
	"brivo_account":            {"Brivo Account", "brivo_group", "Brivo Group", "brivo_user", "Brivo User"},
	"salto_ks_site":            {"Salto KS Site", "salto_ks_access_group", "Salto KS Access Group", "salto_site_user", "Salto Site User"},
	"salto_space_system":       {"Salto Space System", "salto_space_group", "Salto Space Group", "salto_space_user", "Salto Space User"},
	"pti_site":                 {"PTI Site", "pti_access_level", "PTI Access Level", "pti_user", "PTI User"},
	"dormakaba_community_site": {"dormakaba Community Site", "dormakaba_community_access_group", "dormakaba Community Access Group", "dormakaba_community_user", "dormakaba Community User"},
}

// groupTypeNames gives the display name of every access_group_type the spec allows.
var groupTypeNames = map[string]string{
	"pti_unit":                         "PTI Unit",
	"pti_access_level":                 "PTI Access Level",
	"salto_ks_access_group":            "Salto KS Access Group",
	"brivo_group":                      "Brivo Group",
	"salto_space_group":                "Salto Space Group",
	"dormakaba_community_access_group": "dormakaba Community Access Group",
	"dormakaba_ambiance_access_group":  "dormakaba Ambiance Access Group",
	"avigilon_alta_group":              "Avigilon Alta Group",
	"kisi_access_group":                "Kisi Access Group",
}

// LoadState reads and checks a state file. Errors name the file and the bad field.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return st, nil
}

// ParseState decodes a state document, fills defaults and checks it: every
// reference must name an existing object and ids must be unique.
//
// An object may carry any field Seam's schema gives it, so that objects
// pasted from API responses load: fields the sandbox keeps are stored;
// deprecated names (email, system_type, a group's external_type) fill the
// field they stand for and must agree with it; fields the sandbox derives
// (workspace_id, connected_account_id, a user's external_type, is_managed
// and user_identity_* fields) must agree with what it derives; display
// names, counts, errors, warnings, pending mutations and vendor metadata are
// ignored. A name in no schema of its object is refused as an
// *UnknownFieldError, with its line and column and the closest name.
func ParseState(data []byte) (*State, error) {
	if err := checkFieldNames(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, describeJSONError(data, err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the state object")
	}
	var d derivedState
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, describeJSONError(data, err)
	}
	if err := st.adopt(&d); err != nil {
		return nil, err
	}
	if err := st.normalize(); err != nil {
		return nil, err
	}
	if err := st.checkDerived(&d); err != nil {
		return nil, err
	}
	return &st, nil
}

// describeJSONError adds the line and column to a decoding error.
func describeJSONError(data []byte, err error) error {
	var terr *time.ParseError
	if errors.As(err, &terr) {
		// Only created_at fields hold times; encoding/json gives no position.
		return fmt.Errorf("decode json: a created_at is not an RFC 3339 time: %w", err)
	}
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("decode json: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d column %d: decode json: %w", line, col, err)
}

// normalize fills defaults, links identities and users, and checks references.
func (st *State) normalize() error {
	if st.APIKeys == nil {
		st.APIKeys = []string{}
	}
	for i, k := range st.APIKeys {
		if !strings.HasPrefix(k, "seam_") || strings.HasPrefix(k, "seam_at") {
			return fmt.Errorf("api_keys[%d]: an API key must start with \"seam_\" but not \"seam_at\"", i)
		}
	}
	for i, k := range st.PersonalAccessTokens {
		if !strings.HasPrefix(k, "seam_at") {
			return fmt.Errorf("personal_access_tokens[%d]: a personal access token must start with \"seam_at\"", i)
		}
	}
	if st.AcsSystems == nil {
		st.AcsSystems = []AcsSystem{}
	}
	if st.AcsAccessGroups == nil {
		st.AcsAccessGroups = []AcsAccessGroup{}
	}
	if st.AcsUsers == nil {
		st.AcsUsers = []AcsUser{}
	}
	if st.UserIdentities == nil {
		st.UserIdentities = []UserIdentity{}
	}
	if st.Memberships == nil {
		st.Memberships = []Membership{}
	}

	systems := map[string]int{}
	for i := range st.AcsSystems {
		s := &st.AcsSystems[i]
		where := fmt.Sprintf("acs_systems[%d]", i)
		if s.AcsSystemID == "" {
			return fmt.Errorf("%s: acs_system_id is empty", where)
		}
		if _, dup := systems[s.AcsSystemID]; dup {
			return fmt.Errorf("%s: duplicate acs_system_id %q", where, s.AcsSystemID)
		}
		systems[s.AcsSystemID] = i
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("%s: name is empty", where)
		}
		if s.ExternalType == "" {
			s.ExternalType = "brivo_account"
		}
		if _, ok := systemTypes[s.ExternalType]; !ok {
			return fmt.Errorf("%s: external_type %q is not one of %s", where, s.ExternalType, strings.Join(sortedKeys(systemTypes), ", "))
		}
		if s.ConnectedAccountID == "" {
			s.ConnectedAccountID = derivedID("connected_account", s.AcsSystemID)
		}
		if s.Location == nil {
			s.Location = &Location{}
		}
		if s.CreatedAt.IsZero() {
			s.CreatedAt = defaultEpoch
		}
	}

	groups := map[string]int{}
	for i := range st.AcsAccessGroups {
		g := &st.AcsAccessGroups[i]
		where := fmt.Sprintf("acs_access_groups[%d]", i)
		if g.AcsAccessGroupID == "" {
			return fmt.Errorf("%s: acs_access_group_id is empty", where)
		}
		if _, dup := groups[g.AcsAccessGroupID]; dup {
			return fmt.Errorf("%s: duplicate acs_access_group_id %q", where, g.AcsAccessGroupID)
		}
		groups[g.AcsAccessGroupID] = i
		si, ok := systems[g.AcsSystemID]
		if !ok {
			return fmt.Errorf("%s: acs_system_id %q names no system", where, g.AcsSystemID)
		}
		if strings.TrimSpace(g.Name) == "" {
			return fmt.Errorf("%s: name is empty", where)
		}
		if g.DisplayName == "" {
			g.DisplayName = g.Name
		}
		if g.AccessGroupType == "" {
			g.AccessGroupType = systemTypes[st.AcsSystems[si].ExternalType].group
		}
		if _, ok := groupTypeNames[g.AccessGroupType]; !ok {
			return fmt.Errorf("%s: access_group_type %q is not one of %s", where, g.AccessGroupType, strings.Join(sortedKeys(groupTypeNames), ", "))
		}
		if g.IsManaged == nil {
			g.IsManaged = new(true)
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = st.AcsSystems[si].CreatedAt
		}
	}

	identities := map[string]int{}
	for i := range st.UserIdentities {
		u := &st.UserIdentities[i]
		where := fmt.Sprintf("user_identities[%d]", i)
		if u.UserIdentityID == "" {
			return fmt.Errorf("%s: user_identity_id is empty", where)
		}
		if _, dup := identities[u.UserIdentityID]; dup {
			return fmt.Errorf("%s: duplicate user_identity_id %q", where, u.UserIdentityID)
		}
		identities[u.UserIdentityID] = i
		if u.EmailAddress != "" && !validEmail(u.EmailAddress) {
			return fmt.Errorf("%s: email_address %q is not an email address", where, u.EmailAddress)
		}
		if u.CreatedAt.IsZero() {
			u.CreatedAt = defaultEpoch.Add(time.Duration(i) * time.Second)
		}
	}

	users := map[string]int{}
	for i := range st.AcsUsers {
		u := &st.AcsUsers[i]
		where := fmt.Sprintf("acs_users[%d]", i)
		if u.AcsUserID == "" {
			return fmt.Errorf("%s: acs_user_id is empty", where)
		}
		if _, dup := users[u.AcsUserID]; dup {
			return fmt.Errorf("%s: duplicate acs_user_id %q", where, u.AcsUserID)
		}
		users[u.AcsUserID] = i
		si, ok := systems[u.AcsSystemID]
		if !ok {
			return fmt.Errorf("%s: acs_system_id %q names no system", where, u.AcsSystemID)
		}
		if u.EmailAddress != "" && !validEmail(u.EmailAddress) {
			return fmt.Errorf("%s: email_address %q is not an email address", where, u.EmailAddress)
		}
		if u.UserIdentityID != "" {
			if _, ok := identities[u.UserIdentityID]; !ok {
				return fmt.Errorf("%s: user_identity_id %q names no user identity", where, u.UserIdentityID)
			}
		}
		if u.CreatedAt.IsZero() {
			u.CreatedAt = st.AcsSystems[si].CreatedAt.Add(time.Duration(i) * time.Second)
		}
	}

	// acs_user_ids of an identity link those users too.
	for i := range st.UserIdentities {
		id := &st.UserIdentities[i]
		for j, uid := range id.AcsUserIDs {
			ui, ok := users[uid]
			if !ok {
				return fmt.Errorf("user_identities[%d]: acs_user_ids[%d]: %q names no acs user", i, j, uid)
			}
			u := &st.AcsUsers[ui]
			switch u.UserIdentityID {
			case "":
				u.UserIdentityID = id.UserIdentityID
			case id.UserIdentityID:
			default:
				return fmt.Errorf("user_identities[%d]: acs_user_ids[%d]: acs user %q is linked to user identity %q", i, j, uid, u.UserIdentityID)
			}
		}
	}
	// An identity has at most one ACS user per system.
	type key struct{ identity, system string }
	seen := map[key]string{}
	for i, u := range st.AcsUsers {
		if u.UserIdentityID == "" {
			continue
		}
		k := key{u.UserIdentityID, u.AcsSystemID}
		if other, dup := seen[k]; dup {
			return fmt.Errorf("acs_users[%d]: user identity %q already has acs user %q in system %q", i, u.UserIdentityID, other, u.AcsSystemID)
		}
		seen[k] = u.AcsUserID
	}
	st.deriveIdentityUsers()

	type mkey struct{ group, user string }
	members := map[mkey]bool{}
	for i, m := range st.Memberships {
		where := fmt.Sprintf("memberships[%d]", i)
		gi, ok := groups[m.AcsAccessGroupID]
		if !ok {
			return fmt.Errorf("%s: acs_access_group_id %q names no access group", where, m.AcsAccessGroupID)
		}
		ui, ok := users[m.AcsUserID]
		if !ok {
			return fmt.Errorf("%s: acs_user_id %q names no acs user", where, m.AcsUserID)
		}
		if gs, us := st.AcsAccessGroups[gi].AcsSystemID, st.AcsUsers[ui].AcsSystemID; gs != us {
			return fmt.Errorf("%s: acs user %q is in system %q but access group %q is in system %q", where, m.AcsUserID, us, m.AcsAccessGroupID, gs)
		}
		k := mkey{m.AcsAccessGroupID, m.AcsUserID}
		if members[k] {
			return fmt.Errorf("%s: duplicate membership of acs user %q in access group %q", where, m.AcsUserID, m.AcsAccessGroupID)
		}
		members[k] = true
	}
	return nil
}

// deriveIdentityUsers sets every identity's acs_user_ids from the users' links.
func (st *State) deriveIdentityUsers() {
	byIdentity := map[string][]string{}
	for _, u := range st.AcsUsers {
		if u.UserIdentityID != "" {
			byIdentity[u.UserIdentityID] = append(byIdentity[u.UserIdentityID], u.AcsUserID)
		}
	}
	for i := range st.UserIdentities {
		st.UserIdentities[i].AcsUserIDs = byIdentity[st.UserIdentities[i].UserIdentityID]
	}
}

// Marshal encodes the state as Save writes it: indented JSON ending in a newline.
func (st *State) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(b, '\n'), nil
}

// Save writes the state to path atomically: a temporary file in the same
// directory (mode 0600, it holds API keys), then a rename.
func (st *State) Save(path string) error {
	b, err := st.Marshal()
	if err != nil {
		return fmt.Errorf("save state %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// clone returns a deep copy of the state.
func (st *State) clone() *State {
	c := *st
	c.APIKeys = slices.Clone(st.APIKeys)
	c.PersonalAccessTokens = slices.Clone(st.PersonalAccessTokens)
	c.AcsSystems = slices.Clone(st.AcsSystems)
	for i, s := range c.AcsSystems {
		if s.Location != nil {
			l := *s.Location
			if l.TimeZone != nil {
				l.TimeZone = new(*l.TimeZone)
			}
			c.AcsSystems[i].Location = &l
		}
	}
	c.AcsAccessGroups = slices.Clone(st.AcsAccessGroups)
	for i, g := range c.AcsAccessGroups {
		if g.IsManaged != nil {
			c.AcsAccessGroups[i].IsManaged = new(*g.IsManaged)
		}
		c.AcsAccessGroups[i].AccessSchedule = g.AccessSchedule.clone()
	}
	c.AcsUsers = slices.Clone(st.AcsUsers)
	for i, u := range c.AcsUsers {
		c.AcsUsers[i].AccessSchedule = u.AccessSchedule.clone()
	}
	c.UserIdentities = slices.Clone(st.UserIdentities)
	for i, u := range c.UserIdentities {
		c.UserIdentities[i].AcsUserIDs = slices.Clone(u.AcsUserIDs)
	}
	c.Memberships = slices.Clone(st.Memberships)
	return &c
}

// validEmail is a loose check: something, one @, a dotted domain, no spaces.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || strings.ContainsAny(s, " \t\r\n<>\",") {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
