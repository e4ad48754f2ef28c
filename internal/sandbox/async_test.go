package sandbox

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// asyncView is what the API shows of one membership at one moment.
type asyncView struct {
	Member        bool
	UserPending   []any
	GroupPending  []any
	UserErrors    []any
	GroupErrors   []any
	ListedInGroup bool // list_users shows the user
}

// view reads the membership of user in group through the API (every
// response checked against the contract by the harness).
func (h *harness) view(group, user string) asyncView {
	h.t.Helper()
	u := h.call("GET", "/acs/users/get", map[string]any{"acs_user_id": user}).obj("acs_user")
	g := h.call("GET", "/acs/access_groups/get", map[string]any{"acs_access_group_id": group}).obj("acs_access_group")
	members := h.call("GET", "/acs/access_groups/list_users", map[string]any{"acs_access_group_id": group}).ids("acs_users", "acs_user_id")
	list := func(m map[string]any, k string) []any {
		l, ok := m[k].([]any)
		if !ok {
			h.t.Fatalf("%s is not an array in %v", k, m)
		}
		return l
	}
	return asyncView{
		Member:        slices.Contains(h.srv.Memberships(), Membership{group, user}),
		UserPending:   list(u, "pending_mutations"),
		GroupPending:  list(g, "pending_mutations"),
		UserErrors:    list(u, "errors"),
		GroupErrors:   list(g, "errors"),
		ListedInGroup: slices.Contains(members, user),
	}
}

func TestAsyncPendingOnBothSides(t *testing.T) {
	h := newHarness(t, nil, Options{PropagationDelay: time.Minute})
	if r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen}); r.status != 200 || r.json["ok"] != true {
		t.Fatalf("add: %d %s", r.status, r.raw)
	}
	want := asyncView{
		Member: true, ListedInGroup: true,
		UserPending: []any{map[string]any{
			"mutation_code": "updating_group_membership", "message": `Adding the user to access group "Gym"`,
			"created_at": "2026-05-01T12:00:00.000Z",
			"from":       map[string]any{"acs_access_group_id": nil}, "to": map[string]any{"acs_access_group_id": grpGym},
		}},
		GroupPending: []any{map[string]any{
			"mutation_code": "updating_user_membership", "message": `Adding "Ben Garcia" to the access group`,
			"created_at": "2026-05-01T12:00:00.000Z",
			"from":       map[string]any{"acs_user_id": nil}, "to": map[string]any{"acs_user_id": uBen},
		}},
		UserErrors: []any{}, GroupErrors: []any{},
	}
	if diff := cmp.Diff(want, h.view(grpGym, uBen)); diff != "" {
		t.Errorf("during the delay (-want +got):\n%s", diff)
	}
	h.clock.Advance(59 * time.Second)
	if got := h.view(grpGym, uBen); len(got.UserPending) != 1 || len(got.GroupPending) != 1 {
		t.Errorf("after 59 s: %+v, want still pending on both sides", got)
	}
	h.clock.Advance(time.Second)
	done := asyncView{Member: true, ListedInGroup: true, UserPending: []any{}, GroupPending: []any{}, UserErrors: []any{}, GroupErrors: []any{}}
	if diff := cmp.Diff(done, h.view(grpGym, uBen)); diff != "" {
		t.Errorf("after the delay (-want +got):\n%s", diff)
	}

	// A removal: from the group to none, on both sides.
	h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn})
	got := h.view(grpLobby, uAnn)
	if got.Member || got.ListedInGroup {
		t.Errorf("removed member still listed: %+v", got)
	}
	if len(got.UserPending) != 1 || len(got.GroupPending) != 1 {
		t.Fatalf("removal pending: %+v", got)
	}
	um, gm := got.UserPending[0].(map[string]any), got.GroupPending[0].(map[string]any)
	if !cmp.Equal(um["from"], map[string]any{"acs_access_group_id": grpLobby}) || !cmp.Equal(um["to"], map[string]any{"acs_access_group_id": nil}) {
		t.Errorf("user side of the removal: %v", um)
	}
	if gm["mutation_code"] != "updating_user_membership" || !cmp.Equal(gm["from"], map[string]any{"acs_user_id": uAnn}) || !cmp.Equal(gm["to"], map[string]any{"acs_user_id": nil}) {
		t.Errorf("group side of the removal: %v", gm)
	}
	// The group list and the user list show the same mutations.
	for _, g := range h.call("GET", "/acs/access_groups/list", map[string]any{"acs_system_id": sysA}).json["acs_access_groups"].([]any) {
		gg := g.(map[string]any)
		n := len(gg["pending_mutations"].([]any))
		if wantN := map[bool]int{true: 1, false: 0}[gg["acs_access_group_id"] == grpLobby]; n != wantN {
			t.Errorf("access_groups/list: %s has %d pending mutations, want %d", gg["acs_access_group_id"], n, wantN)
		}
	}
}

