package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The sandbox is as strict as Seam's route framework (nextlove). Each test
// here sends a request acs-bulk's client never sends, through the raw
// handler, and asserts the exact answer and that nothing changed.

// refused is the answer to a refused request.
type refused struct {
	status     int
	typ        string
	message    string
	validation map[string]any // nil: not checked
}

func (h *harness) wantRefused(t *testing.T, q req, want refused) {
	t.Helper()
	q.invalidReq = true
	before := h.srv.Memberships()
	logBefore := len(h.srv.MembershipLog())
	r := h.do(q)
	if r.status != want.status || r.errType() != want.typ {
		t.Fatalf("%s %s: %d %s, want %d %s", q.method, q.path, r.status, r.raw, want.status, want.typ)
	}
	if msg, _ := r.obj("error")["message"].(string); want.message != "" && msg != want.message {
		t.Errorf("message %q, want %q", msg, want.message)
	}
	if want.validation != nil {
		if diff := cmp.Diff(want.validation, r.obj("error")["validation_errors"]); diff != "" {
			t.Errorf("validation_errors (-want +got):\n%s", diff)
		}
	}
	if r.json["ok"] != false {
		t.Errorf("ok = %v, want false", r.json["ok"])
	}
	if got := h.srv.Memberships(); !cmp.Equal(got, before) || len(h.srv.MembershipLog()) != logBefore {
		t.Errorf("a refused request changed the memberships: %v", got)
	}
}

// ve builds zod's format() of field problems: {"_errors": [], field: {"_errors": [msgs]}}.
func ve(root []string, fields map[string][]string) map[string]any {
	m := map[string]any{"_errors": toAny(root)}
	for k, v := range fields {
		m[k] = map[string]any{"_errors": toAny(v)}
	}
	return m
}

func toAny(s []string) []any {
	out := []any{}
	for _, x := range s {
		out = append(out, x)
	}
	return out
}

