package sandbox

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite samples/harbor-site.json from SampleSite")

const samplePath = "../../samples/harbor-site.json"

// TestSampleFileIsGenerated fails when samples/harbor-site.json is not what
// SampleSite generates; run with -update to rewrite it.
func TestSampleFileIsGenerated(t *testing.T) {
	want, err := SampleSite().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(samplePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/sandbox -run TestSampleFileIsGenerated -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from SampleSite(); run go test ./internal/sandbox -run TestSampleFileIsGenerated -update", filepath.Base(samplePath))
	}
	if len(got) > 1<<20 {
		t.Errorf("sample is %d bytes, want under 1 MiB", len(got))
	}
}

// TestSampleShape checks the promises SampleSite's doc comment makes.
func TestSampleShape(t *testing.T) {
	st, err := LoadState(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(SampleSite(), st); diff != "" {
		t.Fatalf("loaded sample differs from SampleSite (-want +got):\n%s", diff)
	}
	if len(st.AcsSystems) != 2 {
		t.Fatalf("systems = %d, want 2", len(st.AcsSystems))
	}
	perSystem := map[string]int{}
	for _, u := range st.AcsUsers {
		perSystem[u.AcsSystemID]++
	}
	managed, unmanaged := map[string]int{}, map[string]int{}
	for _, g := range st.AcsAccessGroups {
		if g.Managed() {
			managed[g.AcsSystemID]++
		} else {
			unmanaged[g.AcsSystemID]++
		}
	}
	for _, s := range st.AcsSystems {
		if perSystem[s.AcsSystemID] != 300 || managed[s.AcsSystemID] != 12 || unmanaged[s.AcsSystemID] != 1 {
			t.Errorf("%s: users %d managed %d unmanaged %d, want 300, 12, 1", s.Name, perSystem[s.AcsSystemID], managed[s.AcsSystemID], unmanaged[s.AcsSystemID])
		}
	}
	if len(st.UserIdentities) != 100 {
		t.Errorf("identities = %d, want 100", len(st.UserIdentities))
	}
	linked := map[int]int{} // number of linked users -> identities
	for _, id := range st.UserIdentities {
		linked[len(id.AcsUserIDs)]++
	}
	if want := map[int]int{2: 60, 1: 15, 0: 25}; !cmp.Equal(linked, want) {
		t.Errorf("identities by number of linked users = %v, want %v", linked, want)
	}
	groupsOf := map[string]int{}
	for _, m := range st.Memberships {
		groupsOf[m.AcsUserID]++
	}
	for _, u := range st.AcsUsers {
		if n := groupsOf[u.AcsUserID]; n < 1 || n > 5 {
			t.Errorf("user %s is in %d groups, want 1 to 4 (+1 unmanaged)", u.AcsUserID, n)
		}
	}
	if st.APIKeys[0] != SampleAPIKey {
		t.Errorf("api key %q, want %q", st.APIKeys[0], SampleAPIKey)
	}
}
