package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
)

// readmeCommands extracts the acs-bulk command lines of the README's sh
// blocks, with the exit status each expects (0, or the "# exit N" comment).
func readmeCommands(t *testing.T, readme []byte) (lines []string, codes []int) {
	sc := bufio.NewScanner(bytes.NewReader(readme))
	in := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			in = false
		case in && line != "":
			if !strings.HasPrefix(line, "acs-bulk ") {
				t.Fatalf("README.md:%d: an sh block holds %q; sh blocks are run as tests and hold only acs-bulk commands (use bash for others)", n, line)
			}
			code := 0
			if cmd, comment, ok := strings.Cut(line, "#"); ok {
				c, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(comment), "exit")))
				if err != nil {
					t.Fatalf("README.md:%d: comment %q is not \"# exit N\"", n, comment)
				}
				line, code = strings.TrimSpace(cmd), c
			}
			lines = append(lines, line)
			codes = append(codes, code)
		}
	}
	return lines, codes
}

// splitWords splits a command line on spaces, keeping double-quoted words.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// TestREADMEExamples runs every acs-bulk line of the README's sh blocks, in
// order, against one sandbox on the sample site, in a directory holding a
// copy of samples/: the README cannot drift from the tool.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines, codes := readmeCommands(t, readme)
	if len(lines) < 10 {
		t.Fatalf("found %d example commands in README.md; the extraction is broken", len(lines))
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "samples"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../../samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("../../samples", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "samples", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := sandbox.New(sandbox.SampleSite(), sandbox.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := map[string]string{"SEAM_ENDPOINT": hs.URL, "SEAM_API_KEY": srv.APIKeys()[0], "ACS_BULK_LOCK_DIR": filepath.Join(dir, ".locks")}
	t.Chdir(dir) // the examples' relative paths are the samples' copies
	for i, line := range lines {
		args := splitWords(line)[1:]
		var out, errb bytes.Buffer
		io := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
		switch args[0] {
		case "plan", "apply", "rerun", "revert", "export":
			args = append(args, "--rate=0") // the sandbox needs no pacing
		}
		if code := run(context.Background(), args, io); code != codes[i] {
			t.Errorf("README example %q exited %d, want %d\nstdout:\n%s\nstderr:\n%s", line, code, codes[i], out.String(), errb.String())
		}
	}
}

// TestREADMEExitStatusTable: the README's exit status table is the one in
// internal/exitcode, word for word.
func TestREADMEExitStatusTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n## Exit status\n")
	if !ok {
		t.Fatal("README.md has no \"## Exit status\" section")
	}
	start := strings.Index(rest, "| code |")
	if start < 0 {
		t.Fatal("the Exit status section has no table")
	}
	table, _, _ := strings.Cut(rest[start:], "\n\n")
	if got, want := table+"\n", exitcode.Markdown(); got != want {
		t.Errorf("README.md's exit status table differs from exitcode.Table:\n%s\nwant:\n%s", got, want)
	}
}
