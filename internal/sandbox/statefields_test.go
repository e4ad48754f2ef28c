package sandbox

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStateFieldsAreSeamsSchemas holds the state file's field lists, and the
// types the sandbox knows, to the OpenAPI document.
func TestStateFieldsAreSeamsSchemas(t *testing.T) {
	h := newHarness(t, nil, Options{})
	for schema, fields := range seamFields {
		want, err := h.spec.SchemaProperties(schema)
		if err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(fields); !cmp.Equal(got, want) {
			t.Errorf("%s: the state file accepts %v, the schema has %v", schema, got, want)
		}
	}
	enum := func(schema, prop string) []string {
		e, err := h.spec.SchemaEnum(schema, prop)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	systems, groups, users := enum("acs_system", "external_type"), enum("acs_access_group", "external_type"), enum("acs_user", "external_type")
	for name, ty := range systemTypes {
		if !slices.Contains(systems, name) || !slices.Contains(groups, ty.group) || !slices.Contains(users, ty.user) {
			t.Errorf("system type %s (%s, %s) is not in the document's enums", name, ty.group, ty.user)
		}
	}
	for name := range groupTypeNames {
		if !slices.Contains(groups, name) || !slices.Contains(enum("acs_access_group", "access_group_type"), name) {
			t.Errorf("group type %s is not in the document's enums", name)
		}
	}
}

// TestStateFromPastedResponses builds a state file from the API's own list
// responses, pasted as they come, and checks that a sandbox on it answers
// the same.
func TestStateFromPastedResponses(t *testing.T) {
	h := newHarness(t, nil, Options{})
	h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uCarla})
	lists := map[string]string{
		"acs_systems": "/acs/systems/list", "acs_access_groups": "/acs/access_groups/list",
		"acs_users": "/acs/users/list", "user_identities": "/user_identities/list",
	}
	raw := func(h *harness, path string) map[string]any {
		return h.call("GET", path, nil).json
	}
	doc := map[string]any{"api_keys": []string{testKey}, "memberships": h.srv.State().Memberships}
	for key, path := range lists {
		doc[key] = raw(h, path)[key]
	}
	// The unmanaged group, pasted from its own route.
	doc["acs_access_groups"] = append(doc["acs_access_groups"].([]any), raw(h, "/acs/access_groups/unmanaged/list")["acs_access_groups"].([]any)...)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseState(b)
	if err != nil {
		t.Fatalf("a state of pasted responses: %v\n%s", err, b)
	}
	if st.WorkspaceID != testWS {
		t.Errorf("workspace %q, want %q taken from the objects", st.WorkspaceID, testWS)
	}
	again := newHarness(t, st, Options{})
	for _, path := range append(sortedValues(lists), "/acs/access_groups/unmanaged/list") {
		if diff := cmp.Diff(raw(h, path), raw(again, path)); diff != "" {
			t.Errorf("%s from the pasted state differs (-original +pasted):\n%s", path, diff)
		}
	}
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func TestStateDerivedFields(t *testing.T) {
	base := `{"api_keys": [], "acs_systems": [{"acs_system_id": "s1", "name": "S", "external_type": "salto_ks_site"}],
  "acs_access_groups": [{"acs_access_group_id": "g1", "acs_system_id": "s1", "name": "G"}],
  "acs_users": [{"acs_user_id": "u1", "acs_system_id": "s1", "full_name": "Ann Lee", "email_address": "ann@x.example", "user_identity_id": "i1"}],
  "user_identities": [{"user_identity_id": "i1", "email_address": "Ann@X.example", "full_name": "Ann Lee", "phone_number": "+1 212 555 0100"}]}`
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base lacks %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	user := `"acs_user_id": "u1", "acs_system_id": "s1"`
	cases := []struct {
		name, doc, wantErr string
		check              func(t *testing.T, st *State)
	}{
		{name: "agreeing derived fields load", doc: edit(user, user+`, "workspace_id": "w9", "connected_account_id": "`+derivedID("connected_account", "s1")+`",
			"external_type": "salto_site_user", "external_type_display_name": "whatever", "is_managed": true, "display_name": "Someone",
			"user_identity_email_address": "ANN@x.example", "user_identity_full_name": "Ann Lee", "user_identity_phone_number": "+12125550100",
			"pending_mutations": [{"mutation_code": "creating"}], "errors": [], "warnings": [], "last_successful_sync_at": null, "salto_ks_metadata": {"x": 1}`),
			check: func(t *testing.T, st *State) {
				if st.WorkspaceID != "w9" {
					t.Errorf("workspace %q, want w9 from the user", st.WorkspaceID)
				}
			}},
		{name: "deprecated email fills email_address", doc: edit(`"email_address": "ann@x.example", "user_identity_id"`, `"email": "ann@x.example", "user_identity_id"`),
			check: func(t *testing.T, st *State) {
				if st.AcsUsers[0].EmailAddress != "ann@x.example" {
					t.Errorf("email_address %q", st.AcsUsers[0].EmailAddress)
				}
			}},
		{name: "the same email twice", doc: edit(user, user+`, "email": "ANN@x.example"`)},
		{name: "group external_type fills access_group_type", doc: edit(`"name": "G"`, `"name": "G", "external_type": "salto_ks_access_group"`),
			check: func(t *testing.T, st *State) {
				if st.AcsAccessGroups[0].AccessGroupType != "salto_ks_access_group" {
					t.Errorf("access_group_type %q", st.AcsAccessGroups[0].AccessGroupType)
				}
			}},
		{name: "system_type fills external_type", doc: edit(`"name": "S", "external_type": "salto_ks_site"`, `"name": "S", "system_type": "pti_site"`),
			check: func(t *testing.T, st *State) {
				if st.AcsSystems[0].ExternalType != "pti_site" {
					t.Errorf("external_type %q", st.AcsSystems[0].ExternalType)
				}
			}},
		{name: "connected_account_ids fill connected_account_id", doc: edit(`"name": "S",`, `"name": "S", "connected_account_ids": ["ca_9"],`),
			check: func(t *testing.T, st *State) {
				if st.AcsSystems[0].ConnectedAccountID != "ca_9" {
					t.Errorf("connected_account_id %q", st.AcsSystems[0].ConnectedAccountID)
				}
			}},
		{name: "an access schedule is kept", doc: edit(user, user+`, "access_schedule": {"starts_at": "2026-01-01T00:00:00.000Z", "ends_at": null}`),
			check: func(t *testing.T, st *State) {
				if a := st.AcsUsers[0].AccessSchedule; a == nil || !a.StartsAt.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || a.EndsAt != nil {
					t.Errorf("access_schedule %+v", a)
				}
			}},
		{name: "email and email_address differ", doc: edit(user, user+`, "email": "other@x.example"`),
			wantErr: `acs_users[0]: email "other@x.example" differs from email_address "ann@x.example" (email is the deprecated name of email_address)`},
		{name: "system_type and external_type differ", doc: edit(`"external_type": "salto_ks_site"`, `"external_type": "salto_ks_site", "system_type": "pti_site"`),
			wantErr: `acs_systems[0]: system_type "pti_site" differs from external_type "salto_ks_site"`},
		{name: "workspace_id differs", doc: strings.Replace(edit(`"api_keys": [],`, `"api_keys": [], "workspace_id": "w1",`), user, user+`, "workspace_id": "w2"`, 1),
			wantErr: `acs_users[0]: workspace_id "w2" differs from "w1", which the sandbox derives`},
		{name: "connected account of another system", doc: edit(`"name": "G"`, `"name": "G", "connected_account_id": "ca_x"`),
			wantErr: `acs_access_groups[0]: connected_account_id "ca_x" differs from "` + derivedID("connected_account", "s1") + ` (its system's)"`},
		{name: "user type of another system", doc: edit(user, user+`, "external_type": "brivo_user"`),
			wantErr: `acs_users[0]: external_type "brivo_user" differs from "salto_site_user (the user type of a salto_ks_site)"`},
		{name: "an unmanaged user", doc: edit(user, user+`, "is_managed": false`),
			wantErr: `acs_users[0]: is_managed is false, but the sandbox serves managed ACS users only`},
		{name: "identity email differs", doc: edit(user, user+`, "user_identity_email_address": "bob@x.example"`),
			wantErr: `acs_users[0]: user_identity_email_address "bob@x.example" differs from "Ann@X.example (of user identity i1)"`},
		{name: "identity phone differs", doc: edit(user, user+`, "user_identity_phone_number": "+12125550199"`),
			wantErr: `acs_users[0]: user_identity_phone_number "+12125550199" differs`},
		{name: "identity fields without an identity", doc: edit(`"email_address": "ann@x.example", "user_identity_id": "i1"`, `"email_address": "ann@x.example", "user_identity_full_name": "Ann Lee"`),
			wantErr: `acs_users[0]: user_identity_full_name "Ann Lee" given, but the user has no user_identity_id`},
		{name: "connected_account_ids without connected_account_id", doc: edit(`"name": "S",`, `"name": "S", "connected_account_id": "ca_1", "connected_account_ids": ["ca_2"],`),
			wantErr: `acs_systems[0]: connected_account_ids ["ca_2"] lack connected_account_id "ca_1"`},
		{name: "a derived field of the wrong type", doc: edit(user, user+`, "is_managed": "yes"`),
			wantErr: `line 3 column`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ParseState([]byte(c.doc))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, st)
			}
			// A loaded state serves responses that hold to the contract.
			h := newHarness(t, st, Options{})
			h.do(req{method: "GET", path: "/acs/users/list", header: map[string]string{"Authorization": "Bearer " + h.srv.APIKeys()[0]}})
		})
	}
}

