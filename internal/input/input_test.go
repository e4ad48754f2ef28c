package input

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
)

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadGathersEveryFilesProblems: the problems of every file and of the
// rules are one usage error naming each file; warnings are said, not
// returned.
func TestReadGathersEveryFilesProblems(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.csv", "email,department\nann@x.com,Sales\nnot-an-email,Sales\n")
	b := write(t, dir, "b.csv", "email,department,colour\nbob@x.com,Sales,red\nbo@,Ops,blue\n")
	r := write(t, dir, "rules.csv", "department,access_group\nSales,Floor 2\nSales,Floor 2\n")
	var said []string
	_, err := Read(Spec{Files: []string{a, b}, Rules: r}, func(_ slog.Level, msg string) { said = append(said, msg) })
	if exitcode.For(err) != exitcode.Usage {
		t.Fatalf("error %v, want a usage error", err)
	}
	for _, want := range []string{a + " has 1 problem", b + " has 1 problem", r + " has 1 problem", "nothing was changed",
		a + ":3: column email:", b + ":3: column email:", r + ":3:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(said) == 0 || !strings.Contains(strings.Join(said, "\n"), "colour") {
		t.Errorf("the ignored column was not said: %q", said)
	}
}

// TestReadExpandsRules: people matching a rule get its group, and the
// reading options round-trip through a saved plan's Reading.
func TestReadExpandsRules(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "hr.csv", "Work Email,department\nann@x.com,Sales\ncat@x.com,Ops\n")
	r := write(t, dir, "rules.csv", "department,access_group\nSales,Floor 2\n")
	s := Spec{Files: []string{a}, Rules: r, Columns: map[string]string{"email": "Work Email"}, ListSeparator: '|'}
	in, err := Read(s, func(slog.Level, string) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Plan.Rows) != 1 || in.Plan.Rows[0].Email != "ann@x.com" || in.Plan.Rows[0].GroupName != "Floor 2" || len(in.Plan.Groupless) != 1 {
		t.Errorf("expanded %+v, groupless %d", in.Plan.Rows, len(in.Plan.Groupless))
	}
	if files := in.Inputs(); len(files) != 2 || files[1].Path != r || len(files[0].SHA256) != 64 {
		t.Errorf("inputs %+v", files)
	}
	again := SpecOf(s.Files, s.Rules, s.Reading())
	if again.ListSeparator != '|' || again.Columns["email"] != "Work Email" || again.Delimiter != 0 {
		t.Errorf("spec from the saved reading %+v", again)
	}
}
