package seam

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pagedServer serves /acs/users/list and /user_identities/list over total
// items, with offset cursors and Seam's default page size of 500.
func pagedServer(t *testing.T, total int, wantLimit string, n *reqCounter) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.next()
		q := r.URL.Query()
		if got := q.Get("limit"); got != wantLimit {
			t.Errorf("limit = %q, want %q", got, wantLimit)
		}
		limit := 500
		if wantLimit != "" {
			limit, _ = strconv.Atoi(wantLimit)
		}
		off := 0
		if c := q.Get("page_cursor"); c != "" {
			off, _ = strconv.Atoi(strings.TrimPrefix(c, "cur_"))
		}
		end := min(off+limit, total)
		next := ""
		if end < total {
			next = fmt.Sprintf("cur_%d", end)
		}
		switch r.URL.Path {
		case routeUsersList:
			if got := q.Get("acs_system_id"); got != "sys1" {
				t.Errorf("acs_system_id = %q", got)
			}
			users := []any{}
			for i := off; i < end; i++ {
				users = append(users, fullUser(fmt.Sprintf("u%04d", i), "sys1", fmt.Sprintf("User %d", i)))
			}
			writeJSON(w, 200, "req_p", map[string]any{"ok": true, "acs_users": users, "pagination": paginationOf(next)})
		case routeUserIdentitiesList:
			ids := []any{}
			for i := off; i < end; i++ {
				ids = append(ids, fullIdentity(fmt.Sprintf("ui%04d", i), fmt.Sprintf("p%d@example.com", i)))
			}
			writeJSON(w, 200, "req_p", map[string]any{"ok": true, "user_identities": ids, "pagination": paginationOf(next)})
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			http.NotFound(w, r)
		}
	}))
}

