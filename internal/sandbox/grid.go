package sandbox

import "fmt"

// Grid is a regular workspace for tests and benchmarks: systems systems
// (sys0, sys1, ... named "Site 0", ...), each with groups managed groups
// (sys0_g0 "Group 0", ...) and an unmanaged "Legacy" group (sys0_legacy)
// holding user 0, and users users (sys0_u0 "User 0",
// user0@site0.example, ...), user i in group i%groups. Its API key is
// seam_test_key.
func Grid(systems, groups, users int) *State {
	st := &State{WorkspaceID: "ws1", APIKeys: []string{"seam_test_key"}}
	f := false
	for s := range systems {
		sid := fmt.Sprintf("sys%d", s)
		st.AcsSystems = append(st.AcsSystems, AcsSystem{AcsSystemID: sid, Name: fmt.Sprintf("Site %d", s)})
		for g := range groups {
			st.AcsAccessGroups = append(st.AcsAccessGroups, AcsAccessGroup{AcsAccessGroupID: fmt.Sprintf("%s_g%d", sid, g), AcsSystemID: sid, Name: fmt.Sprintf("Group %d", g)})
		}
		st.AcsAccessGroups = append(st.AcsAccessGroups, AcsAccessGroup{AcsAccessGroupID: sid + "_legacy", AcsSystemID: sid, Name: "Legacy", IsManaged: &f})
		for u := range users {
			uid := fmt.Sprintf("%s_u%d", sid, u)
			st.AcsUsers = append(st.AcsUsers, AcsUser{AcsUserID: uid, AcsSystemID: sid, FullName: fmt.Sprintf("User %d", u), EmailAddress: fmt.Sprintf("user%d@site%d.example", u, s)})
			st.Memberships = append(st.Memberships, Membership{AcsAccessGroupID: fmt.Sprintf("%s_g%d", sid, u%groups), AcsUserID: uid})
		}
		if users > 0 {
			st.Memberships = append(st.Memberships, Membership{AcsAccessGroupID: sid + "_legacy", AcsUserID: sid + "_u0"})
		}
	}
	return st
}
