package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuth(t *testing.T) {
	cases := []struct {
		name   string
		header map[string]string
		noAuth bool
		status int
	}{
		{"api key", nil, false, 200},
		{"personal access token with workspace", map[string]string{"Authorization": "Bearer " + testPAT, "Seam-Workspace": testWS}, false, 200},
		{"personal access token without workspace", map[string]string{"Authorization": "Bearer " + testPAT}, false, 401},
		{"personal access token with another workspace", map[string]string{"Authorization": "Bearer " + testPAT, "Seam-Workspace": "ws_other"}, false, 401},
		{"unknown personal access token", map[string]string{"Authorization": "Bearer seam_at_nope", "Seam-Workspace": testWS}, false, 401},
		{"unknown api key", map[string]string{"Authorization": "Bearer seam_nope"}, false, 401},
		{"api key without Bearer", map[string]string{"Authorization": testKey}, false, 401},
		{"no header", nil, true, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil, Options{})
			r := h.do(req{method: "GET", path: "/acs/systems/list", header: c.header, noAuth: c.noAuth, invalidReq: c.status != 200})
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			if c.status == 401 && r.errType() != "unauthorized" {
				t.Errorf("error type %q, want unauthorized", r.errType())
			}
		})
	}
	t.Run("revoked mid-run", func(t *testing.T) {
		h := newHarness(t, nil, Options{})
		if r := h.call("GET", "/acs/systems/list", nil); r.status != 200 {
			t.Fatalf("before revoking: %d", r.status)
		}
		h.srv.RevokeAPIKeys()
		for _, q := range []req{
			{method: "GET", path: "/acs/systems/list"},
			{method: "GET", path: "/acs/systems/list", header: map[string]string{"Authorization": "Bearer " + testPAT, "Seam-Workspace": testWS}},
		} {
			if r := h.do(q); r.status != 401 || r.errType() != "unauthorized" {
				t.Errorf("after revoking: %d %q, want 401 unauthorized", r.status, r.errType())
			}
		}
	})
	t.Run("generated key when the state has none", func(t *testing.T) {
		st := testState(t)
		st.APIKeys = nil
		st.WorkspaceID = ""
		srv := New(st, Options{})
		keys := srv.APIKeys()
		if len(keys) != 1 || !strings.HasPrefix(keys[0], "seam_sandbox_") || len(keys[0]) != len("seam_sandbox_")+32 {
			t.Fatalf("APIKeys() = %q, want one generated seam_sandbox_ key", keys)
		}
		if srv.WorkspaceID() == "" {
			t.Error("no workspace id generated")
		}
		if len(st.APIKeys) != 0 {
			t.Error("New changed the caller's state")
		}
		r := httptest.NewRequest("GET", "/acs/systems/list", nil)
		r.Header.Set("Authorization", "Bearer "+keys[0])
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("generated key: status %d", w.Code)
		}
	})
}

