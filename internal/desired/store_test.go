package desired

import (
	"strconv"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestStoreKeepsAndBuildsRows(t *testing.T) {
	st := newStore()
	// A header of acs_system, email, access_group, full_name, phone_number:
	// two shared and three user columns (two words of lengths).
	st.layout([]int{vSystemName, vEmail, vPhone, vGroupName, vFullName})
	if st.stride != 1+2+2 {
		t.Fatalf("stride = %d, want 5", st.stride)
	}
	rows := []struct {
		line int
		v    [nValues]string
	}{
		{2, [nValues]string{vSystemName: "HT", vEmail: "ann@x.com", vGroupName: "Lobby", vFullName: "Ann"}},
		{3, [nValues]string{vSystemName: "HT", vEmail: "ann@x.com", vGroupName: "Floor 2", vFullName: "Ann"}}, // same user
		{5, [nValues]string{vSystemName: "HT", vEmail: "bob@x.com", vPhone: "+1555", vGroupName: "Floor 2"}},
		{9, [nValues]string{vSystemName: "RC", vEmail: "ann@x.com", vGroupName: "Lobby", vFullName: "Ann"}}, // not next to the first Ann
	}
	for _, r := range rows {
		if !st.keep(r.v[:], r.line) {
			t.Fatalf("keep(line %d) = false", r.line)
		}
	}
	got, _ := st.build("f.csv", 0)
	want := []Row{
		{File: "f.csv", Line: 2, SystemName: "HT", Email: "ann@x.com", GroupName: "Lobby", FullName: "Ann"},
		{File: "f.csv", Line: 3, SystemName: "HT", Email: "ann@x.com", GroupName: "Floor 2", FullName: "Ann"},
		{File: "f.csv", Line: 5, SystemName: "HT", Email: "bob@x.com", Phone: "+1555", GroupName: "Floor 2"},
		{File: "f.csv", Line: 9, SystemName: "RC", Email: "ann@x.com", GroupName: "Lobby", FullName: "Ann"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	switch {
	case !same(got[0].Email, got[1].Email) || !same(got[0].FullName, got[1].FullName):
		t.Error("a row of the same user as the row before does not share its values")
	case same(got[0].Email, got[3].Email):
		t.Error("rows of one user far apart share their values: only the row before is compared")
	case !same(got[0].GroupName, got[3].GroupName) || !same(got[1].GroupName, got[2].GroupName) || !same(got[0].SystemName, got[2].SystemName):
		t.Error("system and group values are not shared")
	}
	if want := len("ann@x.comAnnbob@x.com+1555ann@x.comAnn"); st.users.Len() != want {
		t.Errorf("user bytes = %d, want %d", st.users.Len(), want)
	}
}

func TestStoreRefusesLinesPastMaxLine(t *testing.T) {
	st := newStore()
	st.layout([]int{vEmail, vGroupName})
	st.maxLine = 3
	v := [nValues]string{vEmail: "ann@x.com", vGroupName: "Lobby"}
	if !st.keep(v[:], 3) || st.keep(v[:], 4) || st.n != 1 {
		t.Fatalf("keep at the limit and past it: n = %d, want 1", st.n)
	}
	if got, _ := st.build("f.csv", 0); len(got) != 1 || got[0].Line != 3 {
		t.Errorf("rows = %+v", got)
	}
}

func TestStoreInternLimit(t *testing.T) {
	st := newStore()
	st.layout([]int{vEmail, vGroupName})
	for i := range internLimit + 10 {
		v := [nValues]string{vEmail: "a@x.com", vGroupName: string(rune('A'+i%2)) + strconv.Itoa(i)}
		st.keep(v[:], i+2)
	}
	if len(st.index) != internLimit || len(st.vals) != internLimit+11 {
		t.Errorf("index %d, vals %d; want %d and %d", len(st.index), len(st.vals), internLimit, internLimit+11)
	}
	rows, _ := st.build("f.csv", 0)
	if last := rows[len(rows)-1]; last.GroupName != "B"+strconv.Itoa(internLimit+9) {
		t.Errorf("last row = %+v", last)
	}
}
