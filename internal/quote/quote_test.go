package quote

import (
	"strconv"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	long := strings.Repeat("a", 10<<20)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "ann@example.com", `"ann@example.com"`},
		{"empty", "", `""`},
		{"NUL and quotes are escaped", "Lob\x00by \"x\"", `"Lob\x00by \"x\""`},
		{"invalid UTF-8 is escaped", "M\xfcller", `"M\xfcller"`},
		{"non-ASCII letters stay", "Zoë Müller", `"Zoë Müller"`},
		{"exactly Max fits", strings.Repeat("b", Max), strconv.Quote(strings.Repeat("b", Max))},
		{"one over Max is cut", strings.Repeat("b", Max+1), strconv.Quote(strings.Repeat("b", Max)) + "... (81 bytes)"},
		{"10 MB is cut", long, strconv.Quote(long[:Max]) + "... (10485760 bytes)"},
		{"escapes count towards Max", strings.Repeat("\x00", 30), strconv.Quote(strings.Repeat("\x00", 20)) + "... (30 bytes)"},
		{"cut at a character boundary", strings.Repeat("é", 50), strconv.Quote(strings.Repeat("é", 40)) + "... (100 bytes)"},
		{"a run of invalid bytes", strings.Repeat("\xff", 100), strconv.Quote(strings.Repeat("\xff", 20)) + "... (100 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Value(tc.in)
			if got != tc.want {
				t.Errorf("Value = %s, want %s", got, tc.want)
			}
			if q, _, _ := strings.Cut(got, "..."); len(q) > Max+2 {
				t.Errorf("quoted part is %d bytes, more than %d", len(q), Max+2)
			}
		})
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"email", "email"},
		{"e mail", "e mail"},
		{"département", "département"},
		{"", `""`},
		{"a\x00b", `"a\x00b"`},
		{"a\tb", `"a\tb"`},
		{`say "hi"`, `"say \"hi\""`},
		{"\u202Eevil", `"\u202eevil"`}, // a bidi override is not printable
		{strings.Repeat("x", Max+1), strconv.Quote(strings.Repeat("x", Max)) + "... (81 bytes)"},
	} {
		if got := Label(tc.in); got != tc.want {
			t.Errorf("Label(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRune(t *testing.T) {
	for _, tc := range []struct {
		in   rune
		want string
	}{
		{'\u212A', "U+212A KELVIN SIGN"},
		{'\u017F', "U+017F LATIN SMALL LETTER LONG S"},
		{'é', "U+00E9 LATIN SMALL LETTER E WITH ACUTE"},
		{0, `U+0000 '\x00'`},
		{'\u0085', `U+0085 '\u0085'`},
	} {
		if got := Rune(tc.in); got != tc.want {
			t.Errorf("Rune(%U) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