// bigState has n users in one system, none linked.
func bigState(t testing.TB, n int) *State {
	st := &State{
		WorkspaceID: testWS, APIKeys: []string{testKey},
		AcsSystems:      []AcsSystem{{AcsSystemID: sysA, Name: "Harbor Tower"}},
		AcsAccessGroups: []AcsAccessGroup{{AcsAccessGroupID: grpLobby, AcsSystemID: sysA, Name: "Lobby"}},
	}
	for i := range n {
		id := fmt.Sprintf("u%05d", i)
		st.AcsUsers = append(st.AcsUsers, AcsUser{AcsUserID: id, AcsSystemID: sysA, FullName: "User " + id})
		st.UserIdentities = append(st.UserIdentities, UserIdentity{UserIdentityID: "id" + id[1:], FullName: "Identity " + id})
		st.Memberships = append(st.Memberships, Membership{AcsAccessGroupID: grpLobby, AcsUserID: id})
	}
	if err := st.normalize(); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPagination(t *testing.T) {
	for _, n := range []int{0, 1, 500, 501, 1001} {
		for _, limit := range []int{0, 7} { // 0: the default (500)
			for _, list := range []struct{ path, key, field string }{
				{"/acs/users/list", "acs_users", "acs_user_id"},
				{"/user_identities/list", "user_identities", "user_identity_id"},
			} {
				t.Run(fmt.Sprintf("%s/%d users/limit %d", list.path, n, limit), func(t *testing.T) {
					h := newHarness(t, bigState(t, n), Options{})
					seen := map[string]int{}
					params := map[string]any{}
					if limit > 0 {
						params["limit"] = limit
					}
					pageSize := limit
					if pageSize == 0 {
						pageSize = 500
					}
					pages := 0
					for {
						r := h.call("GET", list.path, params)
						if r.status != 200 {
							t.Fatalf("status %d: %s", r.status, r.raw)
						}
						pages++
						ids := r.ids(list.key, list.field)
						p := r.obj("pagination")
						if len(ids) > pageSize {
							t.Fatalf("page of %d, limit %d", len(ids), pageSize)
						}
						for _, id := range ids {
							seen[id]++
						}
						if p["has_next_page"] != true {
							if p["next_page_cursor"] != nil || p["next_page_url"] != nil {
								t.Errorf("last page carries a cursor: %v", p)
							}
							break
						}
						if len(ids) != pageSize {
							t.Errorf("page %d has %d items but is not the last", pages, len(ids))
						}
						cur := p["next_page_cursor"].(string)
						// The same cursor gives the same page.
						params["page_cursor"] = cur
						again := h.call("GET", list.path, params)
						r2 := h.call("GET", list.path, params)
						if !cmp.Equal(again.ids(list.key, list.field), r2.ids(list.key, list.field)) {
							t.Fatal("a cursor gave two different pages")
						}
						// next_page_url names the same page.
						u, err := url.Parse(p["next_page_url"].(string))
						if err != nil || u.Query().Get("page_cursor") != cur || u.Path != list.path {
							t.Errorf("next_page_url %q does not carry cursor %q", p["next_page_url"], cur)
						}
						if pages > n+2 {
							t.Fatal("pagination does not end")
						}
					}
					if len(seen) != n {
						t.Errorf("saw %d distinct items, want %d", len(seen), n)
					}
					for id, k := range seen {
						if k != 1 {
							t.Errorf("%s returned %d times", id, k)
						}
					}
					wantPages := max(1, (n+pageSize-1)/pageSize)
					if pages != wantPages {
						t.Errorf("%d pages, want %d", pages, wantPages)
					}
				})
			}
		}
	}
	t.Run("users created while paging appear once at the end", func(t *testing.T) {
		h := newHarness(t, bigState(t, 10), Options{})
		r := h.call("POST", "/acs/users/list", map[string]any{"limit": 4})
		seen := r.ids("acs_users", "acs_user_id")
		cr := h.call("POST", "/acs/users/create", map[string]any{"acs_system_id": sysA, "full_name": "Late Comer"})
		newID := cr.obj("acs_user")["acs_user_id"].(string)
		for r.obj("pagination")["has_next_page"] == true {
			r = h.call("POST", "/acs/users/list", map[string]any{"limit": 4, "page_cursor": r.obj("pagination")["next_page_cursor"]})
			seen = append(seen, r.ids("acs_users", "acs_user_id")...)
		}
		if len(seen) != 11 || seen[10] != newID {
			t.Errorf("saw %d users ending with %q, want 11 ending with the new %q", len(seen), seen[len(seen)-1], newID)
		}
	})
	t.Run("list_users is not paginated", func(t *testing.T) {
		h := newHarness(t, bigState(t, 1001), Options{})
		r := h.call("GET", "/acs/access_groups/list_users", map[string]any{"acs_access_group_id": grpLobby})
		if got := len(r.ids("acs_users", "acs_user_id")); got != 1001 {
			t.Errorf("list_users returned %d users, want 1001", got)
		}
	})
}

func TestMembershipIdempotence(t *testing.T) {
	h := newHarness(t, nil, Options{})
	before := h.srv.Memberships()
	for i := range 2 {
		if r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}); r.status != 200 {
			t.Fatalf("add %d: %d %s", i, r.status, r.raw)
		}
	}
	mid := h.srv.Memberships()
	if want := append(slices.Clone(before), Membership{grpGym, uBen}); !cmp.Equal(sortMemberships(want), mid) {
		t.Errorf("after two adds: %v, want %v", mid, want)
	}
	// remove twice; a DELETE whose fields are in a JSON body in between is
	// refused (DELETE is read from its query) and changes nothing
	if r := h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}); r.status != 200 {
		t.Fatalf("remove: %d %s", r.status, r.raw)
	}
	r := h.do(req{method: "DELETE", path: "/acs/access_groups/remove_user", body: `{"acs_access_group_id":"grp_gym","acs_user_id":"u_ben"}`, invalidReq: true})
	if r.status != 400 || r.errType() != "invalid_input" {
		t.Fatalf("remove with JSON body: %d %s, want 400 invalid_input", r.status, r.raw)
	}
	if r := h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}); r.status != 200 {
		t.Fatalf("second remove: %d %s", r.status, r.raw)
	}
	if got := h.srv.Memberships(); !cmp.Equal(got, before) {
		t.Errorf("after removes: %v, want %v", got, before)
	}
	log := h.srv.MembershipLog()
	var summary []string
	for _, c := range log {
		summary = append(summary, fmt.Sprintf("%d %s %s %s %v", c.Seq, c.Action, c.AccessGroupID, c.AcsUserID, c.Changed))
		if c.RequestID == "" {
			t.Errorf("log entry %d has no request id", c.Seq)
		}
	}
	want := []string{"1 add grp_gym u_ben true", "2 add grp_gym u_ben false", "3 remove grp_gym u_ben true", "4 remove grp_gym u_ben false"}
	if !cmp.Equal(summary, want) {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
}

