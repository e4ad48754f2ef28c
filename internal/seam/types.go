package seam

import (
	"encoding/json"
	"strings"
	"time"
)

// System is an access control system (`acs_system`) as the client reads it.
// Decoding is lenient: Seam's servers omit fields the spec marks required, and
// unknown fields are ignored.
type System struct {
	ID                 string `json:"acs_system_id"`
	Name               string `json:"name"`
	WorkspaceID        string `json:"workspace_id,omitempty"`
	ConnectedAccountID string `json:"connected_account_id,omitempty"`
	SystemType         string `json:"system_type,omitempty"`
	CreatedAt          string `json:"created_at,omitempty"`
}

// AccessGroup is an access group (`acs_access_group`): a set of doors and
// schedules whose members may use them.
type AccessGroup struct {
	ID              string `json:"acs_access_group_id"`
	SystemID        string `json:"acs_system_id"`
	Name            string `json:"name"`
	DisplayName     string `json:"display_name,omitempty"`
	WorkspaceID     string `json:"workspace_id,omitempty"`
	AccessGroupType string `json:"access_group_type,omitempty"`
	// IsManaged is nil when the server omitted it; only managed groups can be
	// changed through the API.
	IsManaged *bool  `json:"is_managed,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	// PendingMutations are the changes of the group Seam has accepted but not
	// yet pushed to the access system; membership changes carry
	// MutationUpdatingUserMembership (From/To name the user) or
	// MutationDeferringUserMembershipUpdate (AcsUserID and Variant). Nil when
	// the server omitted it.
	PendingMutations []PendingMutation `json:"pending_mutations,omitempty"`
	// Errors and Warnings are the group's errors and warnings; nil when omitted.
	Errors   []Issue `json:"errors,omitempty"`
	Warnings []Issue `json:"warnings,omitempty"`
}

// Managed reports whether the group may be changed. A group whose response
// omitted is_managed is taken as managed: the spec lists only managed groups
// on the routes acs-bulk uses.
func (g AccessGroup) Managed() bool { return g.IsManaged == nil || *g.IsManaged }

// User is an ACS user (`acs_user`): a person as known to one access system.
type User struct {
	ID                       string `json:"acs_user_id"`
	SystemID                 string `json:"acs_system_id"`
	WorkspaceID              string `json:"workspace_id,omitempty"`
	FullName                 string `json:"full_name,omitempty"`
	DisplayName              string `json:"display_name,omitempty"`
	EmailAddress             string `json:"email_address,omitempty"`
	Email                    string `json:"email,omitempty"` // deprecated by Seam in favour of email_address
	PhoneNumber              string `json:"phone_number,omitempty"`
	UserIdentityID           string `json:"user_identity_id,omitempty"`
	UserIdentityEmailAddress string `json:"user_identity_email_address,omitempty"`
	UserIdentityPhoneNumber  string `json:"user_identity_phone_number,omitempty"`
	UserIdentityFullName     string `json:"user_identity_full_name,omitempty"`
	IsManaged                *bool  `json:"is_managed,omitempty"`
	IsSuspended              bool   `json:"is_suspended,omitempty"`
	// PendingMutations are the changes of the user Seam has accepted but not
	// yet pushed to the access system; membership changes carry
	// MutationUpdatingGroupMembership (From/To name the group) or
	// MutationDeferringGroupMembershipUpdate (AccessGroupID and Variant).
	// Nil when the server omitted it.
	PendingMutations []PendingMutation `json:"pending_mutations,omitempty"`
	CreatedAt        string            `json:"created_at,omitempty"`
	// Errors are the user's errors, e.g. ErrorFailedToUpdateOnAcsSystem when
	// the access system refused a change; nil when omitted.
	Errors []Issue `json:"errors,omitempty"`
	// Warnings are the user's warnings; nil when omitted.
	Warnings []Issue `json:"warnings,omitempty"`
}

// EmailAddr returns the user's own email address, preferring email_address
// over the deprecated email field.
func (u User) EmailAddr() string {
	if u.EmailAddress != "" {
		return u.EmailAddress
	}
	return u.Email
}

// Name returns the best human name the server gave for the user.
func (u User) Name() string {
	for _, s := range []string{u.FullName, u.UserIdentityFullName, u.DisplayName} {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// Pending mutation codes of membership changes, as Seam names them.
const (
	// MutationUpdatingGroupMembership is on an ACS user while a membership
	// change travels to the access system: From and To carry the group ids
	// (nil From for an add, nil To for a removal).
	MutationUpdatingGroupMembership = "updating_group_membership"
	// MutationDeferringGroupMembershipUpdate is on an ACS user whose
	// membership change is scheduled rather than pushed: AccessGroupID and
	// Variant say which group and which way.
	MutationDeferringGroupMembershipUpdate = "deferring_group_membership_update"
	// MutationUpdatingUserMembership is on an access group while a membership
	// change travels: From and To carry the user ids.
	MutationUpdatingUserMembership = "updating_user_membership"
	// MutationDeferringUserMembershipUpdate is on an access group whose
	// membership change is scheduled: AcsUserID and Variant say which user
	// and which way.
	MutationDeferringUserMembershipUpdate = "deferring_user_membership_update"
)

// Variants of a deferred membership change.
const (
	VariantAdding   = "adding"
	VariantRemoving = "removing"
)

// ErrorFailedToUpdateOnAcsSystem is the error code on an ACS user whose
// change the access system refused. Seam's error names no group: only its
// message and created_at tell which change it was.
const ErrorFailedToUpdateOnAcsSystem = "failed_to_update_on_acs_system"

// PendingMutation is one entry of an ACS user's or an access group's
// pending_mutations: a change Seam has accepted but not yet pushed to the
// access system. Decoding is lenient: a field of an unexpected type is left
// empty rather than failing the response, so codes and shapes Seam adds
// later decode as far as they can.
type PendingMutation struct {
	MutationCode string `json:"mutation_code"`
	Message      string `json:"message,omitempty"`
	CreatedAt    string `json:"created_at,omitempty"`
	// From and To are the two sides of an updating_* mutation.
	From *MutationSide `json:"from,omitempty"`
	To   *MutationSide `json:"to,omitempty"`
	// AccessGroupID is the group of a deferring_group_membership_update
	// (on a user).
	AccessGroupID string `json:"acs_access_group_id,omitempty"`
	// AcsUserID is the user of a deferring_user_membership_update (on a group).
	AcsUserID string `json:"acs_user_id,omitempty"`
	// Variant is VariantAdding or VariantRemoving for a deferring_* mutation.
	Variant string `json:"variant,omitempty"`
}

// MutationSide is the from/to of a membership mutation: AccessGroupID on a
// user's updating_group_membership, AcsUserID on a group's
// updating_user_membership. A nil id means "none" (an add has a nil from, a
// removal a nil to).
type MutationSide struct {
	AccessGroupID *string `json:"acs_access_group_id,omitempty"`
	AcsUserID     *string `json:"acs_user_id,omitempty"`
}

// UnmarshalJSON decodes a pending mutation leniently.
func (m *PendingMutation) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		*m = PendingMutation{} // not an object: an entry of an unknown shape
		return nil
	}
	var out PendingMutation
	lenient(raw["mutation_code"], &out.MutationCode)
	lenient(raw["message"], &out.Message)
	lenient(raw["created_at"], &out.CreatedAt)
	lenient(raw["acs_access_group_id"], &out.AccessGroupID)
	lenient(raw["acs_user_id"], &out.AcsUserID)
	lenient(raw["variant"], &out.Variant)
	out.From = side(raw["from"])
	out.To = side(raw["to"])
	*m = out
	return nil
}

// side decodes a from/to object; nil when absent or not an object.
func side(b json.RawMessage) *MutationSide {
	var raw map[string]json.RawMessage
	if len(b) == 0 || json.Unmarshal(b, &raw) != nil || raw == nil {
		return nil
	}
	var s MutationSide
	lenient(raw["acs_access_group_id"], &s.AccessGroupID)
	lenient(raw["acs_user_id"], &s.AcsUserID)
	return &s
}

// lenient decodes b into v when it can and leaves v unchanged otherwise.
func lenient[T any](b json.RawMessage, v *T) {
	if len(b) == 0 {
		return
	}
	var x T
	if json.Unmarshal(b, &x) == nil {
		*v = x
	}
}

// IsMembership reports whether the mutation is a membership change.
func (m PendingMutation) IsMembership() bool {
	switch m.MutationCode {
	case MutationUpdatingGroupMembership, MutationDeferringGroupMembershipUpdate,
		MutationUpdatingUserMembership, MutationDeferringUserMembershipUpdate:
		return true
	}
	return false
}

// AboutGroup reports whether a user's mutation is a membership change of
// access group groupID (updating_group_membership from or to it, or
// deferring_group_membership_update of it).
func (m PendingMutation) AboutGroup(groupID string) bool {
	switch m.MutationCode {
	case MutationUpdatingGroupMembership:
		return sideIs(m.From, groupID, true) || sideIs(m.To, groupID, true)
	case MutationDeferringGroupMembershipUpdate:
		return m.AccessGroupID == groupID
	}
	return false
}

// AboutUser reports whether a group's mutation is a membership change of ACS
// user userID (updating_user_membership from or to them, or
// deferring_user_membership_update of them).
func (m PendingMutation) AboutUser(userID string) bool {
	switch m.MutationCode {
	case MutationUpdatingUserMembership:
		return sideIs(m.From, userID, false) || sideIs(m.To, userID, false)
	case MutationDeferringUserMembershipUpdate:
		return m.AcsUserID == userID
	}
	return false
}

func sideIs(s *MutationSide, id string, group bool) bool {
	if s == nil {
		return false
	}
	p := s.AcsUserID
	if group {
		p = s.AccessGroupID
	}
	return p != nil && *p == id
}

// Adding reports whether a membership mutation adds the member (a nil From
// with a set To, or the variant "adding"); false for a removal.
func (m PendingMutation) Adding() bool {
	if m.Variant != "" {
		return m.Variant == VariantAdding
	}
	from := m.From != nil && (m.From.AccessGroupID != nil || m.From.AcsUserID != nil)
	to := m.To != nil && (m.To.AccessGroupID != nil || m.To.AcsUserID != nil)
	return to && !from
}

// Created returns CreatedAt as a time; ok is false when it is absent or not
// an RFC 3339 time.
func (m PendingMutation) Created() (t time.Time, ok bool) { return parseTime(m.CreatedAt) }

// Issue is one entry of an object's errors (ErrorCode set) or warnings
// (WarningCode set). Decoding is lenient like PendingMutation's.
type Issue struct {
	ErrorCode   string `json:"error_code,omitempty"`
	WarningCode string `json:"warning_code,omitempty"`
	Message     string `json:"message,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
}

