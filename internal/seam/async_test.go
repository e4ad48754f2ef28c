package seam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnmanagedOnlyABare404IsNone(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		wantErr string // "" means no error and no groups
	}{
		{"bare 404: no such route", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, ""},
		{"empty 404", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }, ""},
		{"typed 404 acs_system_not_found", func(w http.ResponseWriter, r *http.Request) {
			writeSeamError(w, 404, "req_s", "acs_system_not_found", "Access system not found")
		}, "seam: GET /acs/access_groups/unmanaged/list: 404 acs_system_not_found: Access system not found (request req_s, 1 attempt)"},
		{"other typed 404", func(w http.ResponseWriter, r *http.Request) {
			writeSeamError(w, 404, "req_w", "workspace_not_found", "gone")
		}, "seam: GET /acs/access_groups/unmanaged/list: 404 workspace_not_found: gone (request req_w, 1 attempt)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			groups, err := newTestClient(t, srv, nil).ListUnmanagedAccessGroups(context.Background(), "s1")
			if tc.wantErr == "" {
				if err != nil || groups != nil {
					t.Fatalf("got %v, %v; want no groups and no error", groups, err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || err.Error() != tc.wantErr || groups != nil {
				t.Fatalf("got %v, %v; want the error %q", groups, err, tc.wantErr)
			}
		})
	}
}

