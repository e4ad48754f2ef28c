package rules

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// benchCase is an HR export of people, a rules file and the CSV of the
// memberships they expand to, against a workspace whose members are those
// memberships but for 1% missing (adds), and 1% more of leavers, people in
// no file (removes).
//
// The rules come in layers of rules/perPerson rules; in each layer every
// person matches exactly one rule (department=d, with the other two
// conditions a wildcard, or location=s with type=t), so that each person
// gets perPerson groups. Rule r of a layer gives group "L<layer> G<r mod
// 25>" of the one system.
type benchCase struct {
	people, rules, perPerson       int
	export, rulesFile, memberships string
	snap                           *live.Snapshot
	want                           int // memberships
}

func newBenchCase(tb testing.TB, dir string, people, rules, perPerson int) *benchCase {
	tb.Helper()
	c := &benchCase{people: people, rules: rules, perPerson: perPerson,
		export: filepath.Join(dir, "hr.csv"), rulesFile: filepath.Join(dir, "rules.csv"), memberships: filepath.Join(dir, "memberships.csv")}
	per := rules / perPerson // rules in a layer
	// Odd layers key on location x type: per = locations * types.
	types := 1
	for t := 2; t*t <= per; t++ {
		if per%t == 0 {
			types = t
		}
	}
	write := func(path string, fill func(w *bufio.Writer)) {
		f, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	group := func(layer, r int) string { return "L" + strconv.Itoa(layer) + " G" + strconv.Itoa(r%25) }
	write(c.rulesFile, func(w *bufio.Writer) {
		w.WriteString("department,location,type,access_group\n")
		for l := range perPerson {
			for r := range per {
				if l%2 == 0 {
					fmt.Fprintf(w, "Dept %d,*,*,%s\n", r, group(l, r))
				} else {
					fmt.Fprintf(w, "*,Site %d,Type %d,%s\n", r/types, r%types, group(l, r))
				}
			}
		}
	})
	// Person p: department p mod per, location and type from p / per.
	type m struct{ g, email string }
	var ms []m
	write(c.export, func(w *bufio.Writer) {
		w.WriteString("Employee ID,Name,Work Email,Dept,Location,Type\n")
		for p := range people {
			d, lt := p%per, (p/per)%per
			email := "user" + strconv.Itoa(p) + "@example.com"
			fmt.Fprintf(w, "E%d,User %d,%s,Dept %d,Site %d,Type %d\n", p, p, email, d, lt/types, lt%types)
			for l := range perPerson {
				r := d
				if l%2 == 1 {
					r = lt
				}
				ms = append(ms, m{group(l, r), email})
			}
		}
	})
	c.want = len(ms)
	write(c.memberships, func(w *bufio.Writer) {
		w.WriteString("acs_system,access_group,email,full_name\n")
		for i, x := range ms {
			fmt.Fprintf(w, "Site,%s,%s,User %d\n", x.g, x.email, i/perPerson)
		}
	})
	// The workspace: every person an ACS user, the groups with their
	// members: the memberships but every 100th, and one extra each 100.
	snap := &live.Snapshot{Systems: []seam.System{{ID: "sys", Name: "Site"}}, Members: map[string][]string{}}
	for p := range people {
		snap.Users = append(snap.Users, seam.User{ID: "u" + strconv.Itoa(p), SystemID: "sys",
			EmailAddress: "user" + strconv.Itoa(p) + "@example.com", FullName: "User " + strconv.Itoa(p)})
	}
	ids := map[string]string{}
	for l := range perPerson {
		for g := range 25 {
			name := group(l, g)
			ids[name] = "ag_" + strconv.Itoa(l) + "_" + strconv.Itoa(g)
			snap.Groups = append(snap.Groups, seam.AccessGroup{ID: ids[name], SystemID: "sys", Name: name})
			snap.Members[ids[name]] = []string{}
		}
	}
	for i, x := range ms {
		id := ids[x.g]
		switch i % 100 {
		case 0: // missing: an add
		case 1: // and a leaver, in no file: a remove
			leaver := "x" + strconv.Itoa(i)
			snap.Users = append(snap.Users, seam.User{ID: leaver, SystemID: "sys", EmailAddress: leaver + "@example.com"})
			snap.Members[id] = append(snap.Members[id], "u"+strconv.Itoa(i/perPerson), leaver)
		default:
			snap.Members[id] = append(snap.Members[id], "u"+strconv.Itoa(i/perPerson))
		}
	}
	c.snap = snap
	return c
}

// planReads runs what the command does with an input before and after the
// live read: the reads' choices, then the plan.
func planReads(tb testing.TB, in plan.Input, snap *live.Snapshot) *plan.Plan {
	r := plan.NewReads(in, plan.Options{})
	if _, err := r.Systems(snap.Systems); err != nil {
		tb.Fatal(err)
	}
	r.Groups(snap.Systems, snap.Groups)
	r.Identities(snap)
	p, err := plan.Compute(in, snap, plan.Options{MaxRemovals: plan.Limit{Value: 100, Kind: plan.LimitPercent}})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// fromExport reads the rules and the export, expands and plans.
func (c *benchCase) fromExport(tb testing.TB) *plan.Plan {
	s, err := ReadFile(c.rulesFile)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := desired.ReadFile(c.export, desired.Options{
		Columns:    map[string]string{"email": "Work Email", "full_name": "Name", "department": "Dept"},
		Attributes: s.Conditions, GroupsOptional: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	files := []*desired.File{f}
	if err := s.Check(files); err != nil {
		tb.Fatal(err)
	}
	return planReads(tb, Expand(files, s), c.snap)
}

// fromMemberships reads the equivalent CSV of memberships and plans.
func (c *benchCase) fromMemberships(tb testing.TB) *plan.Plan {
	f, err := desired.ReadFile(c.memberships, desired.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return planReads(tb, Expand([]*desired.File{f}, nil), c.snap)
}

// BenchmarkExpandAndPlan compares, for 100,000 people, planning from the
// HR export and the rules with planning from the one-row-per-membership CSV
// they are equivalent to: both read their files, decide what to read live
// and plan against the same workspace. The matrix: 20, 200 and 1,000 rules;
// 2, 4 and 8 groups per person.
func BenchmarkExpandAndPlan(b *testing.B) {
	top := b
	for _, rules := range []int{20, 200, 1000} {
		for _, perPerson := range []int{2, 4, 8} {
			name := fmt.Sprintf("rules=%d/groups=%d", rules, perPerson)
			var c *benchCase
			setup := func(b *testing.B) {
				if c == nil {
					c = newBenchCase(b, top.TempDir(), 100_000, rules, perPerson)
				}
			}
			check := func(b *testing.B, p *plan.Plan) {
				if got := p.Totals.Add + p.Totals.Unchanged; got != c.want {
					b.Fatalf("%d memberships planned, want %d", got, c.want)
				}
			}
			b.Run(name+"/input=export+rules", func(b *testing.B) {
				setup(b)
				b.ReportAllocs()
				for b.Loop() {
					check(b, c.fromExport(b))
				}
			})
			b.Run(name+"/input=memberships", func(b *testing.B) {
				setup(b)
				b.ReportAllocs()
				for b.Loop() {
					check(b, c.fromMemberships(b))
				}
			})
		}
	}
}

// TestBenchCaseIsEquivalent: the export with the rules and the CSV of
// memberships give the same plan, operation for operation but for the
// reasons and lines.
func TestBenchCaseIsEquivalent(t *testing.T) {
	c := newBenchCase(t, t.TempDir(), 2000, 20, 4)
	a, b := c.fromExport(t), c.fromMemberships(t)
	if a.Totals != b.Totals || len(a.Operations) != len(b.Operations) {
		t.Fatalf("totals %+v and %+v", a.Totals, b.Totals)
	}
	if a.Totals.Add == 0 || a.Totals.Remove == 0 || a.Totals.Add+a.Totals.Unchanged != 8000 {
		t.Fatalf("totals %+v: want adds, removes and 8000 memberships", a.Totals)
	}
	for i := range a.Operations {
		x, y := a.Operations[i], b.Operations[i]
		if x.Action != y.Action || x.GroupID != y.GroupID || x.AcsUserID != y.AcsUserID {
			t.Fatalf("operation %d: %s and %s", i, x.Describe(), y.Describe())
		}
	}
}
