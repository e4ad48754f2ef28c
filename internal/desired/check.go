package desired

import (
	"fmt"
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf8"
)

// emailASCII says, for each ASCII byte, why it cannot be in an email
// address ("" when it can).
var emailASCII = func() (t [utf8.RuneSelf]string) {
	for c := range t {
		switch {
		case c == ' ' || '\t' <= c && c <= '\r':
			t[c] = "contains white space"
		case c < ' ' || c == 0x7F || strings.IndexByte(`<>()[]\,;:"`, byte(c)) >= 0:
			t[c] = fmt.Sprintf("contains %q", rune(c))
		}
	}
	return t
}()

// checkEmail returns why s is not a plain email address (local@domain.tld),
// or "" when it is one. Display names ("Ann <ann@example.com>"), lists and
// spaces are rejected: the API takes a bare address.
func checkEmail(s string) string {
	at := strings.IndexByte(s, '@')
	switch {
	case at < 0:
		return "no @"
	case strings.IndexByte(s[at+1:], '@') >= 0:
		return "more than one @"
	case at == 0:
		return "nothing before @"
	case at == len(s)-1:
		return "nothing after @"
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			continue
		}
		if why := emailASCII[c]; why != "" {
			return why
		}
	}
	if !ascii {
		for _, r := range s {
			switch {
			case r == utf8.RuneError:
				return "not valid UTF-8"
			case unicode.IsSpace(r):
				return "contains white space"
			case unicode.IsControl(r):
				return fmt.Sprintf("contains %q", r)
			}
		}
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "misplaced dot before @"
	}
	if !strings.Contains(domain, ".") {
		return "domain has no dot"
	}
	if domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, "..") {
		return "empty part in domain"
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent bytes each
// count one), used to spot typos in header names.
func editDistance(a, b string) int {
	// Three rows of the classic table are enough.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// writeFold writes s to h so that strings equal under strings.EqualFold
// hash alike: every rune is replaced by the smallest rune of its case
// folding orbit, or by the lower case of that rune when it is an ASCII
// letter.
func writeFold(h *maphash.Hash, s string) {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			simple = false
			break
		}
	}
	if simple {
		h.WriteString(s)
		return
	}
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			h.WriteByte(byte(r))
			continue
		}
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		if 'A' <= low && low <= 'Z' {
			// The orbit holds an ASCII letter (K and the Kelvin sign):
			// use its lower case, as the ASCII path does.
			h.WriteByte(byte(low + 'a' - 'A'))
			continue
		}
		h.Write(utf8.AppendRune(buf[:0], low))
	}
}
