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
