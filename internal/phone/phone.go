// Package phone compares phone numbers the way people write them: only the
// digits count, and a leading +.
package phone

import "strings"

// Normalize keeps the digits of a phone number and a + in front of them, so
// that "+1 (555) 010-0100" and "+15550100100" compare equal. A value with no
// digit normalizes to "".
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	clean := s != "" && s != "+"
	for i := 0; i < len(s) && clean; i++ {
		c := s[i]
		clean = '0' <= c && c <= '9' || c == '+' && i == 0
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			b = append(b, c)
		case c == '+' && i == 0:
			b = append(b, c)
		}
	}
	if len(b) == 0 || len(b) == 1 && b[0] == '+' {
		return ""
	}
	return string(b)
}