func TestStrictParametersAreReadWhereTheMethodPutsThem(t *testing.T) {
	addBody := `{"acs_access_group_id":"grp_gym","acs_user_id":"u_ben"}`
	addQuery := url.Values{"acs_access_group_id": {grpGym}, "acs_user_id": {uBen}}
	cases := []struct {
		name string
		q    req
		want refused
	}{
		{"PUT with its fields in the query", req{method: "PUT", path: "/acs/access_groups/add_user", query: addQuery},
			refused{400, "invalid_input", "3 Input Errors: acs_access_group_id is required, Sent in the query string; PUT requests take their parameters in the JSON body for \"acs_access_group_id\", Sent in the query string; PUT requests take their parameters in the JSON body for \"acs_user_id\"",
				ve(nil, map[string][]string{
					"acs_access_group_id": {"Required", "Sent in the query string; PUT requests take their parameters in the JSON body"},
					"acs_user_id":         {"Sent in the query string; PUT requests take their parameters in the JSON body"},
				})}},
		{"POST list with a filter in the query", req{method: "POST", path: "/acs/users/list", query: url.Values{"acs_system_id": {sysA}}, body: `{}`},
			refused{400, "invalid_input", `Sent in the query string; POST requests take their parameters in the JSON body for "acs_system_id"`, nil}},
		{"DELETE with its fields in a JSON body", req{method: "DELETE", path: "/acs/access_groups/remove_user", body: `{"acs_access_group_id":"grp_lobby","acs_user_id":"u_ann"}`},
			refused{400, "invalid_input", "2 Input Errors: DELETE requests take their parameters in the query string; the request body is not read, acs_access_group_id is required",
				ve([]string{"DELETE requests take their parameters in the query string; the request body is not read"}, map[string][]string{"acs_access_group_id": {"Required"}})}},
		{"DELETE with a query and a body", req{method: "DELETE", path: "/acs/access_groups/remove_user", query: url.Values{"acs_access_group_id": {grpLobby}, "acs_user_id": {uAnn}}, body: `{"acs_user_id":"u_ann"}`},
			refused{400, "invalid_input", "DELETE requests take their parameters in the query string; the request body is not read", nil}},
		{"GET with its fields in a JSON body", req{method: "GET", path: "/acs/systems/get", body: `{"acs_system_id":"sys_harbor"}`},
			refused{400, "invalid_input", "2 Input Errors: GET requests take their parameters in the query string; the request body is not read, acs_system_id is required", nil}},
		{"PUT without Content-Type", req{method: "PUT", path: "/acs/access_groups/add_user", body: addBody, contentType: "none"},
			refused{400, "invalid_content_type", `PUT requests must have Content-Type header with "application/json"`, nil}},
		{"POST as text/plain", req{method: "POST", path: "/acs/access_groups/add_user", body: addBody, contentType: "text/plain"},
			refused{400, "invalid_content_type", `POST requests must have Content-Type header with "application/json"`, nil}},
		{"POST as a form", req{method: "POST", path: "/acs/access_groups/remove_user", body: "acs_access_group_id=grp_lobby&acs_user_id=u_ann", contentType: "application/x-www-form-urlencoded"},
			refused{400, "invalid_content_type", `POST requests must have Content-Type header with "application/json"`, nil}},
		{"a JSON body that is not an object", req{method: "PUT", path: "/acs/access_groups/add_user", body: `["grp_gym","u_ben"]`},
			refused{400, "invalid_input", "Expected object, received array", ve([]string{"Expected object, received array"}, nil)}},
		{"a body that is not JSON", req{method: "PUT", path: "/acs/access_groups/add_user", body: `{"acs_access_group_id":`},
			refused{400, "invalid_input", "the request body is not valid JSON: unexpected EOF", ve([]string{"the request body is not valid JSON: unexpected EOF"}, nil)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil, Options{})
			h.wantRefused(t, c.q, c.want)
		})
	}
	t.Run("the forms the client sends are accepted", func(t *testing.T) {
		h := newHarness(t, nil, Options{})
		for _, q := range []req{
			{method: "PUT", path: "/acs/access_groups/add_user", body: addBody},
			{method: "POST", path: "/acs/access_groups/add_user", body: addBody, contentType: "application/json; charset=utf-8"},
			{method: "DELETE", path: "/acs/access_groups/remove_user", query: url.Values{"acs_access_group_id": {grpLobby}, "acs_user_id": {uAnn}}},
			{method: "GET", path: "/acs/systems/get", query: url.Values{"acs_system_id": {sysA}}},
			{method: "POST", path: "/acs/systems/list", contentType: "none"}, // no body at all reads as {}
		} {
			if r := h.do(q); r.status != 200 {
				t.Errorf("%s %s: %d %s", q.method, q.path, r.status, r.raw)
			}
		}
		if got := h.srv.Memberships(); !cmp.Equal(got, []Membership{{grpGate, uAnnB}, {grpGym, uBen}, {grpLegacy, uBen}}) {
			t.Errorf("memberships %v", got)
		}
	})
}