func TestAsyncDeferred(t *testing.T) {
	cases := []struct {
		name        string
		target      string
		method      string
		path        string
		group, user string
		variant     string
		member      bool // membership during and after the delay
	}{
		{"user deferred, adding", "user=" + uBen, "PUT", "/acs/access_groups/add_user", grpGym, uBen, "adding", true},
		{"group deferred, removing", "group=" + grpLobby, "DELETE", "/acs/access_groups/remove_user", grpLobby, uAnn, "removing", false},
		{"old route, user deferred", "user=" + uCarla, "PUT", "/acs/users/add_to_access_group", grpGym, uCarla, "adding", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target, err := ParseTarget(c.target)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, nil, Options{PropagationDelay: 30 * time.Second, Faults: Faults{Defer: []Target{target}}})
			h.clock.Advance(5 * time.Second)
			if r := h.call(c.method, c.path, map[string]any{"acs_access_group_id": c.group, "acs_user_id": c.user}); r.status != 200 {
				t.Fatalf("change: %d %s", r.status, r.raw)
			}
			got := h.view(c.group, c.user)
			if got.Member != c.member || got.ListedInGroup != c.member {
				t.Errorf("membership during the deferral %v (listed %v), want %v", got.Member, got.ListedInGroup, c.member)
			}
			wantUser := []any{map[string]any{
				"mutation_code": "deferring_group_membership_update", "created_at": "2026-05-01T12:00:05.000Z",
				"acs_access_group_id": c.group, "variant": c.variant,
			}}
			wantGroup := []any{map[string]any{
				"mutation_code": "deferring_user_membership_update", "created_at": "2026-05-01T12:00:05.000Z",
				"acs_user_id": c.user, "variant": c.variant,
			}}
			for _, l := range [][]any{got.UserPending, got.GroupPending} {
				for _, m := range l {
					msg, _ := m.(map[string]any)["message"].(string)
					if !strings.HasPrefix(msg, "Scheduled: ") {
						t.Errorf("message %q", msg)
					}
					delete(m.(map[string]any), "message")
				}
			}
			if diff := cmp.Diff(wantUser, got.UserPending); diff != "" {
				t.Errorf("user pending (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantGroup, got.GroupPending); diff != "" {
				t.Errorf("group pending (-want +got):\n%s", diff)
			}
			h.clock.Advance(30 * time.Second)
			want := asyncView{Member: c.member, ListedInGroup: c.member, UserPending: []any{}, GroupPending: []any{}, UserErrors: []any{}, GroupErrors: []any{}}
			if diff := cmp.Diff(want, h.view(c.group, c.user)); diff != "" {
				t.Errorf("after the delay (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("other users are pushed as usual", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: time.Minute, Faults: Faults{Defer: []Target{{AcsUserID: uCarla}}}})
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		got := h.view(grpGym, uBen)
		if len(got.UserPending) != 1 || got.UserPending[0].(map[string]any)["mutation_code"] != "updating_group_membership" {
			t.Errorf("pending %v, want updating_group_membership", got.UserPending)
		}
	})
}

func TestAsyncRefusedByTheAccessSystem(t *testing.T) {
	t.Run("an add is undone and the user carries the error", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: time.Minute, Faults: Faults{AcsReject: []Target{{AcsUserID: uBen}}}})
		r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		if r.status != 200 {
			t.Fatalf("add: %d %s", r.status, r.raw)
		}
		got := h.view(grpGym, uBen)
		if !got.Member || len(got.UserPending) != 1 || got.UserPending[0].(map[string]any)["mutation_code"] != "updating_group_membership" ||
			len(got.GroupPending) != 1 || len(got.UserErrors) != 0 {
			t.Fatalf("during the delay: %+v, want a member with the change pending on both sides and no error", got)
		}
		h.clock.Advance(time.Minute + 3*time.Second)
		want := asyncView{
			Member: false, ListedInGroup: false, UserPending: []any{}, GroupPending: []any{}, GroupErrors: []any{},
			UserErrors: []any{map[string]any{
				"error_code": "failed_to_update_on_acs_system",
				"message":    `Failed to add the user to access group "Gym" (grp_gym) on the access system: the access system refused the change (injected by the sandbox)`,
				"created_at": "2026-05-01T12:01:00.000Z",
			}},
		}
		if diff := cmp.Diff(want, h.view(grpGym, uBen)); diff != "" {
			t.Errorf("after the delay (-want +got):\n%s", diff)
		}
		log := h.srv.MembershipLog()
		if len(log) != 2 || log[1].Action != "revert" || log[1].AcsUserID != uBen || log[1].AccessGroupID != grpGym ||
			log[1].RequestID != log[0].RequestID || !log[1].At.Equal(h.clock.Now().Add(-3*time.Second)) {
			t.Errorf("log %+v, want the add then its revert at the end of the delay", log)
		}
		// users/list shows the same error.
		for _, u := range h.call("GET", "/acs/users/list", map[string]any{"acs_system_id": sysA}).json["acs_users"].([]any) {
			uu := u.(map[string]any)
			if n := len(uu["errors"].([]any)); (uu["acs_user_id"] == uBen) != (n == 1) {
				t.Errorf("users/list: %s has %d errors", uu["acs_user_id"], n)
			}
		}
		// Lifted, a new add goes through; the error goes when it reaches the
		// access system.
		if err := h.srv.SetFaults(Faults{}); err != nil {
			t.Fatal(err)
		}
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		if got := h.view(grpGym, uBen); !got.Member || len(got.UserErrors) != 1 {
			t.Errorf("retry in flight: %+v, want a member still carrying the old error", got)
		}
		h.clock.Advance(time.Minute)
		done := asyncView{Member: true, ListedInGroup: true, UserPending: []any{}, GroupPending: []any{}, UserErrors: []any{}, GroupErrors: []any{}}
		if diff := cmp.Diff(done, h.view(grpGym, uBen)); diff != "" {
			t.Errorf("after the retry (-want +got):\n%s", diff)
		}
	})
	t.Run("a removal is undone", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: 10 * time.Second, Faults: Faults{AcsReject: []Target{{AccessGroupID: grpLobby}}}})
		h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpLobby, "acs_user_id": uAnn})
		if got := h.view(grpLobby, uAnn); got.Member {
			t.Fatal("still a member right after the removal")
		}
		h.clock.Advance(10 * time.Second)
		got := h.view(grpLobby, uAnn)
		if !got.Member || !got.ListedInGroup || len(got.UserErrors) != 1 {
			t.Fatalf("after the delay: %+v, want a member again with one error", got)
		}
		e := got.UserErrors[0].(map[string]any)
		if e["created_at"] != "2026-05-01T12:00:10.000Z" || !strings.HasPrefix(e["message"].(string), `Failed to remove the user from access group "Lobby" (grp_lobby)`) {
			t.Errorf("error %v", e)
		}
	})
	t.Run("a refused change that a later change replaced is not undone", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: time.Minute, Faults: Faults{AcsReject: []Target{{AcsUserID: uBen}}}})
		h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		h.srv.SetFaults(Faults{}) // the change in flight keeps its fault
		h.clock.Advance(10 * time.Second)
		h.call("DELETE", "/acs/access_groups/remove_user", map[string]any{"acs_access_group_id": grpGym, "acs_user_id": uBen})
		h.clock.Advance(50 * time.Second) // the add is refused; the removal is still on its way
		got := h.view(grpGym, uBen)
		if got.Member || len(got.UserErrors) != 1 || len(got.UserPending) != 1 || got.UserPending[0].(map[string]any)["from"].(map[string]any)["acs_access_group_id"] != grpGym {
			t.Errorf("at the refusal: %+v, want no member, the error, the removal pending", got)
		}
		h.clock.Advance(10 * time.Second) // the removal reaches the access system
		want := asyncView{UserPending: []any{}, GroupPending: []any{}, UserErrors: []any{}, GroupErrors: []any{}}
		if diff := cmp.Diff(want, h.view(grpGym, uBen)); diff != "" {
			t.Errorf("after the removal (-want +got):\n%s", diff)
		}
		for _, c := range h.srv.MembershipLog() {
			if c.Action == "revert" {
				t.Errorf("reverted %+v", c)
			}
		}
	})
	t.Run("a user created by identity and refused keeps existing", func(t *testing.T) {
		h := newHarness(t, nil, Options{PropagationDelay: time.Minute, Faults: Faults{AcsReject: []Target{{AccessGroupID: grpGym}}}})
		r := h.call("PUT", "/acs/access_groups/add_user", map[string]any{"acs_access_group_id": grpGym, "user_identity_id": idDan})
		userID := r.header.Get("X-Sandbox-Acs-User-Id")
		h.clock.Advance(time.Minute)
		got := h.view(grpGym, userID)
		if got.Member || len(got.UserErrors) != 1 || len(got.UserPending) != 0 {
			t.Errorf("after the delay: %+v", got)
		}
	})
}