func sortMemberships(m []Membership) []Membership {
	slices.SortFunc(m, func(a, b Membership) int {
		return strings.Compare(a.AcsAccessGroupID+"\x00"+a.AcsUserID, b.AcsAccessGroupID+"\x00"+b.AcsUserID)
	})
	return m
}

func TestAddByIdentity(t *testing.T) {
	cases := []struct {
		name, identity, wantAction string
		wantUser                   string // "" means a new user
	}{
		{"existing linked user", idAnn, "", uAnn},
		{"links by email, ignoring case", idBen, "linked", uBen},
		{"links by phone digits", idCarla, "linked", uCarla},
		{"creates a user", idDan, "created", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil, Options{})
			nUsers := len(h.srv.State().AcsUsers)
			r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "user_identity_id": c.identity})
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			userID := r.header.Get("X-Sandbox-Acs-User-Id")
			if c.wantUser != "" && userID != c.wantUser {
				t.Errorf("user %q, want %q", userID, c.wantUser)
			}
			if got := r.header.Get("X-Sandbox-Acs-User-Action"); got != c.wantAction {
				t.Errorf("action %q, want %q", got, c.wantAction)
			}
			if got := h.srv.MembershipLog()[0].UserAction; got != c.wantAction {
				t.Errorf("log user action %q, want %q", got, c.wantAction)
			}
			wantUsers := nUsers
			if c.wantUser == "" {
				wantUsers++
			}
			if got := len(h.srv.State().AcsUsers); got != wantUsers {
				t.Errorf("%d users, want %d", got, wantUsers)
			}
			// Later reads show the link and the membership.
			u := h.call("GET", "/acs/users/get", map[string]any{"acs_user_id": userID}).obj("acs_user")
			if u["user_identity_id"] != c.identity || u["acs_system_id"] != sysA {
				t.Errorf("user %v: want linked to %s in %s", u, c.identity, sysA)
			}
			id := h.call("GET", "/user_identities/get", map[string]any{"user_identity_id": c.identity}).obj("user_identity")
			if ids, _ := id["acs_user_ids"].([]any); !slices.Contains(ids, any(userID)) {
				t.Errorf("identity acs_user_ids %v lack %s", ids, userID)
			}
			members := h.call("GET", "/acs/access_groups/list_users", map[string]any{"acs_access_group_id": grpGym}).ids("acs_users", "acs_user_id")
			if !cmp.Equal(members, []string{userID}) {
				t.Errorf("gym members %v, want [%s]", members, userID)
			}
			byIdentity := h.call("GET", "/acs/users/list", map[string]any{"user_identity_id": c.identity, "acs_system_id": sysA}).ids("acs_users", "acs_user_id")
			if !cmp.Equal(byIdentity, []string{userID}) {
				t.Errorf("users of identity in %s: %v, want [%s]", sysA, byIdentity, userID)
			}
			if c.wantUser == "" && (u["email_address"] != "dan.novak@mail.example" || u["full_name"] != "Dan Novak") {
				t.Errorf("created user %v lacks the identity's name and email", u)
			}
			// Adding the identity again neither links nor creates.
			again := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpLobby, "user_identity_id": c.identity})
			if again.header.Get("X-Sandbox-Acs-User-Id") != userID || again.header.Get("X-Sandbox-Acs-User-Action") != "" {
				t.Errorf("second add went to %q (%q), want %q", again.header.Get("X-Sandbox-Acs-User-Id"), again.header.Get("X-Sandbox-Acs-User-Action"), userID)
			}
		})
	}
}