func TestStrictValidation(t *testing.T) {
	cases := []struct {
		name string
		q    req
		want refused
	}{
		{"unknown query parameter, with the typo of a real one", req{method: "GET", path: "/acs/access_groups/list", query: url.Values{"acs_sytem_id": {sysA}}},
			refused{400, "invalid_input", "Unrecognized key(s) in object: 'acs_sytem_id'", ve([]string{"Unrecognized key(s) in object: 'acs_sytem_id'"}, nil)}},
		{"unknown body fields", req{method: "PUT", path: "/acs/access_groups/add_user", body: `{"acs_access_group_id":"grp_gym","acs_user_id":"u_ben","role":"admin","force":true}`},
			refused{400, "invalid_input", "Unrecognized key(s) in object: 'force', 'role'", ve([]string{"Unrecognized key(s) in object: 'force', 'role'"}, nil)}},
		{"a field of another route", req{method: "DELETE", path: "/acs/access_groups/remove_user", query: url.Values{"acs_access_group_id": {grpLobby}, "acs_user_id": {uAnn}, "acs_system_id": {sysA}}},
			refused{400, "invalid_input", "Unrecognized key(s) in object: 'acs_system_id'", nil}},
		{"brackets on a scalar", req{method: "GET", path: "/acs/access_groups/list", query: url.Values{"acs_system_id[]": {sysA}}},
			refused{400, "invalid_input", "Unrecognized key(s) in object: 'acs_system_id[]'", nil}},
		{"missing required", req{method: "PUT", path: "/acs/users/add_to_access_group", body: `{}`},
			refused{400, "invalid_input", "2 Input Errors: acs_access_group_id is required, acs_user_id is required",
				ve(nil, map[string][]string{"acs_access_group_id": {"Required"}, "acs_user_id": {"Required"}})}},
		{"a number for a string", req{method: "PUT", path: "/acs/access_groups/add_user", body: `{"acs_access_group_id":7,"acs_user_id":"u_ben"}`},
			refused{400, "invalid_input", `Expected string, received number for "acs_access_group_id"`, ve(nil, map[string][]string{"acs_access_group_id": {"Expected string, received number"}})}},
		{"null for a string", req{method: "PUT", path: "/acs/access_groups/add_user", body: `{"acs_access_group_id":"grp_gym","acs_user_id":null,"user_identity_id":"id_ben"}`},
			refused{400, "invalid_input", `Expected string, received null for "acs_user_id"`, nil}},
		{"a string for a number in a body", req{method: "POST", path: "/acs/users/list", body: `{"limit":"3"}`},
			refused{400, "invalid_input", `Expected number, received string for "limit"`, nil}},
		{"not a number in a query", req{method: "GET", path: "/acs/users/list", query: url.Values{"limit": {"ten"}}},
			refused{400, "invalid_input", `Expected number, received nan for "limit"`, nil}},
		{"a fraction", req{method: "GET", path: "/user_identities/list", query: url.Values{"limit": {"2.5"}}},
			refused{400, "invalid_input", `Expected integer, received float for "limit"`, nil}},
		{"a repeated scalar", req{method: "GET", path: "/acs/access_groups/get", query: url.Values{"acs_access_group_id": {grpGym, grpLobby}}},
			refused{400, "invalid_input", `Expected string, received array for "acs_access_group_id"`, nil}},
		{"a string for an array", req{method: "POST", path: "/acs/users/create", body: `{"acs_system_id":"sys_harbor","full_name":"Eve","acs_access_group_ids":"grp_gym"}`},
			refused{400, "invalid_input", `Expected array, received string for "acs_access_group_ids"`, nil}},
		{"a bad array item", req{method: "POST", path: "/acs/users/create", body: `{"acs_system_id":"sys_harbor","full_name":"Eve","acs_access_group_ids":["grp_gym",3]}`},
			refused{400, "invalid_input", `Expected string, received number for "acs_access_group_ids.1"`,
				map[string]any{"_errors": []any{}, "acs_access_group_ids": map[string]any{"_errors": []any{}, "1": map[string]any{"_errors": []any{"Expected string, received number"}}}}}},
		{"a bad date", req{method: "GET", path: "/acs/users/list", query: url.Values{"created_before": {"yesterday"}}},
			refused{400, "invalid_input", `Invalid datetime for "created_before"`, nil}},
		{"an empty search", req{method: "POST", path: "/acs/access_groups/list", body: `{"search":""}`},
			refused{400, "invalid_input", `String must contain at least 1 character(s) for "search"`, nil}},
		{"an access schedule of the wrong shape", req{method: "POST", path: "/acs/users/create", body: `{"acs_system_id":"sys_harbor","full_name":"Eve","access_schedule":{"starts_at":"soon","until":"x"}}`},
			refused{400, "invalid_input", `2 Input Errors: Unrecognized key(s) in object: 'until' for "access_schedule", Invalid datetime for "access_schedule.starts_at"`, nil}},
		{"every problem at once", req{method: "POST", path: "/acs/users/create", body: `{"acs_system_id":5,"nickname":"E"}`},
			refused{400, "invalid_input", `3 Input Errors: Unrecognized key(s) in object: 'nickname', Expected string, received number for "acs_system_id", full_name is required`,
				ve([]string{"Unrecognized key(s) in object: 'nickname'"}, map[string][]string{"acs_system_id": {"Expected string, received number"}, "full_name": {"Required"}})}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil, Options{})
			h.wantRefused(t, c.q, c.want)
			if c.q.path == "/acs/users/create" && len(h.srv.State().AcsUsers) != 4 {
				t.Error("a refused create made a user")
			}
		})
	}
	t.Run("array forms of a query", func(t *testing.T) {
		h := newHarness(t, nil, Options{})
		for _, q := range []url.Values{
			{"user_identity_ids": {idBen, idDan}},
			{"user_identity_ids[]": {idBen, idDan}},
			{"user_identity_ids": {idBen + "," + idDan}},
		} {
			r := h.do(req{method: "GET", path: "/user_identities/list", query: q, invalidReq: true})
			if got := r.ids("user_identities", "user_identity_id"); r.status != 200 || !cmp.Equal(got, []string{idBen, idDan}) {
				t.Errorf("%v: %d %v", q, r.status, got)
			}
		}
		// The form Seam's serializer gives an empty array (the document allows no empty value).
		r := h.do(req{method: "GET", path: "/user_identities/list", query: url.Values{"user_identity_ids": {""}}, invalidReq: true})
		if got := r.ids("user_identities", "user_identity_id"); r.status != 200 || len(got) != 0 {
			t.Errorf("user_identity_ids= (the empty array): %d %v, want none", r.status, got)
		}
		h.wantRefused(t, req{method: "GET", path: "/user_identities/list", query: url.Values{"user_identity_ids": {idBen}, "user_identity_ids[]": {idDan}}},
			refused{400, "invalid_input", `Given twice (as user_identity_ids and user_identity_ids[]) for "user_identity_ids"`, nil})
	})
	t.Run("null page_cursor is no cursor", func(t *testing.T) {
		h := newHarness(t, nil, Options{})
		if r := h.do(req{method: "POST", path: "/acs/users/list", body: `{"page_cursor":null,"limit":2}`}); r.status != 200 || len(r.ids("acs_users", "acs_user_id")) != 2 {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
}

func TestStrictAuthenticationComesFirst(t *testing.T) {
	h := newHarness(t, nil, Options{})
	// No key and a wrong method: 401, not 405.
	r := h.do(req{method: "PATCH", path: "/acs/systems/list", noAuth: true})
	if r.status != 401 || r.errType() != "unauthorized" || r.header.Get("Allow") != "" {
		t.Errorf("no key, wrong method: %d %s (Allow %q), want 401 unauthorized", r.status, r.raw, r.header.Get("Allow"))
	}
	r = h.do(req{method: "DELETE", path: "/acs/users/create", header: map[string]string{"Authorization": "Bearer seam_wrong"}})
	if r.status != 401 || r.errType() != "unauthorized" {
		t.Errorf("wrong key, wrong method: %d %s, want 401", r.status, r.raw)
	}
	// No key and a bad body: 401, before the body is looked at.
	r = h.do(req{method: "PUT", path: "/acs/access_groups/add_user", noAuth: true, body: "x", contentType: "text/plain"})
	if r.status != 401 {
		t.Errorf("no key, bad content type: %d %s, want 401", r.status, r.raw)
	}
	// A key and a wrong method: 405, with Seam's message.
	r = h.do(req{method: "PATCH", path: "/acs/access_groups/remove_user"})
	if msg, _ := r.obj("error")["message"].(string); r.status != 405 || r.errType() != "method_not_allowed" || msg != "only POST,DELETE accepted" {
		t.Errorf("wrong method: %d %s", r.status, r.raw)
	}
	// An unknown route is a bare 404, with or without a key.
	for _, noAuth := range []bool{false, true} {
		r := h.do(req{method: "POST", path: "/acs/access_groups/add_users", noAuth: noAuth})
		if r.status != 404 || string(r.raw) != "Not Found" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("unknown route (no key %v): %d %q %q", noAuth, r.status, r.raw, r.header.Get("Content-Type"))
		}
	}
}

// TestStrictIDsAreOpaque: ids of any form load and work, as on Seam's own
// fake (acs_user1); nothing is refused for its format.
func TestStrictIDsAreOpaque(t *testing.T) {
	ids := []string{"acs_user1", "0", "группа 7", "a/b?c=d&e", strings.Repeat("x", 300), "9b0c8b8e-1d3a-4a35-9f7e-2e8f0c7f5a10"}
	st := &State{WorkspaceID: "workspace1", APIKeys: []string{testKey},
		AcsSystems: []AcsSystem{{AcsSystemID: "acs_system1", Name: "Site"}}}
	for i, id := range ids {
		st.AcsAccessGroups = append(st.AcsAccessGroups, AcsAccessGroup{AcsAccessGroupID: "g:" + id, AcsSystemID: "acs_system1", Name: "G" + string(rune('A'+i))})
		st.AcsUsers = append(st.AcsUsers, AcsUser{AcsUserID: id, AcsSystemID: "acs_system1"})
	}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, loaded, Options{})
	for _, id := range ids {
		if r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": "g:" + id, "acs_user_id": id}); r.status != 200 {
			t.Errorf("add %q: %d %s", id, r.status, r.raw)
		}
		if got := h.call("GET", "/acs/access_groups/list_users", map[string]any{"acs_access_group_id": "g:" + id}).ids("acs_users", "acs_user_id"); !cmp.Equal(got, []string{id}) {
			t.Errorf("members of %q: %v", "g:"+id, got)
		}
		if r := h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": "g:" + id, "acs_user_id": id}); r.status != 200 {
			t.Errorf("remove %q: %d %s", id, r.status, r.raw)
		}
	}
	if got := h.srv.Memberships(); len(got) != 0 {
		t.Errorf("memberships left: %v", got)
	}
	// The same through a real server, query escaping and all.
	ts := httptest.NewServer(h.srv)
	defer ts.Close()
	r, _ := http.NewRequest("GET", ts.URL+"/acs/users/get?"+url.Values{"acs_user_id": {"a/b?c=d&e"}}.Encode(), nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if m := decodeBody(t, resp); resp.StatusCode != 200 || m["acs_user"].(map[string]any)["acs_user_id"] != "a/b?c=d&e" {
		t.Errorf("get by an id with URL characters: %d %v", resp.StatusCode, m)
	}
}

