package seam

import "strings"

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
}

// Managed reports whether the group may be changed. A group whose response
// omitted is_managed is taken as managed: the spec lists only managed groups
// on the routes acs-bulk uses.
func (g AccessGroup) Managed() bool { return g.IsManaged == nil || *g.IsManaged }

// User is an ACS user (`acs_user`): a person as known to one access system.
type User struct {
	ID                       string            `json:"acs_user_id"`
	SystemID                 string            `json:"acs_system_id"`
	WorkspaceID              string            `json:"workspace_id,omitempty"`
	FullName                 string            `json:"full_name,omitempty"`
	DisplayName              string            `json:"display_name,omitempty"`
	EmailAddress             string            `json:"email_address,omitempty"`
	Email                    string            `json:"email,omitempty"` // deprecated by Seam in favour of email_address
	PhoneNumber              string            `json:"phone_number,omitempty"`
	UserIdentityID           string            `json:"user_identity_id,omitempty"`
	UserIdentityEmailAddress string            `json:"user_identity_email_address,omitempty"`
	UserIdentityPhoneNumber  string            `json:"user_identity_phone_number,omitempty"`
	UserIdentityFullName     string            `json:"user_identity_full_name,omitempty"`
	IsManaged                *bool             `json:"is_managed,omitempty"`
	IsSuspended              bool              `json:"is_suspended,omitempty"`
	PendingMutations         []PendingMutation `json:"pending_mutations,omitempty"`
	CreatedAt                string            `json:"created_at,omitempty"`
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

// MutationUpdatingGroupMembership is the pending mutation code Seam sets while
// a membership change travels to the physical access system.
const MutationUpdatingGroupMembership = "updating_group_membership"

// PendingMutation is one entry of an ACS user's pending_mutations: a change
// Seam has accepted but not yet pushed to the access system.
type PendingMutation struct {
	MutationCode string        `json:"mutation_code"`
	Message      string        `json:"message,omitempty"`
	CreatedAt    string        `json:"created_at,omitempty"`
	From         *MutationSide `json:"from,omitempty"`
	To           *MutationSide `json:"to,omitempty"`
}

// MutationSide is the from/to of a membership mutation; a nil group id means
// "no group" (an add has a nil from, a remove a nil to).
type MutationSide struct {
	AccessGroupID *string `json:"acs_access_group_id"`
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
