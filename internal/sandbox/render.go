package sandbox

import (
	"time"
)

// The types below are the wire forms of Seam's objects, with every field the
// OpenAPI schemas require. They are built under the server's lock and
// encoded after it is released.

type systemJSON struct {
	AcsSystemID                         string       `json:"acs_system_id"`
	Name                                string       `json:"name"`
	WorkspaceID                         string       `json:"workspace_id"`
	ConnectedAccountID                  string       `json:"connected_account_id"`
	ConnectedAccountIDs                 []string     `json:"connected_account_ids"`
	CreatedAt                           string       `json:"created_at"`
	IsCredentialManager                 bool         `json:"is_credential_manager"`
	Location                            locationJSON `json:"location"`
	ImageURL                            string       `json:"image_url"`
	ImageAltText                        string       `json:"image_alt_text"`
	ExternalType                        string       `json:"external_type"`
	ExternalTypeDisplayName             string       `json:"external_type_display_name"`
	SystemType                          string       `json:"system_type"`
	SystemTypeDisplayName               string       `json:"system_type_display_name"`
	AcsUserCount                        int          `json:"acs_user_count"`
	AcsAccessGroupCount                 int          `json:"acs_access_group_count"`
	DefaultCredentialManagerAcsSystemID *string      `json:"default_credential_manager_acs_system_id"`
	Errors                              []any        `json:"errors"`
	Warnings                            []any        `json:"warnings"`
}

type locationJSON struct {
	TimeZone *string `json:"time_zone"`
}

type groupJSON struct {
	AcsAccessGroupID           string              `json:"acs_access_group_id"`
	AcsSystemID                string              `json:"acs_system_id"`
	WorkspaceID                string              `json:"workspace_id"`
	ConnectedAccountID         string              `json:"connected_account_id"`
	Name                       string              `json:"name"`
	DisplayName                string              `json:"display_name"`
	AccessGroupType            string              `json:"access_group_type"`
	AccessGroupTypeDisplayName string              `json:"access_group_type_display_name"`
	ExternalType               string              `json:"external_type"`
	ExternalTypeDisplayName    string              `json:"external_type_display_name"`
	IsManaged                  bool                `json:"is_managed"`
	CreatedAt                  string              `json:"created_at"`
	AccessSchedule             *scheduleJSON       `json:"access_schedule,omitempty"`
	Errors                     []issueJSON         `json:"errors"`
	Warnings                   []any               `json:"warnings"`
	PendingMutations           []groupMutationJSON `json:"pending_mutations"`
}

type userJSON struct {
	AcsUserID                string         `json:"acs_user_id"`
	AcsSystemID              string         `json:"acs_system_id"`
	WorkspaceID              string         `json:"workspace_id"`
	ConnectedAccountID       string         `json:"connected_account_id"`
	CreatedAt                string         `json:"created_at"`
	DisplayName              string         `json:"display_name"`
	FullName                 string         `json:"full_name,omitempty"`
	EmailAddress             string         `json:"email_address,omitempty"`
	Email                    string         `json:"email,omitempty"`
	PhoneNumber              string         `json:"phone_number,omitempty"`
	UserIdentityID           string         `json:"user_identity_id,omitempty"`
	UserIdentityEmailAddress *string        `json:"user_identity_email_address,omitempty"`
	UserIdentityFullName     *string        `json:"user_identity_full_name,omitempty"`
	UserIdentityPhoneNumber  *string        `json:"user_identity_phone_number,omitempty"`
	ExternalType             string         `json:"external_type"`
	ExternalTypeDisplayName  string         `json:"external_type_display_name"`
	IsManaged                bool           `json:"is_managed"`
	IsSuspended              bool           `json:"is_suspended"`
	AccessSchedule           scheduleJSON   `json:"access_schedule"`
	LastSuccessfulSyncAt     *string        `json:"last_successful_sync_at"`
	PendingMutations         []mutationJSON `json:"pending_mutations"`
	Warnings                 []any          `json:"warnings"`
	Errors                   []issueJSON    `json:"errors"`
}