func TestUnmanagedGroups(t *testing.T) {
	h := newHarness(t, nil, Options{})
	r := h.call("GET", "/acs/access_groups/unmanaged/list", map[string]any{"acs_system_id": sysA})
	if got := r.ids("acs_access_groups", "acs_access_group_id"); !cmp.Equal(got, []string{grpLegacy}) {
		t.Errorf("unmanaged list = %v, want [%s]", got, grpLegacy)
	}
	if g := r.json["acs_access_groups"].([]any)[0].(map[string]any); g["is_managed"] != false {
		t.Errorf("is_managed = %v, want false", g["is_managed"])
	}
	if r := h.call("POST", "/acs/access_groups/unmanaged/list", map[string]any{"acs_user_id": uBen}); !cmp.Equal(r.ids("acs_access_groups", "acs_access_group_id"), []string{grpLegacy}) {
		t.Errorf("unmanaged groups of Ben = %v", r.ids("acs_access_groups", "acs_access_group_id"))
	}
	if r := h.call("GET", "/acs/access_groups/unmanaged/get", map[string]any{"acs_access_group_id": grpLegacy}); r.status != 200 || r.obj("acs_access_group")["name"] != "Legacy" {
		t.Errorf("unmanaged get: %d %s", r.status, r.raw)
	}
	if r := h.call("GET", "/acs/access_groups/unmanaged/get", map[string]any{"acs_access_group_id": grpLobby}); r.status != 404 || r.errType() != "acs_access_group_not_found" {
		t.Errorf("unmanaged get of a managed group: %d %s", r.status, r.raw)
	}
	for _, path := range []string{"/acs/access_groups/add_user", "/acs/access_groups/remove_user", "/acs/users/add_to_access_group", "/acs/users/remove_from_access_group"} {
		r := h.call("POST", path, map[string]any{"acs_access_group_id": grpLegacy, "acs_user_id": uAnn})
		msg, _ := r.obj("error")["message"].(string)
		if r.status != 400 || r.errType() != "invalid_input" || !strings.Contains(msg, "not managed") {
			t.Errorf("%s on an unmanaged group: %d %s", path, r.status, r.raw)
		}
	}
	if len(h.srv.MembershipLog()) != 0 {
		t.Errorf("refused changes were logged: %v", h.srv.MembershipLog())
	}
}

