package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestContract sends every route, in success and in error, in each method the
// OpenAPI document lists, validates requests and responses against the
// document, and asserts the meaningful fields of each answer.
func TestContract(t *testing.T) {
	type check func(t *testing.T, h *harness, r resp)
	idsAre := func(key, field string, want ...string) check {
		return func(t *testing.T, _ *harness, r resp) {
			t.Helper()
			if got := r.ids(key, field); !cmp.Equal(sorted(got), sorted(want)) {
				t.Errorf("%s = %v, want %v", key, got, want)
			}
		}
	}
	field := func(key, name string, want any) check {
		return func(t *testing.T, _ *harness, r resp) {
			t.Helper()
			if got := r.obj(key)[name]; !cmp.Equal(got, want) {
				t.Errorf("%s.%s = %#v, want %#v", key, name, got, want)
			}
		}
	}
	member := func(group, user string, want bool) check {
		return func(t *testing.T, h *harness, _ resp) {
			t.Helper()
			got := slices.Contains(h.srv.Memberships(), Membership{group, user})
			if got != want {
				t.Errorf("membership of %s in %s = %v, want %v", user, group, got, want)
			}
		}
	}
	validationOn := func(names ...string) check {
		return func(t *testing.T, _ *harness, r resp) {
			t.Helper()
			ve, _ := r.obj("error")["validation_errors"].(map[string]any)
			for _, n := range names {
				if _, ok := ve[n]; !ok {
					t.Errorf("validation_errors %v lack %q", ve, n)
				}
			}
		}
	}
	pagination := func(hasNext bool) check {
		return func(t *testing.T, _ *harness, r resp) {
			t.Helper()
			p := r.obj("pagination")
			if p["has_next_page"] != hasNext || (p["next_page_cursor"] != nil) != hasNext || (p["next_page_url"] != nil) != hasNext {
				t.Errorf("pagination = %v, want has_next_page %v with cursor and url set alike", p, hasNext)
			}
		}
	}
	type tc struct {
		name    string
		path    string
		params  map[string]any
		methods []string // nil: every method of the route
		status  int
		errType string
		invalid bool // the request itself breaks the contract (missing required field)
		checks  []check
	}
	cases := []tc{
		{name: "systems list", path: "/acs/systems/list", status: 200, checks: []check{idsAre("acs_systems", "acs_system_id", sysA, sysB)}},
		{name: "systems list by connected account", path: "/acs/systems/list", params: map[string]any{"connected_account_id": derivedID("connected_account", sysB)}, status: 200, checks: []check{idsAre("acs_systems", "acs_system_id", sysB)}},
		{name: "systems list search", path: "/acs/systems/list", params: map[string]any{"search": "RIVER"}, status: 200, checks: []check{idsAre("acs_systems", "acs_system_id", sysB)}},
		{name: "systems list by customer: the sandbox has none", path: "/acs/systems/list", params: map[string]any{"customer_key": "cust_1"}, status: 200, checks: []check{idsAre("acs_systems", "acs_system_id")}},
		{name: "system get", path: "/acs/systems/get", params: map[string]any{"acs_system_id": sysB}, status: 200,
			checks: []check{field("acs_system", "name", "Riverside Campus"), field("acs_system", "external_type", "salto_ks_site"), field("acs_system", "location", map[string]any{"time_zone": "America/Chicago"})}},
		{name: "system get unknown", path: "/acs/systems/get", params: map[string]any{"acs_system_id": "nope"}, status: 404, errType: "acs_system_not_found"},
		{name: "system get missing id", path: "/acs/systems/get", status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("acs_system_id")}},

		{name: "groups list hides unmanaged", path: "/acs/access_groups/list", status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLobby, grpGym, grpGate)}},
		{name: "groups list by system", path: "/acs/access_groups/list", params: map[string]any{"acs_system_id": sysB}, status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpGate)}},
		{name: "groups list by user", path: "/acs/access_groups/list", params: map[string]any{"acs_user_id": uAnn}, status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLobby)}},
		{name: "groups list by identity spans systems", path: "/acs/access_groups/list", params: map[string]any{"user_identity_id": idAnn}, status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLobby, grpGate)}},
		{name: "groups list search by name", path: "/acs/access_groups/list", params: map[string]any{"search": "gy"}, status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpGym)}},
		{name: "groups list search by id", path: "/acs/access_groups/list", params: map[string]any{"search": "grp_l", "acs_system_id": sysA}, status: 200, checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLobby)}},
		{name: "groups list unknown system", path: "/acs/access_groups/list", params: map[string]any{"acs_system_id": "nope"}, status: 404, errType: "acs_system_not_found"},
		{name: "groups list unknown identity", path: "/acs/access_groups/list", params: map[string]any{"user_identity_id": "nope"}, status: 404, errType: "user_identity_not_found"},
		{name: "group get", path: "/acs/access_groups/get", params: map[string]any{"acs_access_group_id": grpLobby}, status: 200,
			checks: []check{field("acs_access_group", "name", "Lobby"), field("acs_access_group", "is_managed", true), field("acs_access_group", "access_group_type", "brivo_group"), field("acs_access_group", "acs_system_id", sysA)}},
		{name: "group get unmanaged is not found", path: "/acs/access_groups/get", params: map[string]any{"acs_access_group_id": grpLegacy}, status: 404, errType: "acs_access_group_not_found"},
		{name: "group get unknown", path: "/acs/access_groups/get", params: map[string]any{"acs_access_group_id": "nope"}, status: 404, errType: "acs_access_group_not_found"},
		{name: "group get missing id", path: "/acs/access_groups/get", status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("acs_access_group_id")}},
		{name: "unmanaged list", path: "/acs/access_groups/unmanaged/list", params: map[string]any{"acs_system_id": sysA}, status: 200,
			checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLegacy)}},
		{name: "unmanaged list by user", path: "/acs/access_groups/unmanaged/list", params: map[string]any{"acs_user_id": uBen}, status: 200,
			checks: []check{idsAre("acs_access_groups", "acs_access_group_id", grpLegacy)}},
		{name: "unmanaged list unknown system", path: "/acs/access_groups/unmanaged/list", params: map[string]any{"acs_system_id": "nope"}, status: 404, errType: "acs_system_not_found"},
		{name: "unmanaged get", path: "/acs/access_groups/unmanaged/get", params: map[string]any{"acs_access_group_id": grpLegacy}, status: 200,
			checks: []check{field("acs_access_group", "name", "Legacy"), field("acs_access_group", "is_managed", false)}},
		{name: "unmanaged get of a managed group", path: "/acs/access_groups/unmanaged/get", params: map[string]any{"acs_access_group_id": grpLobby}, status: 404, errType: "acs_access_group_not_found"},
		{name: "unmanaged get missing id", path: "/acs/access_groups/unmanaged/get", status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("acs_access_group_id")}},
		{name: "list users", path: "/acs/access_groups/list_users", params: map[string]any{"acs_access_group_id": grpLobby}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnn)}},
		{name: "list users of unmanaged group", path: "/acs/access_groups/list_users", params: map[string]any{"acs_access_group_id": grpLegacy}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uBen)}},
		{name: "list users unknown group", path: "/acs/access_groups/list_users", params: map[string]any{"acs_access_group_id": "nope"}, status: 404, errType: "acs_access_group_not_found"},
		{name: "list users missing id", path: "/acs/access_groups/list_users", status: 400, errType: "invalid_input", invalid: true},

		{name: "add user", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}, status: 200, checks: []check{member(grpGym, uBen, true)}},
		{name: "add user again is ok", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn}, status: 200, checks: []check{member(grpLobby, uAnn, true)}},
		{name: "add identity links by email", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "user_identity_id": idBen}, status: 200, checks: []check{member(grpGym, uBen, true)}},
		{name: "add both ids", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen, "user_identity_id": idBen}, status: 400, errType: "invalid_input", checks: []check{validationOn("acs_user_id", "user_identity_id"), member(grpGym, uBen, false)}},
		{name: "add neither id", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym}, status: 400, errType: "invalid_input"},
		{name: "add missing group", path: "/acs/access_groups/add_user", params: map[string]any{"acs_user_id": uBen}, status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("acs_access_group_id")}},
		{name: "add to unmanaged group", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpLegacy, "acs_user_id": uAnn}, status: 400, errType: "invalid_input", checks: []check{member(grpLegacy, uAnn, false)}},
		{name: "add to unknown group", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": "nope", "acs_user_id": uAnn}, status: 404, errType: "acs_access_group_not_found"},
		{name: "add unknown user", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": "nope"}, status: 404, errType: "acs_user_not_found"},
		{name: "add unknown identity", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "user_identity_id": "nope"}, status: 404, errType: "user_identity_not_found"},
		{name: "add user of another system", path: "/acs/access_groups/add_user", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uAnnB}, status: 400, errType: "invalid_input", checks: []check{member(grpGym, uAnnB, false)}},
		{name: "remove user", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn}, status: 200, checks: []check{member(grpLobby, uAnn, false)}},
		{name: "remove by identity", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_access_group_id": grpGate, "user_identity_id": idAnn}, status: 200, checks: []check{member(grpGate, uAnnB, false)}},
		{name: "remove non-member is ok", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uAnn}, status: 200},
		{name: "remove from unmanaged group", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_access_group_id": grpLegacy, "acs_user_id": uBen}, status: 400, errType: "invalid_input", checks: []check{member(grpLegacy, uBen, true)}},
		{name: "remove unknown user", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": "nope"}, status: 404, errType: "acs_user_not_found"},
		{name: "remove missing group", path: "/acs/access_groups/remove_user", params: map[string]any{"acs_user_id": uAnn}, status: 400, errType: "invalid_input", invalid: true},

		{name: "old add", path: "/acs/users/add_to_access_group", params: map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uCarla}, status: 200, checks: []check{member(grpGym, uCarla, true)}},
		{name: "old add missing user", path: "/acs/users/add_to_access_group", params: map[string]any{"acs_access_group_id": grpGym}, status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("acs_user_id")}},
		{name: "old add unknown group", path: "/acs/users/add_to_access_group", params: map[string]any{"acs_access_group_id": "nope", "acs_user_id": uCarla}, status: 404, errType: "acs_access_group_not_found"},
		{name: "old remove", path: "/acs/users/remove_from_access_group", params: map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn}, status: 200, checks: []check{member(grpLobby, uAnn, false)}},
		{name: "old remove unmanaged", path: "/acs/users/remove_from_access_group", params: map[string]any{"acs_access_group_id": grpLegacy, "acs_user_id": uBen}, status: 400, errType: "invalid_input"},

		{name: "users list", path: "/acs/users/list", status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnn, uBen, uCarla, uAnnB), pagination(false)}},
		{name: "users list by system", path: "/acs/users/list", params: map[string]any{"acs_system_id": sysB}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnnB)}},
		{name: "users list by identity", path: "/acs/users/list", params: map[string]any{"user_identity_id": idAnn}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnn, uAnnB)}},
		{name: "users list by identity email", path: "/acs/users/list", params: map[string]any{"user_identity_email_address": "ANN.LEE@harbortower.example"}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnn, uAnnB)}},
		{name: "users list search", path: "/acs/users/list", params: map[string]any{"search": "garc"}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uBen)}},
		{name: "users list search phone", path: "/acs/users/list", params: map[string]any{"search": "5550199"}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uCarla)}},
		{name: "users list first page", path: "/acs/users/list", params: map[string]any{"limit": 3}, status: 200, checks: []check{idsAre("acs_users", "acs_user_id", uAnn, uBen, uCarla), pagination(true)}},
		{name: "users list limit zero", path: "/acs/users/list", params: map[string]any{"limit": 0}, status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("limit")}},
		{name: "users list bad cursor", path: "/acs/users/list", params: map[string]any{"page_cursor": "garbage"}, status: 400, errType: "invalid_input", checks: []check{validationOn("page_cursor")}},
		{name: "users list unknown system", path: "/acs/users/list", params: map[string]any{"acs_system_id": "nope"}, status: 404, errType: "acs_system_not_found"},
		{name: "user get", path: "/acs/users/get", params: map[string]any{"acs_user_id": uAnn}, status: 200,
			checks: []check{field("acs_user", "full_name", "Ann Lee"), field("acs_user", "user_identity_id", idAnn), field("acs_user", "user_identity_email_address", "ann.lee@harbortower.example"), field("acs_user", "is_managed", true)}},
		{name: "user get by identity and system", path: "/acs/users/get", params: map[string]any{"user_identity_id": idAnn, "acs_system_id": sysB}, status: 200, checks: []check{field("acs_user", "acs_user_id", uAnnB)}},
		{name: "user get by identity in two systems", path: "/acs/users/get", params: map[string]any{"user_identity_id": idAnn}, status: 400, errType: "invalid_input"},
		{name: "user get unknown", path: "/acs/users/get", params: map[string]any{"acs_user_id": "nope"}, status: 404, errType: "acs_user_not_found"},
		{name: "user create", path: "/acs/users/create", params: map[string]any{"acs_system_id": sysB, "full_name": "Eve Park", "email_address": "eve.park@riverside.example", "acs_access_group_ids": []string{grpGate}}, status: 200,
			checks: []check{field("acs_user", "full_name", "Eve Park"), field("acs_user", "acs_system_id", sysB), field("acs_user", "email_address", "eve.park@riverside.example"),
				func(t *testing.T, h *harness, r resp) {
					id, _ := r.obj("acs_user")["acs_user_id"].(string)
					if !slices.Contains(h.srv.Memberships(), Membership{grpGate, id}) {
						t.Errorf("created user %q is not in %s", id, grpGate)
					}
				}}},
		{name: "user create with a schedule and the deprecated email", path: "/acs/users/create", params: map[string]any{"acs_system_id": sysA, "full_name": "Eve Park", "email": "eve@harbortower.example",
			"access_schedule": map[string]any{"ends_at": "2027-01-01T00:00:00Z"}}, status: 200,
			checks: []check{field("acs_user", "email_address", "eve@harbortower.example"),
				field("acs_user", "access_schedule", map[string]any{"starts_at": "2026-05-01T12:00:00.000Z", "ends_at": "2027-01-01T00:00:00.000Z"})}},
		{name: "user create with a schedule that has ended", path: "/acs/users/create", params: map[string]any{"acs_system_id": sysA, "full_name": "Eve Park",
			"access_schedule": map[string]any{"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z"}}, status: 400, errType: "invalid_input", checks: []check{validationOn("access_schedule")}},
		{name: "user create with two emails", path: "/acs/users/create", params: map[string]any{"acs_system_id": sysA, "full_name": "Eve Park", "email": "a@x.example", "email_address": "b@x.example"},
			status: 400, errType: "invalid_input", checks: []check{validationOn("email")}},
		{name: "user create missing name", path: "/acs/users/create", params: map[string]any{"acs_system_id": sysB}, status: 400, errType: "invalid_input", invalid: true, checks: []check{validationOn("full_name")}},
		{name: "user create unknown system", path: "/acs/users/create", params: map[string]any{"acs_system_id": "nope", "full_name": "X"}, status: 404, errType: "acs_system_not_found"},

		{name: "identities list", path: "/user_identities/list", status: 200, checks: []check{idsAre("user_identities", "user_identity_id", idAnn, idBen, idCarla, idDan), pagination(false)}},
		{name: "identities list search", path: "/user_identities/list", params: map[string]any{"search": "NOVAK"}, status: 200, checks: []check{idsAre("user_identities", "user_identity_id", idDan)}},
		{name: "identities list by ids", path: "/user_identities/list", params: map[string]any{"user_identity_ids": []string{idBen, idCarla}}, status: 200, checks: []check{idsAre("user_identities", "user_identity_id", idBen, idCarla)}},
		{name: "identities list by credential manager: the sandbox has none", path: "/user_identities/list", params: map[string]any{"credential_manager_acs_system_id": sysA}, status: 200, checks: []check{idsAre("user_identities", "user_identity_id")}},
		{name: "identities list page", path: "/user_identities/list", params: map[string]any{"limit": 1}, status: 200, checks: []check{idsAre("user_identities", "user_identity_id", idAnn), pagination(true)}},
		{name: "identity get", path: "/user_identities/get", params: map[string]any{"user_identity_id": idAnn}, status: 200,
			checks: []check{field("user_identity", "acs_user_ids", []any{uAnn, uAnnB}), field("user_identity", "email_address", "ann.lee@harbortower.example"), field("user_identity", "phone_number", nil)}},
		{name: "identity get by key", path: "/user_identities/get", params: map[string]any{"user_identity_key": "emp-ben"}, status: 200, checks: []check{field("user_identity", "user_identity_id", idBen)}},
		{name: "identity get unknown", path: "/user_identities/get", params: map[string]any{"user_identity_id": "nope"}, status: 404, errType: "user_identity_not_found"},
		{name: "identity get missing id", path: "/user_identities/get", status: 400, errType: "invalid_input", invalid: true},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		rt := routes[c.path]
		if rt == nil {
			t.Fatalf("%s: no route %s", c.name, c.path)
		}
		methods := c.methods
		if methods == nil {
			methods = rt.methods
		}
		for _, m := range methods {
			covered[c.path+" "+m] = true
			t.Run(c.name+"/"+m, func(t *testing.T) {
				h := newHarness(t, nil, Options{})
				q := paramReq(m, c.path, c.params)
				// The document gives GET /user_identities/get no parameters.
				q.invalidReq = c.invalid || (m == http.MethodGet && c.path == "/user_identities/get")
				r := h.do(q)
				if r.status != c.status {
					t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
				}
				if c.status == 200 && r.json["ok"] != true {
					t.Errorf("ok = %v, want true", r.json["ok"])
				}
				if c.errType != "" {
					if got := r.errType(); got != c.errType {
						t.Errorf("error type %q, want %q: %s", got, c.errType, r.raw)
					}
					if r.json["ok"] != false {
						t.Errorf("ok = %v, want false", r.json["ok"])
					}
				}
				for _, ch := range c.checks {
					ch(t, h, r)
				}
			})
		}
	}
	// Every route and method of the document must have been exercised, and
	// every one must refuse a request without credentials.
	for _, path := range Routes() {
		rt := routes[path]
		for _, m := range rt.methods {
			if !covered[path+" "+m] {
				t.Errorf("no contract case for %s %s", m, path)
			}
			t.Run("unauthorized"+path+"/"+m, func(t *testing.T) {
				h := newHarness(t, nil, Options{})
				q := paramReq(m, path, nil)
				q.noAuth = true
				r := h.do(q)
				if r.status != 401 || r.errType() != "unauthorized" {
					t.Errorf("status %d type %q, want 401 unauthorized", r.status, r.errType())
				}
			})
		}
	}
}

