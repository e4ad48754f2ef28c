package email

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFoldAndEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		{"ann@example.com", "ann@example.com", true},
		{"Ann@Example.COM", "ann@example.com", true},
		{"\u212Aim@x.com", "kim@x.com", false}, // Kelvin sign: EqualFold says true
		{"\u212Aim@x.com", "Kim@x.com", false},
		{"\u017Fam@x.org", "sam@x.org", false}, // long s: EqualFold says true
		{"ZOË@x.com", "zoë@x.com", false},      // non-ASCII letters match exactly only
		{"zoë@x.com", "ZOë@x.com", true},
		{"straße@x.de", "STRASSE@X.DE", false},
		{"a@x.co", "a@x.com", false},
		{"@", "`", false}, // '@' and '`' are next to 'A'..'Z': not letters
		{"[", "{", false},
	} {
		if got := Equal(tc.a, tc.b); got != tc.equal {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.equal)
		}
		if got := Fold(tc.a) == Fold(tc.b); got != tc.equal {
			t.Errorf("Fold(%q) == Fold(%q) is %v, want %v", tc.a, tc.b, got, tc.equal)
		}
	}
	if got := Fold("Ann@X.COM"); got != "ann@x.com" {
		t.Errorf("Fold = %q", got)
	}
	s := "ann@x.com"
	if n := testing.AllocsPerRun(10, func() { _ = Fold(s) }); n != 0 {
		t.Errorf("Fold of a folded address allocates %v times", n)
	}
}

func TestFoldKeepsEveryNonASCIIByte(t *testing.T) {
	// Every byte outside A-Z is left alone, so no multi-byte character is
	// changed and none can become ASCII.
	for c := 0; c < 256; c++ {
		in := string([]byte{byte(c)})
		want := in
		if 'A' <= c && c <= 'Z' {
			want = strings.ToLower(in)
		}
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNonASCII(t *testing.T) {
	for _, tc := range []struct {
		in string
		r  rune
		ok bool
	}{
		{"ann@x.com", 0, false},
		{"\u212Aim@x.com", '\u212A', true},
		{"zoë@x.cöm", 'ë', true},
		{"a\xffb", utf8.RuneError, true},
	} {
		if r, ok := NonASCII(tc.in); r != tc.r || ok != tc.ok {
			t.Errorf("NonASCII(%q) = %U, %v; want %U, %v", tc.in, r, ok, tc.r, tc.ok)
		}
	}
}

func TestASCIITwin(t *testing.T) {
	for _, tc := range []struct {
		in rune
		r  rune
		ok bool
	}{
		{'\u212A', 'k', true},
		{'\u017F', 's', true},
		{'k', 0, false},
		{'K', 0, false},
		{'é', 0, false},
		{'\u0430', 0, false}, // Cyrillic a looks like a but does not fold to it
	} {
		if r, ok := ASCIITwin(tc.in); r != tc.r || ok != tc.ok {
			t.Errorf("ASCIITwin(%U) = %q, %v; want %q, %v", tc.in, r, ok, tc.r, tc.ok)
		}
	}
	// They are the only ones: no other character folds to ASCII.
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if _, ok := ASCIITwin(r); ok && r != '\u212A' && r != '\u017F' {
			t.Errorf("ASCIITwin(%U) is true", r)
		}
	}
}