func TestPendingMutations(t *testing.T) {
	h := newHarness(t, nil, Options{PropagationDelay: time.Minute})
	pending := func(user string) []any {
		t.Helper()
		r := h.call("GET", "/acs/users/get", map[string]any{"acs_user_id": user})
		list, _ := r.obj("acs_user")["pending_mutations"].([]any)
		return list
	}
	h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
	// Membership is immediate.
	if got := h.call("GET", "/acs/access_groups/list_users", map[string]any{"acs_access_group_id": grpGym}).ids("acs_users", "acs_user_id"); !cmp.Equal(got, []string{uBen}) {
		t.Errorf("gym members %v, want [%s]", got, uBen)
	}
	want := map[string]any{
		"mutation_code": "updating_group_membership",
		"from":          map[string]any{"acs_access_group_id": nil},
		"to":            map[string]any{"acs_access_group_id": grpGym},
		"created_at":    "2026-05-01T12:00:00.000Z",
	}
	got := pending(uBen)
	if len(got) != 1 {
		t.Fatalf("pending mutations %v, want one", got)
	}
	m := got[0].(map[string]any)
	delete(m, "message")
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("pending mutation (-want +got):\n%s", diff)
	}
	h.clock.Advance(59 * time.Second)
	if got := pending(uBen); len(got) != 1 {
		t.Errorf("after 59 s: %v, want still pending", got)
	}
	h.clock.Advance(time.Second)
	if got := pending(uBen); len(got) != 0 {
		t.Errorf("after 60 s: %v, want none", got)
	}
	// Removal: from the group to null. A no-op gives no mutation.
	h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn})
	h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uAnn})
	got = pending(uAnn)
	if len(got) != 1 {
		t.Fatalf("pending after remove: %v, want one", got)
	}
	m = got[0].(map[string]any)
	if !cmp.Equal(m["from"], map[string]any{"acs_access_group_id": grpLobby}) || !cmp.Equal(m["to"], map[string]any{"acs_access_group_id": nil}) {
		t.Errorf("removal mutation %v", m)
	}

	t.Run("no delay, no mutations", func(t *testing.T) {
		h := newHarness(t, nil, Options{})
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		r := h.call("GET", "/acs/users/get", map[string]any{"acs_user_id": uBen})
		if list := r.obj("acs_user")["pending_mutations"].([]any); len(list) != 0 {
			t.Errorf("pending %v, want none", list)
		}
	})
}

func TestScriptedFailures(t *testing.T) {
	cases := []struct {
		name       string
		failure    string
		params     map[string]any
		wantStatus []int // statuses of three identical adds
		wantType   string
	}{
		{"user, twice", "user=u_ben:409:conflict:2", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}, []int{409, 409, 200}, "conflict"},
		{"group, always, default type", "group=grp_gym:404", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}, []int{404, 404, 404}, "acs_access_group_not_found"},
		{"email via identity, once", "email=BEN.GARCIA@harbortower.example:500::1", map[string]any{"acs_access_group_id": grpGym, "user_identity_id": idBen}, []int{500, 200, 200}, "internal_server_error"},
		{"other user unaffected", "user=u_carla:400:invalid_input", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}, []int{200, 200, 200}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseScriptedFailure(c.failure)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, nil, Options{Faults: Faults{Scripted: []ScriptedFailure{f}}})
			fails := 0
			for i, want := range c.wantStatus {
				r := h.call("PUT", "/acs/access_groups/add_user", c.params)
				if r.status != want {
					t.Fatalf("add %d: status %d, want %d: %s", i, r.status, want, r.raw)
				}
				if want != 200 {
					fails++
					if r.errType() != c.wantType {
						t.Errorf("add %d: type %q, want %q", i, r.errType(), c.wantType)
					}
				}
			}
			if got, want := len(h.srv.MembershipLog()), len(c.wantStatus)-fails; got != want {
				t.Errorf("%d changes logged, want %d (failed ones change nothing)", got, want)
			}
		})
	}
	t.Run("applies to removes and is lifted by SetFaults", func(t *testing.T) {
		h := newHarness(t, nil, Options{Faults: Faults{Scripted: []ScriptedFailure{{AcsUserID: uAnn, Status: 503}}}})
		r := h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn})
		if r.status != 503 || r.errType() != "service_unavailable" {
			t.Fatalf("remove: %d %s", r.status, r.raw)
		}
		if err := h.srv.SetFaults(Faults{}); err != nil {
			t.Fatal(err)
		}
		if r := h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn}); r.status != 200 {
			t.Fatalf("remove after lifting: %d %s", r.status, r.raw)
		}
	})
}

