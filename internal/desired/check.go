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

// writeFold writes s to h so that addresses equal under email.Equal hash
// alike: as email.Fold(s), without allocating.
func writeFold(h *maphash.Hash, s string) {
	for len(s) > 0 {
		i := 0
		for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
			i++
		}
		h.WriteString(s[:i])
		if i == len(s) {
			return
		}
		h.WriteByte(s[i] + 'a' - 'A')
		s = s[i+1:]
	}
}
