package seam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Routes the client calls.
const (
	routeSystemsList        = "/acs/systems/list"
	routeGroupsList         = "/acs/access_groups/list"
	routeGroupsGet          = "/acs/access_groups/get"
	routeGroupsListUsers    = "/acs/access_groups/list_users"
	routeGroupsAddUser      = "/acs/access_groups/add_user"
	routeGroupsRemoveUser   = "/acs/access_groups/remove_user"
	routeGroupsUnmanaged    = "/acs/access_groups/unmanaged/list"
	routeUsersList          = "/acs/users/list"
	routeUsersCreate        = "/acs/users/create"
	routeUserIdentitiesList = "/user_identities/list"
)

// maxPages bounds a paginated listing, in case a server hands out endless
// distinct cursors.
const maxPages = 100_000

// ListSystems returns every access control system of the workspace.
func (c *Client) ListSystems(ctx context.Context) ([]System, error) {
	var resp struct {
		Systems []System `json:"acs_systems"`
	}
	if _, err := c.do(ctx, http.MethodGet, routeSystemsList, nil, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Systems, nil
}

// ListAccessGroups returns the access groups of a system (of the whole
// workspace when systemID is empty).
func (c *Client) ListAccessGroups(ctx context.Context, systemID string) ([]AccessGroup, error) {
	var resp struct {
		Groups []AccessGroup `json:"acs_access_groups"`
	}
	if _, err := c.do(ctx, http.MethodGet, routeGroupsList, optional("acs_system_id", systemID), nil, &resp); err != nil {
		return nil, err
	}
	return resp.Groups, nil
}

// ListUnmanagedAccessGroups returns the unmanaged access groups of a system
// (groups the API can list but not change). A server without the route
// answers a bare 404 (no Seam error type), which means "none"; a typed 404
// such as acs_system_not_found is an error like any other. Groups that omit
// is_managed are marked unmanaged.
func (c *Client) ListUnmanagedAccessGroups(ctx context.Context, systemID string) ([]AccessGroup, error) {
	var resp struct {
		Groups []AccessGroup `json:"acs_access_groups"`
	}
	if _, err := c.do(ctx, http.MethodGet, routeGroupsUnmanaged, optional("acs_system_id", systemID), nil, &resp); err != nil {
		if isMissingRoute(err) {
			return nil, nil
		}
		return nil, err
	}
	for i := range resp.Groups {
		if resp.Groups[i].IsManaged == nil {
			resp.Groups[i].IsManaged = new(false)
		}
	}
	return resp.Groups, nil
}

// GetAccessGroup returns one access group.
func (c *Client) GetAccessGroup(ctx context.Context, groupID string) (AccessGroup, error) {
	if groupID == "" {
		return AccessGroup{}, errors.New("seam: get access group: empty access group id")
	}
	var resp struct {
		Group AccessGroup `json:"acs_access_group"`
	}
	q := url.Values{"acs_access_group_id": {groupID}}
	if _, err := c.do(ctx, http.MethodGet, routeGroupsGet, q, nil, &resp); err != nil {
		return AccessGroup{}, err
	}
	return resp.Group, nil
}

// ListGroupUsers returns the ACS users who are members of an access group
// (Seam returns them all at once; the route is not paginated).
func (c *Client) ListGroupUsers(ctx context.Context, groupID string) ([]User, error) {
	if groupID == "" {
		return nil, errors.New("seam: list group users: empty access group id")
	}
	var resp struct {
		Users []User `json:"acs_users"`
	}
	q := url.Values{"acs_access_group_id": {groupID}}
	if _, err := c.do(ctx, http.MethodGet, routeGroupsListUsers, q, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Users, nil
}

// ListGroupMemberIDs returns the ACS user ids of an access group's members,
// decoding only the ids from the answer as it streams in: what reading a
// large workspace needs, at a fraction of ListGroupUsers' time and memory.
func (c *Client) ListGroupMemberIDs(ctx context.Context, groupID string) ([]string, error) {
	if groupID == "" {
		return nil, errors.New("seam: list group members: empty access group id")
	}
	var m memberIDList
	q := url.Values{"acs_access_group_id": {groupID}}
	if _, err := c.do(ctx, http.MethodGet, routeGroupsListUsers, q, nil, &m); err != nil {
		return nil, err
	}
	return m.ids, nil
}

// ListUsers returns every ACS user of a system (of the workspace when
// systemID is empty), following page cursors to the end. A user a server
// repeats across pages is returned once.
func (c *Client) ListUsers(ctx context.Context, systemID string) ([]User, error) {
	return listAll(ctx, c, routeUsersList, optional("acs_system_id", systemID), "acs_users",
		func(u User) string { return u.ID })
}

// ListUserIdentities returns every user identity of the workspace, following
// page cursors to the end.
func (c *Client) ListUserIdentities(ctx context.Context) ([]UserIdentity, error) {
	return listAll(ctx, c, routeUserIdentitiesList, nil, "user_identities",
		func(u UserIdentity) string { return u.ID })
}

// AddUserToGroup makes an ACS user a member of an access group (PUT, so that
// a retry is safe).
func (c *Client) AddUserToGroup(ctx context.Context, groupID, acsUserID string) (Meta, error) {
	return c.membership(ctx, http.MethodPut, routeGroupsAddUser, groupID, "acs_user_id", acsUserID)
}

// AddUserIdentityToGroup makes a user identity a member of an access group.
// Seam links the identity to the system's ACS user with the same email or
// phone, and CREATES an ACS user when there is none.
func (c *Client) AddUserIdentityToGroup(ctx context.Context, groupID, userIdentityID string) (Meta, error) {
	return c.membership(ctx, http.MethodPut, routeGroupsAddUser, groupID, "user_identity_id", userIdentityID)
}

// RemoveUserFromGroup removes an ACS user from an access group (DELETE with
// query parameters, as the spec gives them).
func (c *Client) RemoveUserFromGroup(ctx context.Context, groupID, acsUserID string) (Meta, error) {
	return c.membership(ctx, http.MethodDelete, routeGroupsRemoveUser, groupID, "acs_user_id", acsUserID)
}

// RemoveUserIdentityFromGroup removes a user identity's ACS user from an
// access group.
func (c *Client) RemoveUserIdentityFromGroup(ctx context.Context, groupID, userIdentityID string) (Meta, error) {
	return c.membership(ctx, http.MethodDelete, routeGroupsRemoveUser, groupID, "user_identity_id", userIdentityID)
}

// membership sends an add (PUT, JSON body) or remove (DELETE, query).
func (c *Client) membership(ctx context.Context, method, route, groupID, whoField, who string) (Meta, error) {
	verb := "add"
	if method == http.MethodDelete {
		verb = "remove"
	}
	switch {
	case groupID == "":
		return Meta{}, fmt.Errorf("seam: %s %s: empty access group id", verb, whoField)
	case who == "":
		return Meta{}, fmt.Errorf("seam: %s %s to group %s: empty %s", verb, whoField, groupID, whoField)
	}
	if method == http.MethodDelete {
		q := url.Values{"acs_access_group_id": {groupID}, whoField: {who}}
		return c.do(ctx, method, route, q, nil, nil)
	}
	body := map[string]string{"acs_access_group_id": groupID, whoField: who}
	return c.do(ctx, method, route, nil, body, nil)
}

// CreateUserParams are the fields of a new ACS user. SystemID and FullName
// are required.
type CreateUserParams struct {
	SystemID       string   `json:"acs_system_id"`
	FullName       string   `json:"full_name"`
	EmailAddress   string   `json:"email_address,omitempty"`
	PhoneNumber    string   `json:"phone_number,omitempty"`
	UserIdentityID string   `json:"user_identity_id,omitempty"`
	AccessGroupIDs []string `json:"acs_access_group_ids,omitempty"`
}

// CreateUser creates an ACS user. It is a POST, which is not idempotent: the
// client retries it only when the request provably did not reach the server
// (a 429, or a failure to connect). After a 5xx, a timeout or a dropped
// connection the user may exist: the error is returned for the caller to
// check with a fresh read.
func (c *Client) CreateUser(ctx context.Context, p CreateUserParams) (User, Meta, error) {
	if p.SystemID == "" || p.FullName == "" {
		return User{}, Meta{}, errors.New("seam: create user: system id and full name are required")
	}
	var resp struct {
		User User `json:"acs_user"`
	}
	meta, err := c.do(ctx, http.MethodPost, routeUsersCreate, nil, p, &resp)
	if err != nil {
		return User{}, meta, err
	}
	return resp.User, meta, nil
}

// page is the lenient shape of a paginated response.
type page struct {
	Pagination *struct {
		HasNextPage    *bool   `json:"has_next_page"`
		NextPageCursor *string `json:"next_page_cursor"`
	} `json:"pagination"`
}

// listAll follows page_cursor until the server says there is no next page,
// and fails on a cursor loop rather than loop forever.
func listAll[T any](ctx context.Context, c *Client, route string, query url.Values, key string, id func(T) string) ([]T, error) {
	var all []T
	seenIDs := map[string]bool{}
	seenCursors := map[string]bool{}
	cursor := ""
	for n := 1; ; n++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		if c.pageLimit > 0 {
			q.Set("limit", strconv.Itoa(c.pageLimit))
		}
		if cursor != "" {
			q.Set("page_cursor", cursor)
		}
		var raw map[string]json.RawMessage
		if _, err := c.do(ctx, http.MethodGet, route, q, nil, &raw); err != nil {
			return nil, err
		}
		var items []T
		if r, ok := raw[key]; ok {
			if err := json.Unmarshal(r, &items); err != nil {
				return nil, fmt.Errorf("seam: GET %s: page %d: decode %s: %w", route, n, key, err)
			}
		}
		for _, it := range items {
			if k := id(it); k == "" || !seenIDs[k] {
				seenIDs[k] = true
				all = append(all, it)
			}
		}
		var pg page
		if r, ok := raw["pagination"]; ok {
			if err := json.Unmarshal(r, &pg.Pagination); err != nil {
				return nil, fmt.Errorf("seam: GET %s: page %d: decode pagination: %w", route, n, err)
			}
		}
		next := ""
		if pg.Pagination != nil && pg.Pagination.NextPageCursor != nil {
			next = *pg.Pagination.NextPageCursor
		}
		more := next != ""
		if pg.Pagination != nil && pg.Pagination.HasNextPage != nil {
			more = *pg.Pagination.HasNextPage
		}
		switch {
		case !more:
			return all, nil
		case next == "":
			return nil, fmt.Errorf("seam: GET %s: page %d says there is a next page but gives no cursor", route, n)
		case seenCursors[next] || next == cursor:
			return nil, fmt.Errorf("seam: GET %s: page %d repeats cursor %q: the server's pagination loops", route, n, next)
		case n >= maxPages:
			return nil, fmt.Errorf("seam: GET %s: more than %d pages: giving up", route, maxPages)
		}
		seenCursors[next] = true
		cursor = next
	}
}

// isMissingRoute reports whether err is a 404 without a Seam error type: the
// answer of a server that has no such route.
func isMissingRoute(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Type == ""
}

// optional returns a query with one parameter, or none when value is empty.
func optional(name, value string) url.Values {
	if value == "" {
		return nil
	}
	return url.Values{name: {value}}
}