func TestParseScriptedFailure(t *testing.T) {
	cases := []struct {
		in      string
		want    ScriptedFailure
		wantErr string
	}{
		{in: "user=acs_user_12:400:invalid_input", want: ScriptedFailure{AcsUserID: "acs_user_12", Status: 400, Type: "invalid_input"}},
		{in: "group=g1:500::3", want: ScriptedFailure{AccessGroupID: "g1", Status: 500, Times: 3}},
		{in: "email=ann@x.example:404", want: ScriptedFailure{Email: "ann@x.example", Status: 404}},
		{in: "user=u1", wantErr: "want KIND=VALUE"},
		{in: "person=u1:400", wantErr: "kind \"person\""},
		{in: "user=u1:200", wantErr: "from 400 to 599"},
		{in: "user=:400", wantErr: "empty user"},
		{in: "user=u1:400:x:-1", wantErr: "times"},
		{in: "u1:400", wantErr: "want KIND=VALUE"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseScriptedFailure(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if back, _ := ParseScriptedFailure(got.String()); back != got {
				t.Errorf("String() %q does not parse back", got.String())
			}
		})
	}
}

func TestErrorRate(t *testing.T) {
	h := newHarness(t, nil, Options{Seed: 1, Faults: Faults{ErrorRate: 1}})
	kinds := map[string]int{}
	for range 40 {
		r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		switch {
		case r.status == 500 && r.errType() == "internal_server_error":
			kinds["500 json"]++
		case r.status == 503 && r.errType() == "service_unavailable":
			kinds["503 json"]++
		case r.status == 503 && len(r.raw) == 0:
			kinds["503 empty"]++
		default:
			t.Fatalf("unexpected answer %d %q", r.status, r.raw)
		}
	}
	if len(kinds) != 3 {
		t.Errorf("kinds of errors seen %v, want all three", kinds)
	}
	if len(h.srv.MembershipLog()) != 0 {
		t.Error("a failed request changed the state")
	}
	h.srv.SetFaults(Faults{})
	if r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}); r.status != 200 {
		t.Errorf("after lifting faults: %d", r.status)
	}

	t.Run("after commit", func(t *testing.T) {
		h := newHarness(t, nil, Options{Faults: Faults{ErrorRate: 1, FailAfterCommit: true}})
		r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		if r.status < 500 {
			t.Fatalf("status %d, want 5xx", r.status)
		}
		if !slices.Contains(h.srv.Memberships(), Membership{grpGym, uBen}) {
			t.Error("the change was not applied before the error")
		}
		// Reads still fail before doing anything.
		if r := h.call("GET", "/acs/systems/list", nil); r.status < 500 {
			t.Errorf("read: %d, want 5xx", r.status)
		}
	})

	t.Run("same seed, same run", func(t *testing.T) {
		run := func() []int {
			h := newHarness(t, nil, Options{Seed: 42, Faults: Faults{ErrorRate: 0.5}})
			var out []int
			for range 30 {
				out = append(out, h.call("GET", "/acs/systems/list", nil).status)
			}
			return out
		}
		if a, b := run(), run(); !cmp.Equal(a, b) {
			t.Errorf("two runs with one seed differ:\n%v\n%v", a, b)
		}
	})
}