func TestStateUnknownFieldsSuggest(t *testing.T) {
	cases := []struct {
		name, doc string
		want      UnknownFieldError
	}{
		{"a typo in a user", `{"acs_users": [{"acs_user_id": "u1", "emial_address": "a@b.example"}]}`,
			UnknownFieldError{Line: 1, Column: 38, Path: "acs_users[0]", Object: "acs_user", Field: "emial_address", Suggestion: "email_address"}},
		{"a singular top-level name", "{\n  \"acs_user\": []\n}",
			UnknownFieldError{Line: 2, Column: 3, Path: "", Object: "state", Field: "acs_user", Suggestion: "acs_users"}},
		{"a nested location", `{"acs_systems": [{"acs_system_id": "s", "name": "S", "location": {"timezone": "UTC"}}]}`,
			UnknownFieldError{Line: 1, Column: 67, Path: "acs_systems[0].location", Object: "location", Field: "timezone", Suggestion: "time_zone"}},
		{"a nested schedule", `{"acs_users": [{"acs_user_id": "u", "acs_system_id": "s", "access_schedule": {"start_at": null}}]}`,
			UnknownFieldError{Line: 1, Column: 79, Path: "acs_users[0].access_schedule", Object: "access_schedule", Field: "start_at", Suggestion: "starts_at"}},
		{"nothing close", `{"memberships": [{"acs_access_group_id": "g", "acs_user_id": "u", "since": "2020"}]}`,
			UnknownFieldError{Line: 1, Column: 67, Path: "memberships[0]", Object: "membership", Field: "since"}},
		{"the field of another object", `{"acs_access_groups": [{"acs_access_group_id": "g", "full_name": "x"}]}`,
			UnknownFieldError{Line: 1, Column: 53, Path: "acs_access_groups[0]", Object: "acs_access_group", Field: "full_name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseState([]byte(c.doc))
			var ufe *UnknownFieldError
			if !errors.As(err, &ufe) {
				t.Fatalf("error %v, want an *UnknownFieldError", err)
			}
			if diff := cmp.Diff(c.want, *ufe); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := c.doc[ufe.Column-1:]; ufe.Line == 1 && !strings.HasPrefix(got, `"`+c.want.Field+`"`) {
				t.Errorf("column %d points at %.20q, not the field", ufe.Column, got)
			}
		})
	}
	_, err := ParseState([]byte(`{"acs_users": [{"acs_user_id": "u1", "emial_address": "a@b.example"}]}`))
	if want := `line 1 column 38: acs_users[0]: unknown field "emial_address" (not a field of acs_user); did you mean "email_address"?`; err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