type scheduleJSON struct {
	StartsAt string  `json:"starts_at"`
	EndsAt   *string `json:"ends_at"`
}

// mutationJSON is an entry of an ACS user's pending_mutations.
type mutationJSON struct {
	MutationCode     string    `json:"mutation_code"`
	Message          string    `json:"message"`
	CreatedAt        string    `json:"created_at"`
	From             *sideJSON `json:"from,omitempty"`
	To               *sideJSON `json:"to,omitempty"`
	AcsAccessGroupID string    `json:"acs_access_group_id,omitempty"` // deferring_group_membership_update
	Variant          string    `json:"variant,omitempty"`             // adding or removing
}

type sideJSON struct {
	AcsAccessGroupID *string `json:"acs_access_group_id"`
}

// groupMutationJSON is an entry of an access group's pending_mutations.
type groupMutationJSON struct {
	MutationCode string        `json:"mutation_code"`
	Message      string        `json:"message"`
	CreatedAt    string        `json:"created_at"`
	From         *userSideJSON `json:"from,omitempty"`
	To           *userSideJSON `json:"to,omitempty"`
	AcsUserID    string        `json:"acs_user_id,omitempty"` // deferring_user_membership_update
	Variant      string        `json:"variant,omitempty"`     // adding or removing
}

type userSideJSON struct {
	AcsUserID *string `json:"acs_user_id"`
}

// issueJSON is an entry of an object's errors.
type issueJSON struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
	CreatedAt string `json:"created_at"`
}

type identityJSON struct {
	UserIdentityID  string   `json:"user_identity_id"`
	UserIdentityKey *string  `json:"user_identity_key"`
	EmailAddress    *string  `json:"email_address"`
	PhoneNumber     *string  `json:"phone_number"`
	DisplayName     string   `json:"display_name"`
	FullName        *string  `json:"full_name"`
	CreatedAt       string   `json:"created_at"`
	WorkspaceID     string   `json:"workspace_id"`
	AcsUserIDs      []string `json:"acs_user_ids"`
	Errors          []any    `json:"errors"`
	Warnings        []any    `json:"warnings"`
}

type paginationJSON struct {
	HasNextPage    bool    `json:"has_next_page"`
	NextPageCursor *string `json:"next_page_cursor"`
	NextPageURL    *string `json:"next_page_url"`
}

// timestamp formats a time as Seam does: UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// orNull returns nil for an empty string.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) renderSystem(x *AcsSystem) systemJSON {
	t := systemTypes[x.ExternalType]
	users, groups := 0, 0
	for _, u := range s.st.AcsUsers {
		if u.AcsSystemID == x.AcsSystemID {
			users++
		}
	}
	for _, g := range s.st.AcsAccessGroups {
		if g.AcsSystemID == x.AcsSystemID {
			groups++
		}
	}
	var tz *string
	if x.Location != nil && x.Location.TimeZone != nil {
		tz = new(*x.Location.TimeZone)
	}
	return systemJSON{
		AcsSystemID:             x.AcsSystemID,
		Name:                    x.Name,
		WorkspaceID:             s.st.WorkspaceID,
		ConnectedAccountID:      x.ConnectedAccountID,
		ConnectedAccountIDs:     []string{x.ConnectedAccountID},
		CreatedAt:               timestamp(x.CreatedAt),
		Location:                locationJSON{TimeZone: tz},
		ImageURL:                "https://connect.getseam.com/assets/images/acs_systems/" + x.ExternalType + ".png",
		ImageAltText:            t.system + " logo",
		ExternalType:            x.ExternalType,
		ExternalTypeDisplayName: t.system,
		SystemType:              x.ExternalType,
		SystemTypeDisplayName:   t.system,
		AcsUserCount:            users,
		AcsAccessGroupCount:     groups,
		Errors:                  []any{},
		Warnings:                []any{},
	}
}