func TestDropRate(t *testing.T) {
	srv := New(testState(t), Options{Faults: Faults{DropRate: 1}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := ts.Client()
	r, _ := http.NewRequest("GET", ts.URL+"/acs/systems/list", nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := client.Do(r)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response %d, want a transport error", resp.StatusCode)
	}
	if st := srv.Stats(); st.ByStatus[0] != 1 {
		t.Errorf("stats %v, want one dropped request (status 0)", st.ByStatus)
	}
	// Without a hijackable connection the handler aborts.
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r.Clone(context.Background()))
	}()
	if err := srv.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	resp, err = client.Do(r.Clone(context.Background()))
	if err != nil {
		t.Fatalf("after lifting: %v", err)
	}
	if m := decodeBody(t, resp); resp.StatusCode != 200 || m["ok"] != true {
		t.Errorf("after lifting: %d %v", resp.StatusCode, m)
	}
}

func TestRateLimit(t *testing.T) {
	cases := []struct {
		limit      float64
		burst      int
		wantRetry  string
		advance    time.Duration
		allowedRun int
	}{
		{limit: 1, burst: 1, wantRetry: "1", advance: time.Second, allowedRun: 1},
		{limit: 0.5, burst: 1, wantRetry: "2", advance: 2 * time.Second, allowedRun: 1},
		{limit: 10, burst: 3, wantRetry: "1", advance: 100 * time.Millisecond, allowedRun: 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/s burst %d", c.limit, c.burst), func(t *testing.T) {
			h := newHarness(t, nil, Options{Faults: Faults{RateLimit: c.limit, RateBurst: c.burst}})
			for i := range c.allowedRun {
				if r := h.call("GET", "/acs/systems/list", nil); r.status != 200 {
					t.Fatalf("request %d: %d", i, r.status)
				}
			}
			r := h.call("GET", "/acs/systems/list", nil)
			if r.status != 429 || r.errType() != "rate_limited" || r.header.Get("Retry-After") != c.wantRetry {
				t.Fatalf("over the limit: %d %q Retry-After %q, want 429 rate_limited %s", r.status, r.errType(), r.header.Get("Retry-After"), c.wantRetry)
			}
			h.clock.Advance(c.advance)
			if r := h.call("GET", "/acs/systems/list", nil); r.status != 200 {
				t.Errorf("after waiting: %d", r.status)
			}
		})
	}
	t.Run("lifted", func(t *testing.T) {
		h := newHarness(t, nil, Options{Faults: Faults{RateLimit: 1}})
		h.call("GET", "/acs/systems/list", nil)
		if r := h.call("GET", "/acs/systems/list", nil); r.status != 429 {
			t.Fatalf("second request: %d, want 429", r.status)
		}
		h.srv.SetFaults(Faults{})
		for range 5 {
			if r := h.call("GET", "/acs/systems/list", nil); r.status != 200 {
				t.Fatalf("after lifting: %d", r.status)
			}
		}
	})
}

