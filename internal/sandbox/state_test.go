package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateRoundTrip(t *testing.T) {
	for name, st := range map[string]*State{"test state": testState(t), "sample": SampleSite()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := st.Save(path); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			got, err := LoadState(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(st, got); diff != "" {
				t.Errorf("loaded state differs (-saved +loaded):\n%s", diff)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the state file", len(entries))
			}
		})
	}
	t.Run("server state after changes", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: 1})
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "user_identity_id": idDan})
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "user_identity_id": idBen})
		h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn})
		st := h.srv.State()
		path := filepath.Join(t.TempDir(), "state.json")
		if err := st.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := LoadState(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st, got); diff != "" {
			t.Errorf("loaded state differs (-saved +loaded):\n%s", diff)
		}
		again := New(got, Options{})
		if diff := cmp.Diff(h.srv.Memberships(), again.Memberships()); diff != "" {
			t.Errorf("memberships differ after reload:\n%s", diff)
		}
		if len(got.AcsUsers) != 5 {
			t.Errorf("%d users, want 5 (one created for Dan)", len(got.AcsUsers))
		}
		for _, id := range got.UserIdentities {
			if id.UserIdentityID == idBen && !cmp.Equal(id.AcsUserIDs, []string{uBen}) {
				t.Errorf("Ben's identity links %v, want [%s]", id.AcsUserIDs, uBen)
			}
		}
		// State is a copy: changing it does not touch the server.
		st.AcsUsers[0].FullName = "Changed"
		if h.srv.State().AcsUsers[0].FullName == "Changed" {
			t.Error("State() shares memory with the server")
		}
	})
}