// TestNewerFieldsDecode decodes the pending mutations, errors and warnings of
// users and groups, tolerating each one missing, unknown codes and shapes.
func TestNewerFieldsDecode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case routeGroupsListUsers:
			fmt.Fprint(w, `{"ok":true,"acs_users":[
			  {"acs_user_id":"u1","pending_mutations":[
			    {"mutation_code":"updating_group_membership","message":"m1","created_at":"2026-05-01T12:00:00.000Z","from":{"acs_access_group_id":null},"to":{"acs_access_group_id":"g1"}},
			    {"mutation_code":"deferring_group_membership_update","message":"m2","created_at":"2026-05-01T12:00:01.000Z","acs_access_group_id":"g2","variant":"removing"},
			    {"mutation_code":"updating_user_information","from":{"full_name":"A","email_address":null},"to":{"full_name":"B"}},
			    {"mutation_code":"some_future_code","from":"not an object","variant":7},
			    42
			  ],
			  "errors":[{"error_code":"failed_to_update_on_acs_system","message":"refused","created_at":"2026-05-01T12:01:00.000Z"},{"error_code":9}],
			  "warnings":[{"warning_code":"being_deleted","message":"soon","created_at":"2026-05-01T12:00:00.000Z"}]},
			  {"acs_user_id":"u2"}
			]}`)
		case routeGroupsGet:
			fmt.Fprint(w, `{"ok":true,"acs_access_group":{"acs_access_group_id":"g1","pending_mutations":[
			    {"mutation_code":"updating_user_membership","message":"a","created_at":"2026-05-01T12:00:00.000Z","from":{"acs_user_id":"u1"},"to":{"acs_user_id":null}},
			    {"mutation_code":"deferring_user_membership_update","message":"b","created_at":"x","acs_user_id":"u3","variant":"adding"}
			  ],"errors":[{"error_code":"failed_to_create_on_acs_system","message":"e","created_at":"2026-05-01T12:00:00.000Z"}],"warnings":[]}}`)
		case routeGroupsList:
			fmt.Fprint(w, `{"ok":true,"acs_access_groups":[{"acs_access_group_id":"g9"}]}`)
		}
	}))
	defer srv.Close()
	cl, err := New(testOptions(t, srv, false)) // partial objects break the contract on purpose
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users, err := cl.ListGroupUsers(ctx, "g1")
	if err != nil || len(users) != 2 {
		t.Fatalf("users = %+v, %v", users, err)
	}
	g1, g2 := "g1", "g2"
	wantMutations := []PendingMutation{
		{MutationCode: MutationUpdatingGroupMembership, Message: "m1", CreatedAt: "2026-05-01T12:00:00.000Z", From: &MutationSide{}, To: &MutationSide{AccessGroupID: &g1}},
		{MutationCode: MutationDeferringGroupMembershipUpdate, Message: "m2", CreatedAt: "2026-05-01T12:00:01.000Z", AccessGroupID: g2, Variant: VariantRemoving},
		{MutationCode: "updating_user_information", From: &MutationSide{}, To: &MutationSide{}},
		{MutationCode: "some_future_code"},
		{},
	}
	u := users[0]
	if diff := cmp.Diff(wantMutations, u.PendingMutations); diff != "" {
		t.Errorf("pending mutations (-want +got):\n%s", diff)
	}
	wantErrors := []Issue{{ErrorCode: ErrorFailedToUpdateOnAcsSystem, Message: "refused", CreatedAt: "2026-05-01T12:01:00.000Z"}, {}}
	if diff := cmp.Diff(wantErrors, u.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Issue{{WarningCode: "being_deleted", Message: "soon", CreatedAt: "2026-05-01T12:00:00.000Z"}}, u.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The helpers verify uses.
	if got := u.GroupMutations("g1"); len(got) != 1 || !got[0].Adding() || got[0].MutationCode != MutationUpdatingGroupMembership {
		t.Errorf("GroupMutations(g1) = %+v, want the add", got)
	}
	if got := u.GroupMutations("g2"); len(got) != 1 || got[0].Adding() || got[0].Variant != VariantRemoving {
		t.Errorf("GroupMutations(g2) = %+v, want the deferred removal", got)
	}
	if got := u.GroupMutations("g3"); got != nil {
		t.Errorf("GroupMutations(g3) = %+v, want none", got)
	}
	failed := u.ErrorsWithCode(ErrorFailedToUpdateOnAcsSystem)
	if at, ok := failed[0].Created(); len(failed) != 1 || !ok || at.Format("15:04:05") != "12:01:00" {
		t.Errorf("failed errors %+v, created %v %v", failed, at, ok)
	}
	if at, ok := u.PendingMutations[0].Created(); !ok || at.Minute() != 0 {
		t.Errorf("Created() = %v, %v", at, ok)
	}
	if bare := users[1]; bare.PendingMutations != nil || bare.Errors != nil || bare.Warnings != nil {
		t.Errorf("a user without the fields decoded as %+v", bare)
	}

	g, err := cl.GetAccessGroup(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	u1 := "u1"
	wantGroup := []PendingMutation{
		{MutationCode: MutationUpdatingUserMembership, Message: "a", CreatedAt: "2026-05-01T12:00:00.000Z", From: &MutationSide{AcsUserID: &u1}, To: &MutationSide{}},
		{MutationCode: MutationDeferringUserMembershipUpdate, Message: "b", CreatedAt: "x", AcsUserID: "u3", Variant: VariantAdding},
	}
	if diff := cmp.Diff(wantGroup, g.PendingMutations); diff != "" {
		t.Errorf("group pending mutations (-want +got):\n%s", diff)
	}
	if got := g.UserMutations("u1"); len(got) != 1 || got[0].Adding() {
		t.Errorf("UserMutations(u1) = %+v, want the removal", got)
	}
	if got := g.UserMutations("u3"); len(got) != 1 || !got[0].Adding() {
		t.Errorf("UserMutations(u3) = %+v, want the deferred add", got)
	}
	if _, ok := g.PendingMutations[1].Created(); ok {
		t.Error(`Created() of "x" is ok`)
	}
	if len(g.Errors) != 1 || g.Errors[0].ErrorCode != "failed_to_create_on_acs_system" || len(g.Warnings) != 0 {
		t.Errorf("group errors %+v warnings %+v", g.Errors, g.Warnings)
	}
	groups, err := cl.ListAccessGroups(ctx, "")
	if err != nil || len(groups) != 1 || groups[0].PendingMutations != nil || groups[0].Errors != nil {
		t.Errorf("a group without the fields: %+v, %v", groups, err)
	}
}
