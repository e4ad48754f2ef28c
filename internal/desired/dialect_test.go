package desired

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestDetectionKeepsCommaFiles reads every CSV the project ships or tests
// with (the samples, the CSV files of the command's test scripts, the
// benchmark file) whose header has a comma and checks that the delimiter
// detected is the comma.
func TestDetectionKeepsCommaFiles(t *testing.T) {
	files := map[string][]byte{}
	samples, err := filepath.Glob("../../samples/*.csv")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples (%v)", err)
	}
	for _, p := range samples {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	scripts, err := filepath.Glob("../../cmd/acs-bulk/testdata/script/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no test scripts (%v)", err)
	}
	for _, p := range scripts {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			// A comma file is one whose header has a comma: the scripts
			// also hold files in other dialects, on purpose.
			header, _, _ := strings.Cut(string(f.Data), "\n")
			if strings.HasSuffix(f.Name, ".csv") && strings.Contains(header, ",") {
				files[p+":"+f.Name] = f.Data
			}
		}
	}
	files["writeBenchFile"], err = os.ReadFile(writeBenchFile(t, t.TempDir(), 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d files found", len(files))
	}
	for p, b := range files {
		f, _ := Read(p, strings.NewReader(string(b)), Options{})
		if f.Delimiter != ',' || !f.DelimiterDetected || f.Encoding != "UTF-8" {
			t.Errorf("%s: delimiter %q (detected %v), encoding %s; want a comma-separated UTF-8 file",
				p, f.Delimiter, f.DelimiterDetected, f.Encoding)
		}
		// An HR export read with --column names none of ours: it must
		// still be split at its commas.
		if !slicesHasKnown(f.Columns) && len(f.Columns) < 2 {
			t.Errorf("%s: columns %q name no known column and were not split", p, f.Columns)
		}
	}
}

func slicesHasKnown(cols []string) bool {
	for _, c := range cols {
		if isKnown(c) {
			return true
		}
	}
	return false
}

func TestDelimiterOption(t *testing.T) {
	in := "email;access_group\nann@example.com;Lobby,Floor 2\n"
	f, err := Read(name, strings.NewReader(in), Options{})
	if err != nil || f.Delimiter != ';' || !f.DelimiterDetected || len(f.Rows) != 1 || f.Rows[0].GroupName != "Lobby,Floor 2" {
		t.Fatalf("detected: err %v, file %+v", err, f)
	}
	f, err = Read(name, strings.NewReader(in), Options{Delimiter: ';'})
	if err != nil || f.Delimiter != ';' || f.DelimiterDetected || len(f.Rows) != 1 || f.Rows[0].GroupName != "Lobby,Floor 2" {
		t.Fatalf("semicolon: err %v, file %+v", err, f)
	}
	// The option wins over detection: read as comma, the header has no
	// known column.
	f, err = Read(name, strings.NewReader(in), Options{Delimiter: ','})
	var errs *Errors
	if !errors.As(err, &errs) || f.Delimiter != ',' || f.DelimiterDetected ||
		!strings.Contains(err.Error(), "the header names no known column") {
		t.Fatalf("comma: err %v, delimiter %q detected %v", err, f.Delimiter, f.DelimiterDetected)
	}
	for _, d := range []rune{'"', '\n', '\r', 0xD800, -1, 0x110000, 0xFFFD} {
		f, err := Read(name, strings.NewReader(in), Options{Delimiter: d})
		if f != nil || !errors.Is(err, ErrInvalidDelimiter) || errors.As(err, &errs) {
			t.Errorf("delimiter %q: file %v, err %v; want ErrInvalidDelimiter", d, f, err)
		}
	}
}

func TestDelimiterName(t *testing.T) {
	for d, want := range map[rune]string{',': "comma", ';': "semicolon", '\t': "tab", '|': "pipe", ':': "':'"} {
		if got := DelimiterName(d); got != want {
			t.Errorf("DelimiterName(%q) = %q, want %q", d, got, want)
		}
	}
}