// TestRoutesMatchTheDocument holds every route's parameters to the OpenAPI
// document: the names, where each method reads them, which are required and
// their types.
func TestRoutesMatchTheDocument(t *testing.T) {
	h := newHarness(t, nil, Options{})
	kinds := map[kind]struct{ typ, format, item string }{
		kString: {"string", "", ""}, kNullable: {"string", "", ""}, kStrings: {"array", "", "string"},
		kPosInt: {"integer", "", ""}, kTime: {"string", "date-time", ""}, kSchedule: {"object", "", ""},
	}
	for _, path := range Routes() {
		rt := routes[path]
		for _, m := range rt.methods {
			doc, ok := h.spec.Operation(m, path)
			if !ok {
				t.Errorf("%s %s: not in the document", m, path)
				continue
			}
			if m == http.MethodGet && path == "/user_identities/get" && len(doc) == 0 {
				continue // the document lists none (see the route's comment)
			}
			in := "query"
			if m == http.MethodPost || m == http.MethodPut {
				in = "body"
			}
			got := map[string]bool{}
			for _, p := range rt.params {
				got[p.name] = true
				d, ok := doc[p.name]
				if !ok {
					t.Errorf("%s %s: the sandbox reads %s, the document has no such parameter", m, path, p.name)
					continue
				}
				want := kinds[p.kind]
				if d.In != in || d.Required != p.required || d.Type != want.typ || d.ItemType != want.item ||
					(want.format != "" && d.Format != want.format) || (d.MinLength == 1) != p.nonEmpty || (d.Nullable != (p.kind == kNullable)) {
					t.Errorf("%s %s: %s is %+v in the document, the sandbox reads %+v", m, path, p.name, d, p)
				}
			}
			for name := range doc {
				if !got[name] {
					t.Errorf("%s %s: the document has %s, the sandbox does not read it", m, path, name)
				}
			}
		}
	}
}
