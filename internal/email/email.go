// Package email holds the rule by which the project compares email
// addresses: letter for letter, except that the ASCII letters A-Z match
// their lower case. Unicode case folding (strings.ToLower,
// strings.EqualFold) is deliberately not used: it turns the Kelvin sign
// U+212A into "k" and the long s U+017F into "s", so that an address
// spelled with one of them would resolve to the person whose address has
// the ASCII letter. Under this rule a non-ASCII character never matches an
// ASCII one.
package email

import (
	"unicode"
	"unicode/utf8"
)

// Fold returns the form of address s that is compared: s with the ASCII
// letters A-Z lower-cased and every other byte unchanged. It returns s
// itself, without allocating, when s has no ASCII capital letter.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return string(AppendFold(make([]byte, 0, len(s)), s))
		}
	}
	return s
}

// AppendFold appends Fold(s) to dst and returns the extended buffer.
func AppendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// Equal reports whether addresses a and b are the same under Fold.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// NonASCII returns the first character of s that is not ASCII (an invalid
// byte is utf8.RuneError), and false when s is all ASCII.
func NonASCII(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return r, true
		}
	}
	return 0, false
}

// ASCIITwin returns the lower-case ASCII letter that Unicode case folding
// makes r equal to ('k' for the Kelvin sign U+212A, 's' for the long s
// U+017F), and false for every other non-ASCII character. Those are the
// characters Fold keeps apart from ASCII where strings.EqualFold would
// not.
func ASCIITwin(r rune) (rune, bool) {
	if r < utf8.RuneSelf {
		return 0, false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return unicode.ToLower(f), true
		}
	}
	return 0, false
}