func TestLatencyEndsWithContext(t *testing.T) {
	srv := New(testState(t), Options{Faults: Faults{Latency: time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequestWithContext(ctx, "GET", "/acs/systems/list", nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	done := make(chan struct{})
	go func() {
		srv.ServeHTTP(httptest.NewRecorder(), r)
		close(done)
	}()
	cancel()
	<-done // would hang for an hour if the wait ignored the context
	if st := srv.Stats(); st.ByStatus[499] != 1 {
		t.Errorf("stats %v, want one request ended by the client (499)", st.ByStatus)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	h := newHarness(t, nil, Options{})
	r := h.do(req{method: "GET", path: "/acs/nope"})
	if r.status != 404 || string(r.raw) != "Not Found" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("unknown route: %d %q %q", r.status, r.raw, r.header.Get("Content-Type"))
	}
	r = h.do(req{method: "DELETE", path: "/acs/systems/list"})
	if r.status != 405 || r.header.Get("Allow") != "GET, POST" || r.errType() != "method_not_allowed" {
		t.Errorf("wrong method: %d %q %s", r.status, r.header.Get("Allow"), r.raw)
	}
	r = h.do(req{method: "POST", path: "/acs/systems/get", body: `{"acs_system_id":`, invalidReq: true})
	if r.status != 400 || r.errType() != "invalid_input" {
		t.Errorf("bad JSON: %d %s", r.status, r.raw)
	}
	r = h.do(req{method: "POST", path: "/acs/systems/get", body: `{"acs_system_id": 7}`, invalidReq: true})
	if ve := r.obj("error")["validation_errors"]; r.status != 400 || !cmp.Equal(ve, map[string]any{"_errors": []any{}, "acs_system_id": map[string]any{"_errors": []any{"Expected string, received number"}}}) {
		t.Errorf("wrong type: %d %s", r.status, r.raw)
	}
	st := h.srv.Stats()
	want := Stats{Requests: 4, ByRoute: map[string]int{"unknown": 1, "/acs/systems/list": 1, "/acs/systems/get": 2},
		ByStatus:      map[int]int{404: 1, 405: 1, 400: 2},
		ByRouteStatus: map[string]map[int]int{"unknown": {404: 1}, "/acs/systems/list": {405: 1}, "/acs/systems/get": {400: 2}}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	h := newHarness(t, nil, Options{})
	seen := map[string]bool{}
	for range 100 {
		id := h.call("GET", "/acs/systems/list", nil).header.Get("seam-request-id")
		if !strings.HasPrefix(id, "req_") || seen[id] {
			t.Fatalf("request id %q repeated or malformed", id)
		}
		seen[id] = true
	}
	if id := h.do(req{method: "GET", path: "/nope"}).header.Get("seam-request-id"); id == "" || seen[id] {
		t.Errorf("unknown route request id %q", id)
	}
}

func TestConcurrentChanges(t *testing.T) {
	st := bigState(t, 200)
	st.AcsAccessGroups = append(st.AcsAccessGroups, AcsAccessGroup{AcsAccessGroupID: grpGym, AcsSystemID: sysA, Name: "Gym"})
	srv := New(st, Options{PropagationDelay: time.Second})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 600) // room for every request's error: a full channel would hang the test
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 200; i += 8 {
				for _, q := range []struct{ method, path string }{
					{"PUT", "/acs/access_groups/add_user"},
					{"DELETE", "/acs/access_groups/remove_user"},
					{"GET", "/acs/access_groups/list_users"},
				} {
					// The forms Seam's SDKs send: PUT with a JSON body, DELETE
					// and GET with a query.
					target := ts.URL + q.path
					var rd io.Reader
					switch q.method {
					case "PUT":
						rd = strings.NewReader(fmt.Sprintf(`{"acs_access_group_id":%q,"acs_user_id":"u%05d"}`, grpGym, i))
					case "DELETE":
						target += fmt.Sprintf("?acs_access_group_id=%s&acs_user_id=u%05d", grpGym, i)
					default:
						target += "?acs_access_group_id=" + grpGym
					}
					r, _ := http.NewRequest(q.method, target, rd)
					r.Header.Set("Authorization", "Bearer "+testKey)
					if rd != nil {
						r.Header.Set("Content-Type", "application/json")
					}
					resp, err := ts.Client().Do(r)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Errorf("%s %s: %d", q.method, q.path, resp.StatusCode)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	log := srv.MembershipLog()
	if len(log) != 400 {
		t.Errorf("%d changes logged, want 400", len(log))
	}
	for i, c := range log {
		if c.Seq != i+1 || !c.Changed {
			t.Errorf("log[%d] = %+v", i, c)
		}
	}
	for _, m := range srv.Memberships() {
		if m.AcsAccessGroupID == grpGym {
			t.Errorf("%s left in gym", m.AcsUserID)
		}
	}
	if st := srv.Stats(); st.Requests != 600 || st.ByStatus[200] != 600 {
		t.Errorf("stats %+v", st)
	}
}
