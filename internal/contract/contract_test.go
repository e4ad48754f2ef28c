package contract

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContract(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	okSystem := `{"ok":true,"acs_systems":[{"acs_system_id":"acs_system1","name":"Harbor Tower","is_credential_manager":false,"location":{"time_zone":null},"created_at":"2026-01-02T03:04:05.000Z","workspace_id":"ws1","connected_account_ids":["ca1"],"connected_account_id":"ca1","image_url":"https://example.com/x.png","image_alt_text":"x","errors":[],"warnings":[]}]}`
	okGroup := `{"ok":true,"acs_access_group":{"acs_access_group_id":"g1","acs_system_id":"s1","workspace_id":"ws1","connected_account_id":"ca1","name":"Lobby","access_group_type":"brivo_group","access_group_type_display_name":"Brivo Group","display_name":"Lobby","external_type":"brivo_group","external_type_display_name":"Brivo Group","created_at":"2026-01-02T03:04:05.000Z","errors":[],"warnings":[],"pending_mutations":[],"is_managed":true}}`
	cases := []struct {
		name, method, target, auth, body string
		status                           int
		respBody                         string
		wantReq, wantResp                string // substring of the error; "" means valid
	}{
		{"valid list", "GET", "/acs/systems/list", "Bearer seam_x", "", 200, okSystem, "", ""},
		{"missing required field in response", "GET", "/acs/systems/list", "Bearer seam_x", "", 200, strings.Replace(okSystem, `"name":"Harbor Tower",`, "", 1), "", "name"},
		{"undocumented status passes", "GET", "/acs/systems/list", "Bearer seam_x", "", 429, `{"error":{"type":"rate_limited","message":"slow down"},"ok":false}`, "", ""},
		{"no auth header", "GET", "/acs/systems/list", "", "", 200, okSystem, "security", ""},
		{"unknown route", "GET", "/acs/nope", "Bearer seam_x", "", 404, "", "no such route", "no such route"},
		{"body missing required field", "POST", "/acs/access_groups/add_user", "Bearer seam_x", `{"acs_user_id":"u1"}`, 200, `{"ok":true}`, "acs_access_group_id", ""},
		{"non-uuid ids are accepted", "PUT", "/acs/access_groups/add_user", "Bearer seam_x", `{"acs_access_group_id":"acs_access_group1","acs_user_id":"acs_user1"}`, 200, `{"ok":true}`, "", ""},
		{"group with errors and pending mutations", "GET", "/acs/access_groups/get?acs_access_group_id=g1", "Bearer seam_x", "", 200, okGroup, "", ""},
		{"group without pending_mutations", "GET", "/acs/access_groups/get?acs_access_group_id=g1", "Bearer seam_x", "", 200, strings.Replace(okGroup, `"pending_mutations":[],`, "", 1), "", "pending_mutations"},
		{"group without errors", "GET", "/acs/access_groups/get?acs_access_group_id=g1", "Bearer seam_x", "", 200, strings.Replace(okGroup, `"errors":[],`, "", 1), "", "errors"},
		{"unmanaged group must say is_managed false", "GET", "/acs/access_groups/unmanaged/get?acs_access_group_id=g1", "Bearer seam_x", "", 200, okGroup, "", "is_managed"},
		{"error envelope", "GET", "/acs/systems/list", "Bearer seam_x", "", 404, `{"error":{"type":"acs_system_not_found","message":"no"},"ok":false}`, "", ""},
		{"error with validation errors and data", "PUT", "/acs/access_groups/add_user", "Bearer seam_x", `{"acs_access_group_id":"g1","acs_user_id":"u1"}`, 400, `{"error":{"type":"invalid_input","message":"m","validation_errors":{"_errors":[]},"data":{"x":1}},"ok":false}`, "", ""},
		{"error without type", "GET", "/acs/systems/list", "Bearer seam_x", "", 500, `{"error":{"message":"boom"},"ok":false}`, "", "error.type"},
		{"error without ok false", "GET", "/acs/systems/list", "Bearer seam_x", "", 400, `{"error":{"type":"invalid_input","message":"m"}}`, "", `"ok": false`},
		{"validation_errors not an object", "GET", "/acs/systems/list", "Bearer seam_x", "", 400, `{"error":{"type":"invalid_input","message":"m","validation_errors":["x"]},"ok":false}`, "", "validation_errors"},
		{"empty 503 passes", "GET", "/acs/systems/list", "Bearer seam_x", "", 503, ``, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://127.0.0.1:8787"+c.target, strings.NewReader(c.body))
			if c.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			check := func(what string, err error, want string) {
				t.Helper()
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: unexpected error: %v", what, err)
				case want != "" && err == nil:
					t.Errorf("%s: passed, want an error mentioning %q", what, want)
				case want != "" && !strings.Contains(err.Error(), want):
					t.Errorf("%s: error %q does not mention %q", what, err, want)
				}
			}
			check("request", s.ValidateRequest(r, []byte(c.body)), c.wantReq)
			h := map[string][]string{"Content-Type": {"application/json"}}
			check("response", s.ValidateResponse(r, []byte(c.body), c.status, h, []byte(c.respBody)), c.wantResp)
		})
	}
}

func TestOperationAndSchemaProperties(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	del, ok := s.Operation("DELETE", "/acs/access_groups/remove_user")
	if !ok {
		t.Fatal("no DELETE /acs/access_groups/remove_user")
	}
	want := map[string]Param{
		"acs_access_group_id": {In: "query", Required: true, Type: "string", Format: "uuid"},
		"acs_user_id":         {In: "query", Type: "string", Format: "uuid"},
		"user_identity_id":    {In: "query", Type: "string", Format: "uuid"},
	}
	if diff := cmp.Diff(want, del); diff != "" {
		t.Errorf("DELETE remove_user (-want +got):\n%s", diff)
	}
	list, _ := s.Operation("POST", "/acs/users/list")
	if p := list["limit"]; p.In != "body" || p.Type != "integer" || p.Required {
		t.Errorf("POST users/list limit = %+v", p)
	}
	if p := list["page_cursor"]; !p.Nullable {
		t.Errorf("page_cursor = %+v, want nullable", p)
	}
	ids, _ := s.Operation("GET", "/user_identities/list")
	if p := ids["user_identity_ids"]; p.Type != "array" || p.ItemType != "string" {
		t.Errorf("user_identity_ids = %+v", p)
	}
	get, _ := s.Operation("POST", "/user_identities/get")
	if p, ok := get["user_identity_key"]; !ok || p.Required {
		t.Errorf("oneOf property user_identity_key = %+v, %v; want listed, optional", p, ok)
	}
	if _, ok := s.Operation("PATCH", "/acs/users/list"); ok {
		t.Error("PATCH /acs/users/list found")
	}
	props, err := s.SchemaProperties("acs_access_group")
	if err != nil || !slices.Contains(props, "pending_mutations") || !slices.Contains(props, "errors") || !slices.IsSorted(props) {
		t.Errorf("acs_access_group properties %v, %v", props, err)
	}
	if _, err := s.SchemaProperties("nope"); err == nil {
		t.Error("no error for an unknown schema")
	}
	enum, err := s.SchemaEnum("acs_user", "is_managed")
	if err != nil || !cmp.Equal(enum, []string{"true"}) {
		t.Errorf("acs_user is_managed enum %v, %v", enum, err)
	}
	if _, err := s.SchemaEnum("acs_user", "full_name"); err == nil {
		t.Error("no error for a property without an enum")
	}
}
