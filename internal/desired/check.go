package desired

import (
	"fmt"
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/quote"
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

// maxValue is the most bytes a value may have. The longest real values are
// emails (at most 254 bytes by RFC 5321); ids are 36-byte UUIDs, phone
// numbers a few dozen bytes, names rarely more than a hundred. 1 KiB is four
// times the longest email and 256 characters of the widest UTF-8: a longer
// value is not data but a broken file (typically a quote that swallowed the
// lines after it), and would otherwise be carried whole into errors, plans
// and reports.
const maxValue = 1 << 10

// checkValue returns why v, a trimmed value of column col, cannot be used,
// or "" when it can: it is too long, not valid UTF-8 or holds a control
// character (NUL, say). A full_name may span lines (a quoted field with
// line breaks or tabs); no other value may.
func checkValue(col, v string) string {
	if len(v) > maxValue {
		why := fmt.Sprintf("value %s is longer than the %d bytes a value may have", quote.Value(v), maxValue)
		if strings.Contains(v, "\n") {
			why += ": it spans several lines; is a quote unbalanced?"
		}
		return why
	}
	plain := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c >= 0x7F {
			plain = false
			break
		}
	}
	if plain {
		return ""
	}
	if !utf8.ValidString(v) {
		return fmt.Sprintf("value %s is not valid UTF-8: save the file as UTF-8", quote.Value(v))
	}
	for _, r := range v {
		if !unicode.IsControl(r) || col == ColumnFullName && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		return fmt.Sprintf("value %s contains the control character %s", quote.Value(v), quote.Rune(r))
	}
	return ""
}

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
