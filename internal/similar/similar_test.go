package similar

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"email", "email", 0},
		{"emial", "email", 1}, // a swap of adjacent letters is one edit
		{"mail", "email", 1},
		{"e-mail", "email", 1},
		{"acces_group", "access_group", 1},
		{"acs_systemid", "acs_system_id", 1},
		{"department", "email", 8},
		{"", "abc", 3},
		{"abc", "", 3},
		{"Flor 2", "Floor 2", 1},
		{"harbour tower", "harbor tower", 1},
		{"émail", "email", 1}, // runes, not bytes
		{"ca", "abc", 3},      // optimal string alignment, not Damerau: no edit of a swapped pair
		{"Email", "email", 1}, // exact: case counts
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	groups := []string{"Lobby", "Floor 2", "Floor 3", "", "Gym", "floor 2", "Floor 2"}
	for _, tc := range []struct {
		name    string
		maxDist int
		want    []string
	}{
		{"Flor 2", 2, []string{"Floor 2", "floor 2"}}, // both at 1, once each, in order
		{"FLOOR 3", 2, []string{"Floor 3"}},           // case-insensitive: 0 beats 1
		{"Lobb", 1, []string{"Lobby"}},
		{"Roof Terrace", 4, nil},
		{"Gmy", 1, []string{"Gym"}},
		{"Gmy", 0, nil},
	} {
		if diff := cmp.Diff(tc.want, Closest(tc.name, groups, tc.maxDist)); diff != "" {
			t.Errorf("Closest(%q, %d) (-want +got):\n%s", tc.name, tc.maxDist, diff)
		}
	}
}