func (s *Server) renderGroup(g *AcsAccessGroup) groupJSON {
	sys := &s.st.AcsSystems[s.systems[g.AcsSystemID]]
	name := groupTypeNames[g.AccessGroupType]
	return groupJSON{
		AcsAccessGroupID:           g.AcsAccessGroupID,
		AcsSystemID:                g.AcsSystemID,
		WorkspaceID:                s.st.WorkspaceID,
		ConnectedAccountID:         sys.ConnectedAccountID,
		Name:                       g.Name,
		DisplayName:                g.DisplayName,
		AccessGroupType:            g.AccessGroupType,
		AccessGroupTypeDisplayName: name,
		ExternalType:               g.AccessGroupType,
		ExternalTypeDisplayName:    name,
		IsManaged:                  g.Managed(),
		CreatedAt:                  timestamp(g.CreatedAt),
		AccessSchedule:             renderSchedule(g.AccessSchedule, nil),
		Errors:                     []issueJSON{},
		Warnings:                   []any{},
		PendingMutations:           s.groupMutations(g.AcsAccessGroupID),
	}
}

// renderSchedule renders a stored access schedule; nil gives def.
func renderSchedule(a *AccessSchedule, def *scheduleJSON) *scheduleJSON {
	if a == nil {
		return def
	}
	out := &scheduleJSON{StartsAt: timestamp(a.StartsAt)}
	if a.EndsAt != nil {
		out.EndsAt = new(timestamp(*a.EndsAt))
	}
	return out
}

func (s *Server) renderUser(u *AcsUser, now time.Time) userJSON {
	sys := &s.st.AcsSystems[s.systems[u.AcsSystemID]]
	t := systemTypes[sys.ExternalType]
	display := u.FullName
	for _, alt := range []string{u.EmailAddress, u.PhoneNumber, u.AcsUserID} {
		if display == "" {
			display = alt
		}
	}
	created := timestamp(u.CreatedAt)
	out := userJSON{
		AcsUserID:               u.AcsUserID,
		AcsSystemID:             u.AcsSystemID,
		WorkspaceID:             s.st.WorkspaceID,
		ConnectedAccountID:      sys.ConnectedAccountID,
		CreatedAt:               created,
		DisplayName:             display,
		FullName:                u.FullName,
		EmailAddress:            u.EmailAddress,
		Email:                   u.EmailAddress,
		PhoneNumber:             u.PhoneNumber,
		UserIdentityID:          u.UserIdentityID,
		ExternalType:            t.user,
		ExternalTypeDisplayName: t.userName,
		IsManaged:               true,
		IsSuspended:             u.IsSuspended,
		AccessSchedule:          *renderSchedule(u.AccessSchedule, &scheduleJSON{StartsAt: created}),
		LastSuccessfulSyncAt:    &created,
		PendingMutations:        s.userMutations(u.AcsUserID, now),
		Warnings:                []any{},
		Errors:                  s.userErrorsJSON(u.AcsUserID),
	}
	if u.UserIdentityID != "" {
		id := &s.st.UserIdentities[s.idents[u.UserIdentityID]]
		out.UserIdentityEmailAddress = orNull(id.EmailAddress)
		out.UserIdentityFullName = orNull(id.FullName)
		out.UserIdentityPhoneNumber = orNull(id.PhoneNumber)
	}
	return out
}

func (s *Server) renderIdentity(id *UserIdentity) identityJSON {
	display := id.FullName
	for _, alt := range []string{id.EmailAddress, id.PhoneNumber, id.UserIdentityID} {
		if display == "" {
			display = alt
		}
	}
	ids := []string{}
	for _, u := range s.st.AcsUsers {
		if u.UserIdentityID == id.UserIdentityID {
			ids = append(ids, u.AcsUserID)
		}
	}
	return identityJSON{
		UserIdentityID:  id.UserIdentityID,
		UserIdentityKey: orNull(id.UserIdentityKey),
		EmailAddress:    orNull(id.EmailAddress),
		PhoneNumber:     orNull(id.PhoneNumber),
		DisplayName:     display,
		FullName:        orNull(id.FullName),
		CreatedAt:       timestamp(id.CreatedAt),
		WorkspaceID:     s.st.WorkspaceID,
		AcsUserIDs:      ids,
		Errors:          []any{},
		Warnings:        []any{},
	}
}
