// Package quote shows values read from input in messages: quoted with Go's
// escapes, so that control characters, invalid bytes and quotes are visible
// and harmless on a terminal, and cut to a readable length, so that a
// 10 MB field does not become 10 MB of stderr. It is the one place the
// project decides how an input value looks in an error, a warning or a
// hint.
package quote

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// Max is the most bytes of quoted text Value shows between the quotes:
// enough for any real email address, id or name, short enough to keep a
// message on a line or two.
const Max = 80

// Value returns s as a double-quoted Go string literal (strconv.Quote). When
// that would hold more than Max bytes between the quotes, the value is cut
// at a character boundary and its size in bytes follows:
//
//	"ann@example.com"
//	"aaaaaaaa…aaaa"... (10485760 bytes)
func Value(s string) string {
	if len(s) <= Max {
		if q := strconv.Quote(s); len(q) <= Max+2 {
			return q
		}
	}
	// Quote escapes character by character (an invalid byte on its own),
	// so the quoted size of a prefix is the sum of its characters'.
	var buf [16]byte
	n, size := 0, 0
	for n < len(s) {
		_, w := utf8.DecodeRuneInString(s[n:])
		c := len(strconv.AppendQuote(buf[:0], s[n:n+w])) - 2
		if size+c > Max {
			break
		}
		size += c
		n += w
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:n]), len(s))
}

// Label returns s unchanged when it reads safely as it is (at most Max
// bytes of printable characters, no quote or backslash, not empty), and
// Value(s) otherwise. It suits names shown without quotes, such as a header
// name in "column NAME: ...".
func Label(s string) string {
	if s == "" || len(s) > Max {
		return Value(s)
	}
	for _, r := range s {
		if r == '"' || r == '\\' || r == utf8.RuneError || !strconv.IsPrint(r) {
			return Value(s)
		}
	}
	return s
}

// Rune names a character for a message: its code point and its Unicode
// name, "U+212A KELVIN SIGN"; a character with no name (a control
// character, say) is shown by code point and escape, "U+0000 '\x00'".
func Rune(r rune) string {
	if name := runenames.Name(r); name != "" && !strings.HasPrefix(name, "<") {
		return fmt.Sprintf("%U %s", r, name)
	}
	return fmt.Sprintf("%U %s", r, strconv.QuoteRune(r))
}