func TestPagination(t *testing.T) {
	for _, limit := range []int{0, 7, 1000} {
		for _, total := range []int{0, 1, 500, 501, 1001} {
			t.Run(fmt.Sprintf("limit %d, %d items", limit, total), func(t *testing.T) {
				wantLimit, pageSize := "", 500
				if limit != 0 {
					wantLimit, pageSize = strconv.Itoa(limit), limit
				}
				wantPages := max(1, (total+pageSize-1)/pageSize)
				var want, wantIdentities []string
				for i := range total {
					want = append(want, fmt.Sprintf("u%04d", i))
					wantIdentities = append(wantIdentities, fmt.Sprintf("ui%04d", i))
				}

				var n reqCounter
				srv := pagedServer(t, total, wantLimit, &n)
				defer srv.Close()
				cl := newTestClient(t, srv, func(o *Options) { o.PageLimit = limit })

				users, err := cl.ListUsers(context.Background(), "sys1")
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range users {
					got = append(got, u.ID)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("users (-want +got):\n%s", diff)
				}
				if n.get() != wantPages {
					t.Errorf("requests = %d, want %d pages", n.get(), wantPages)
				}

				ids, err := cl.ListUserIdentities(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				got = nil
				for _, u := range ids {
					got = append(got, u.ID)
				}
				if diff := cmp.Diff(wantIdentities, got); diff != "" {
					t.Errorf("identities (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPaginationBrokenServers(t *testing.T) {
	cases := []struct {
		name         string
		pagination   func(page int) map[string]any
		wantErr      string
		wantRequests int
	}{
		{
			name:         "cursor repeats",
			pagination:   func(int) map[string]any { return paginationOf("same") },
			wantErr:      "repeats cursor",
			wantRequests: 2,
		},
		{
			name: "cursor cycles",
			pagination: func(page int) map[string]any {
				return paginationOf([]string{"a", "b", "c"}[(page-1)%3])
			},
			wantErr:      "repeats cursor",
			wantRequests: 4,
		},
		{
			name: "next page without cursor",
			pagination: func(int) map[string]any {
				return map[string]any{"has_next_page": true, "next_page_cursor": nil, "next_page_url": nil}
			},
			wantErr:      "no cursor",
			wantRequests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n reqCounter
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				page := n.next()
				writeJSON(w, 200, "req_p", map[string]any{
					"ok": true, "acs_users": []any{fullUser("u1", "sys1", "Ann")}, "pagination": tc.pagination(page),
				})
			}))
			defer srv.Close()
			cl := newTestClient(t, srv, nil)
			users, err := cl.ListUsers(context.Background(), "sys1")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
			if users != nil {
				t.Errorf("users = %v, want nil on error", users)
			}
			if n.get() != tc.wantRequests {
				t.Errorf("requests = %d, want %d", n.get(), tc.wantRequests)
			}
		})
	}
}

func TestDuplicateUserAcrossPagesReturnedOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_cursor") == "" {
			writeJSON(w, 200, "r", map[string]any{"ok": true, "pagination": paginationOf("p2"),
				"acs_users": []any{fullUser("u1", "s", "A"), fullUser("u2", "s", "B")}})
			return
		}
		writeJSON(w, 200, "r", map[string]any{"ok": true, "pagination": paginationOf(""),
			"acs_users": []any{fullUser("u2", "s", "B"), fullUser("u3", "s", "C")}})
	}))
	defer srv.Close()
	users, err := newTestClient(t, srv, nil).ListUsers(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff([]string{"u1", "u2", "u3"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRequestShapes checks each method's HTTP method, route, query and body.
func TestRequestShapes(t *testing.T) {
	type seen struct {
		Method, Path string
		Query        url.Values
		Body         map[string]any
	}
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
		if r.ContentLength > 0 {
			decodeBody(t, r, &got.Body)
		}
		switch r.URL.Path {
		case routeSystemsList:
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_systems": []any{fullSystem("sys1", "Harbor Tower")}})
		case routeGroupsList:
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_access_groups": []any{fullGroup("g1", "sys1", "Lobby")}})
		case routeGroupsGet:
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_access_group": fullGroup("g1", "sys1", "Lobby")})
		case routeGroupsListUsers:
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_users": []any{fullUser("u1", "sys1", "Ann")}})
		case routeGroupsUnmanaged:
			g := fullGroup("g9", "sys1", "Old")
			delete(g, "is_managed")
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_access_groups": []any{g}})
		case routeUsersCreate:
			writeJSON(w, 200, "r", map[string]any{"ok": true, "acs_user": fullUser("u_new", "sys1", "Ann")})
		default:
			writeJSON(w, 200, "r", map[string]any{"ok": true})
		}
	}))
	defer srv.Close()
	cl := newTestClient(t, srv, nil)
	ctx := context.Background()
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name string
		call func() error
		want seen
	}{
		{"list systems", func() error {
			s, err := cl.ListSystems(ctx)
			if err == nil && (len(s) != 1 || s[0].ID != "sys1" || s[0].Name != "Harbor Tower") {
				t.Errorf("systems = %+v", s)
			}
			return err
		}, seen{"GET", routeSystemsList, q(), nil}},
		{"list access groups", func() error {
			g, err := cl.ListAccessGroups(ctx, "sys1")
			if err == nil && (len(g) != 1 || g[0].ID != "g1" || !g[0].Managed()) {
				t.Errorf("groups = %+v", g)
			}
			return err
		}, seen{"GET", routeGroupsList, q("acs_system_id", "sys1"), nil}},
		{"get access group", func() error {
			g, err := cl.GetAccessGroup(ctx, "g1")
			if err == nil && (g.ID != "g1" || g.Name != "Lobby" || g.SystemID != "sys1") {
				t.Errorf("group = %+v", g)
			}
			return err
		}, seen{"GET", routeGroupsGet, q("acs_access_group_id", "g1"), nil}},
		{"list unmanaged groups", func() error {
			g, err := cl.ListUnmanagedAccessGroups(ctx, "sys1")
			if err == nil && (len(g) != 1 || g[0].ID != "g9" || g[0].Managed()) {
				t.Errorf("unmanaged groups = %+v", g)
			}
			return err
		}, seen{"GET", routeGroupsUnmanaged, q("acs_system_id", "sys1"), nil}},
		{"list group users", func() error {
			u, err := cl.ListGroupUsers(ctx, "g1")
			if err == nil && (len(u) != 1 || u[0].ID != "u1") {
				t.Errorf("users = %+v", u)
			}
			return err
		}, seen{"GET", routeGroupsListUsers, q("acs_access_group_id", "g1"), nil}},
		{"add user", func() error { _, err := cl.AddUserToGroup(ctx, "g1", "u1"); return err },
			seen{"PUT", routeGroupsAddUser, q(), map[string]any{"acs_access_group_id": "g1", "acs_user_id": "u1"}}},
		{"add user identity", func() error { _, err := cl.AddUserIdentityToGroup(ctx, "g1", "ui1"); return err },
			seen{"PUT", routeGroupsAddUser, q(), map[string]any{"acs_access_group_id": "g1", "user_identity_id": "ui1"}}},
		{"remove user", func() error { _, err := cl.RemoveUserFromGroup(ctx, "g1", "u1"); return err },
			seen{"DELETE", routeGroupsRemoveUser, q("acs_access_group_id", "g1", "acs_user_id", "u1"), nil}},
		{"remove user identity", func() error { _, err := cl.RemoveUserIdentityFromGroup(ctx, "g1", "ui1"); return err },
			seen{"DELETE", routeGroupsRemoveUser, q("acs_access_group_id", "g1", "user_identity_id", "ui1"), nil}},
		{"create user", func() error {
			u, _, err := cl.CreateUser(ctx, CreateUserParams{SystemID: "sys1", FullName: "Ann", EmailAddress: "ann@example.com", AccessGroupIDs: []string{"g1"}})
			if err == nil && u.ID != "u_new" {
				t.Errorf("user = %+v", u)
			}
			return err
		}, seen{"POST", routeUsersCreate, q(), map[string]any{"acs_system_id": "sys1", "full_name": "Ann",
			"email_address": "ann@example.com", "acs_access_group_ids": []any{"g1"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = seen{}
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyArgumentsRefusedBeforeSending(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(okHandler(&n))
	defer srv.Close()
	cl := newTestClient(t, srv, nil)
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["add no group"] = cl.AddUserToGroup(ctx, "", "u1")
	_, errs["add no user"] = cl.AddUserToGroup(ctx, "g1", "")
	_, errs["remove no user"] = cl.RemoveUserFromGroup(ctx, "g1", "")
	_, errs["get no group"] = cl.GetAccessGroup(ctx, "")
	_, errs["list users no group"] = cl.ListGroupUsers(ctx, "")
	_, _, errs["create no name"] = cl.CreateUser(ctx, CreateUserParams{SystemID: "s"})
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n.get() != 0 {
		t.Errorf("requests = %d, want 0", n.get())
	}
}

func TestLenientDecoding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case routeSystemsList:
			fmt.Fprint(w, `{"ok":true,"brand_new":{"x":[1,2]},"acs_systems":[{"acs_system_id":"s1","surprise":true}]}`)
		case routeGroupsGet:
			fmt.Fprint(w, `{"acs_access_group":{"acs_access_group_id":"g1","name":"Lobby","future_field":{"a":1}}}`)
		case routeGroupsListUsers:
			fmt.Fprint(w, `{"ok":true}`)
		case routeUsersList:
			// No pagination object at all: a single page.
			fmt.Fprint(w, `{"ok":true,"acs_users":[{"acs_user_id":"u1","email":"old@example.com","pending_mutations":[{"mutation_code":"updating_group_membership","from":{"acs_access_group_id":null},"to":{"acs_access_group_id":"g1"},"extra":1}]}]}`)
		case routeUserIdentitiesList:
			// Only a cursor, no has_next_page: follow the cursor.
			if r.URL.Query().Get("page_cursor") == "" {
				fmt.Fprint(w, `{"user_identities":[{"user_identity_id":"ui1"}],"pagination":{"next_page_cursor":"c2"}}`)
			} else {
				fmt.Fprint(w, `{"user_identities":[{"user_identity_id":"ui2"}],"pagination":{"next_page_cursor":null}}`)
			}
		case routeGroupsUnmanaged:
			http.NotFound(w, r)
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	}))
	defer srv.Close()
	opts := testOptions(t, srv, false) // responses break the contract on purpose
	cl, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	systems, err := cl.ListSystems(ctx)
	if err != nil || len(systems) != 1 || systems[0].ID != "s1" || systems[0].Name != "" {
		t.Errorf("systems = %+v, %v", systems, err)
	}
	g, err := cl.GetAccessGroup(ctx, "g1")
	if err != nil || g.ID != "g1" || g.IsManaged != nil || !g.Managed() {
		t.Errorf("group = %+v, %v", g, err)
	}
	members, err := cl.ListGroupUsers(ctx, "g1")
	if err != nil || len(members) != 0 {
		t.Errorf("members = %+v, %v", members, err)
	}
	users, err := cl.ListUsers(ctx, "")
	if err != nil || len(users) != 1 {
		t.Fatalf("users = %+v, %v", users, err)
	}
	u := users[0]
	if u.EmailAddr() != "old@example.com" || len(u.PendingMutations) != 1 ||
		u.PendingMutations[0].MutationCode != MutationUpdatingGroupMembership ||
		u.PendingMutations[0].From.AccessGroupID != nil || *u.PendingMutations[0].To.AccessGroupID != "g1" {
		t.Errorf("user = %+v", u)
	}
	ids, err := cl.ListUserIdentities(ctx)
	if err != nil || len(ids) != 2 || ids[0].ID != "ui1" || ids[1].ID != "ui2" {
		t.Errorf("identities = %+v, %v", ids, err)
	}
	unmanaged, err := cl.ListUnmanagedAccessGroups(ctx, "s1")
	if err != nil || unmanaged != nil {
		t.Errorf("unmanaged on a 404 = %+v, %v; want none", unmanaged, err)
	}
}