// UnmarshalJSON decodes an error or warning leniently.
func (i *Issue) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		*i = Issue{}
		return nil
	}
	var out Issue
	lenient(raw["error_code"], &out.ErrorCode)
	lenient(raw["warning_code"], &out.WarningCode)
	lenient(raw["message"], &out.Message)
	lenient(raw["created_at"], &out.CreatedAt)
	*i = out
	return nil
}

// Created returns CreatedAt as a time; ok is false when it is absent or not
// an RFC 3339 time.
func (i Issue) Created() (t time.Time, ok bool) { return parseTime(i.CreatedAt) }

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// ErrorsWithCode returns the user's errors with the given code.
func (u User) ErrorsWithCode(code string) []Issue {
	var out []Issue
	for _, e := range u.Errors {
		if e.ErrorCode == code {
			out = append(out, e)
		}
	}
	return out
}

// GroupMutations returns the user's pending membership mutations about
// access group groupID, in the server's order.
func (u User) GroupMutations(groupID string) []PendingMutation {
	var out []PendingMutation
	for _, m := range u.PendingMutations {
		if m.AboutGroup(groupID) {
			out = append(out, m)
		}
	}
	return out
}

// UserMutations returns the group's pending membership mutations about ACS
// user userID, in the server's order.
func (g AccessGroup) UserMutations(userID string) []PendingMutation {
	var out []PendingMutation
	for _, m := range g.PendingMutations {
		if m.AboutUser(userID) {
			out = append(out, m)
		}
	}
	return out
}

// UserIdentity is a Seam user identity: a person across access systems, who
// may have one ACS user in each system.
type UserIdentity struct {
	ID           string   `json:"user_identity_id"`
	Key          string   `json:"user_identity_key,omitempty"`
	EmailAddress string   `json:"email_address,omitempty"`
	PhoneNumber  string   `json:"phone_number,omitempty"`
	FullName     string   `json:"full_name,omitempty"`
	DisplayName  string   `json:"display_name,omitempty"`
	AcsUserIDs   []string `json:"acs_user_ids,omitempty"`
	WorkspaceID  string   `json:"workspace_id,omitempty"`
	CreatedAt    string   `json:"created_at,omitempty"`
}