// TestSampleSessionHoldsToTheContract reads every list of the sample site,
// before and after changes in every asynchronous state (pending, deferred,
// refused), and checks each response against the document.
func TestSampleSessionHoldsToTheContract(t *testing.T) {
	st := SampleSite()
	var lobby, gym string
	var users []string
	for _, g := range st.AcsAccessGroups {
		if g.AcsSystemID == st.AcsSystems[0].AcsSystemID && g.Name == "Lobby" {
			lobby = g.AcsAccessGroupID
		}
		if g.AcsSystemID == st.AcsSystems[0].AcsSystemID && g.Name == "Gym" {
			gym = g.AcsAccessGroupID
		}
	}
	for _, u := range st.AcsUsers[:4] {
		users = append(users, u.AcsUserID)
	}
	h := newHarness(t, st, Options{PropagationDelay: time.Minute, Faults: Faults{
		Defer: []Target{{AcsUserID: users[1]}}, AcsReject: []Target{{AcsUserID: users[2]}},
	}})
	auth := map[string]string{"Authorization": "Bearer " + SampleAPIKey}
	read := func() int {
		n := 0
		for _, q := range []req{
			{method: "GET", path: "/acs/systems/list"},
			{method: "POST", path: "/acs/access_groups/list", body: `{}`},
			{method: "GET", path: "/acs/access_groups/unmanaged/list"},
			{method: "GET", path: "/acs/users/list", query: url.Values{"limit": {"100"}}},
			{method: "GET", path: "/user_identities/list"},
			{method: "GET", path: "/acs/access_groups/list_users", query: url.Values{"acs_access_group_id": {gym}}},
			{method: "GET", path: "/acs/access_groups/get", query: url.Values{"acs_access_group_id": {lobby}}},
			{method: "GET", path: "/acs/users/get", query: url.Values{"acs_user_id": {users[2]}}},
		} {
			q.header = auth
			if r := h.do(q); r.status != 200 {
				t.Errorf("%s %s: %d %s", q.method, q.path, r.status, r.raw)
			}
			n++
		}
		return n
	}
	n := read()
	for _, u := range users {
		h.do(req{method: "PUT", path: "/acs/access_groups/add_user", header: auth, body: fmt.Sprintf(`{"acs_access_group_id":%q,"acs_user_id":%q}`, gym, u)})
		h.do(req{method: "DELETE", path: "/acs/access_groups/remove_user", header: auth, query: url.Values{"acs_access_group_id": {lobby}, "acs_user_id": {u}}})
	}
	n += read() // pending, deferred and to-be-refused changes in flight
	h.clock.Advance(time.Minute)
	n += read() // refusals shown as errors
	if n != 24 {
		t.Errorf("%d reads", n)
	}
	if !t.Failed() {
		t.Logf("%d responses of a session on the sample site hold to the contract", n+2*len(users))
	}
}