func TestAsyncFaultsNeedADelay(t *testing.T) {
	for _, f := range []Faults{{Defer: []Target{{AcsUserID: uBen}}}, {AcsReject: []Target{{AccessGroupID: grpGym}}}} {
		err := Options{Faults: f}.Validate()
		if !errors.Is(err, ErrNeedsPropagationDelay) {
			t.Errorf("%+v without a delay: %v, want ErrNeedsPropagationDelay", f, err)
		}
		if err := (Options{Faults: f, PropagationDelay: time.Second}).Validate(); err != nil {
			t.Errorf("%+v with a delay: %v", f, err)
		}
		srv := New(testState(t), Options{})
		if err := srv.SetFaults(f); !errors.Is(err, ErrNeedsPropagationDelay) {
			t.Errorf("SetFaults(%+v) on a server without a delay: %v", f, err)
		}
	}
	err := Options{Faults: Faults{Defer: []Target{{AcsUserID: uBen}}, AcsReject: []Target{{AcsUserID: uBen}}}}.Validate()
	if err == nil || err.Error() != "faults: Defer and AcsReject: needs a propagation delay above zero (they act on a change still on its way when the delay passes)" {
		t.Errorf("both: %v", err)
	}
	if err := (Options{Faults: Faults{Defer: []Target{{AcsUserID: "u", AccessGroupID: "g"}}}, PropagationDelay: 1}).Validate(); err == nil || !strings.Contains(err.Error(), "defer[0]: set exactly one") {
		t.Errorf("a target with both ids: %v", err)
	}
	if err := (Options{PropagationDelay: -1}).Validate(); err == nil {
		t.Error("a negative delay passed")
	}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "propagation delay") {
			t.Errorf("New with Defer and no delay: recovered %v, want a panic naming the delay", v)
		}
	}()
	New(testState(t), Options{Faults: Faults{Defer: []Target{{AcsUserID: uBen}}}})
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{in: "user=acs_user1", want: Target{AcsUserID: "acs_user1"}},
		{in: "group=9b0c-1", want: Target{AccessGroupID: "9b0c-1"}},
		{in: "group=a=b", want: Target{AccessGroupID: "a=b"}},
		{in: "email=a@b.example", wantErr: `kind "email" is not user or group`},
		{in: "user=", wantErr: "empty user"},
		{in: "acs_user1", wantErr: "want KIND=VALUE"},
	}
	for _, c := range cases {
		got, err := ParseTarget(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: %v, want an error mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if back, _ := ParseTarget(got.String()); back != got {
			t.Errorf("%q: String() %q does not parse back", c.in, got.String())
		}
	}
}