func TestLoadErrors(t *testing.T) {
	base := testStateJSON
	cases := []struct {
		name, old, new, want string
	}{
		{"user names no system", `"acs_user_id": "u_carla", "acs_system_id": "sys_harbor"`, `"acs_user_id": "u_carla", "acs_system_id": "x"`, `acs_users[2]: acs_system_id "x" names no system`},
		{"group names no system", `"acs_access_group_id": "grp_gym", "acs_system_id": "sys_harbor"`, `"acs_access_group_id": "grp_gym", "acs_system_id": "x"`, `acs_access_groups[1]: acs_system_id "x" names no system`},
		{"duplicate user id", `"acs_user_id": "u_carla"`, `"acs_user_id": "u_ben"`, `acs_users[2]: duplicate acs_user_id "u_ben"`},
		{"duplicate group id", `"acs_access_group_id": "grp_gym", "acs_system_id"`, `"acs_access_group_id": "grp_lobby", "acs_system_id"`, `acs_access_groups[1]: duplicate acs_access_group_id "grp_lobby"`},
		{"duplicate system id", `"acs_system_id": "sys_riverside", "name"`, `"acs_system_id": "sys_harbor", "name"`, `acs_systems[1]: duplicate acs_system_id "sys_harbor"`},
		{"duplicate identity", `"user_identity_id": "id_dan"`, `"user_identity_id": "id_ben"`, `user_identities[3]: duplicate user_identity_id "id_ben"`},
		{"empty name", `"name": "Gym"`, `"name": ""`, `acs_access_groups[1]: name is empty`},
		{"membership names no group", `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann"}`, `{"acs_access_group_id": "grp_x", "acs_user_id": "u_ann"}`, `memberships[0]: acs_access_group_id "grp_x" names no access group`},
		{"membership names no user", `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann"}`, `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_x"}`, `memberships[0]: acs_user_id "u_x" names no acs user`},
		{"membership across systems", `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann"}`, `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann_riverside"}`, `memberships[0]: acs user "u_ann_riverside" is in system "sys_riverside" but access group "grp_lobby" is in system "sys_harbor"`},
		{"duplicate membership", `{"acs_access_group_id": "grp_gate", "acs_user_id": "u_ann_riverside"}`, `{"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann"}`, `memberships[2]: duplicate membership of acs user "u_ann" in access group "grp_lobby"`},
		{"user names no identity", `"user_identity_id": "id_ann"}`, `"user_identity_id": "id_x"}`, `acs_users[0]: user_identity_id "id_x" names no user identity`},
		{"identity links unknown user", `"acs_user_ids": ["u_ann_riverside"]`, `"acs_user_ids": ["u_x"]`, `user_identities[0]: acs_user_ids[0]: "u_x" names no acs user`},
		{"identity with two users in a system", `"acs_user_ids": ["u_ann_riverside"]`, `"acs_user_ids": ["u_ann_riverside", "u_carla"]`, `acs_users[2]: user identity "id_ann" already has acs user "u_ann" in system "sys_harbor"`},
		{"bad email", `"email_address": "Ben.Garcia@harbortower.example"`, `"email_address": "ben at harbor"`, `acs_users[1]: email_address "ben at harbor" is not an email address`},
		{"bad group type", `"name": "Gym"`, `"name": "Gym", "access_group_type": "door"`, `acs_access_groups[1]: access_group_type "door" is not one of`},
		{"bad system type", `"name": "Harbor Tower"`, `"name": "Harbor Tower", "external_type": "castle"`, `acs_systems[0]: external_type "castle" is not one of`},
		{"api key of the wrong form", `"api_keys": ["seam_test_key_1"]`, `"api_keys": ["sk_live_1"]`, `api_keys[0]: an API key must start with "seam_"`},
		{"token of the wrong form", `"personal_access_tokens": ["seam_at_test_token_1"]`, `"personal_access_tokens": ["seam_x"]`, `personal_access_tokens[0]: a personal access token must start with "seam_at"`},
		{"unknown field", `"name": "Lobby"`, `"name": "Lobby", "colour": "red"`, `line 10 column 90: acs_access_groups[0]: unknown field "colour" (not a field of acs_access_group)`},
		{"syntax error with line", `"name": "Lobby"},`, `"name": "Lobby"`, `line 11 column 6`},
		{"bad time", `"name": "Gym"`, `"name": "Gym", "created_at": "yesterday"`, `a created_at is not an RFC 3339 time`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.old) {
				t.Fatalf("test state lacks %q", c.old)
			}
			path := filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(path, []byte(strings.Replace(base, c.old, c.new, 1)), 0o600)
			_, err := LoadState(path)
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "state "+path+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to start with the file and mention %q", err, c.want)
			}
		})
	}
	if _, err := LoadState(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDefaultsAtLoad(t *testing.T) {
	st, err := ParseState([]byte(`{"workspace_id":"w","api_keys":[],"acs_systems":[{"acs_system_id":"s","name":"S"}],
		"acs_access_groups":[{"acs_access_group_id":"g","acs_system_id":"s","name":"G"}],
		"acs_users":[{"acs_user_id":"u","acs_system_id":"s"}],"user_identities":[],"memberships":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := st.AcsAccessGroups[0]
	if g.AccessGroupType != "brivo_group" || !g.Managed() || g.DisplayName != "G" || g.CreatedAt.IsZero() {
		t.Errorf("group defaults: %+v", g)
	}
	if s := st.AcsSystems[0]; s.ExternalType != "brivo_account" || s.ConnectedAccountID == "" || s.Location == nil {
		t.Errorf("system defaults: %+v", s)
	}
	// A user with nothing but ids renders valid objects (checked by the harness).
	h := newHarness(t, st, Options{})
	h.srv = New(st, Options{})
	h.do(req{method: "GET", path: "/acs/users/list", header: map[string]string{"Authorization": "Bearer " + h.srv.APIKeys()[0]}})
	r := h.do(req{method: "GET", path: "/acs/users/get", query: map[string][]string{"acs_user_id": {"u"}}, header: map[string]string{"Authorization": "Bearer " + h.srv.APIKeys()[0]}})
	if r.status != 200 || r.obj("acs_user")["display_name"] != "u" {
		t.Errorf("bare user: %d %s", r.status, r.raw)
	}
}
