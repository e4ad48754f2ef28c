package desired

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	textunicode "golang.org/x/text/encoding/unicode"
)

// ErrInvalidDelimiter is wrapped by the error Read returns for an
// Options.Delimiter that cannot separate fields.
var ErrInvalidDelimiter = errors.New("invalid delimiter")

// detectable lists the delimiters Read tells apart from the header, comma
// first: it wins a tie.
var detectable = []rune{',', ';', '\t', '|'}

// DelimiterName names a delimiter for messages: "comma", "semicolon", "tab",
// "pipe", or the character quoted.
func DelimiterName(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return strconv.QuoteRune(d)
}

// checkDelimiter returns an error wrapping ErrInvalidDelimiter when d cannot
// separate fields in encoding/csv.
func checkDelimiter(d rune) error {
	switch {
	case d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d) || d < 0:
		return fmt.Errorf("%w %s: a field separator cannot be a quote, a line break or an invalid character", ErrInvalidDelimiter, strconv.QuoteRune(d))
	}
	return nil
}

// openText returns the reader of the file's text as UTF-8: br itself past a
// UTF-8 byte order mark, or a UTF-16 decoder over br when the file starts
// with a UTF-16 one. It sets File.Encoding, and records a problem (and
// returns nil) for a file it refuses: UTF-32, or UTF-16 without a byte
// order mark, which shows as NUL bytes in the first line.
func (rd *reader) openText(br *bufio.Reader) *bufio.Reader {
	head, _ := br.Peek(4)
	var dec *textunicode.Endianness
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = br.Discard(len(utf8BOM))
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}), bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		rd.add(1, "", "the file is UTF-32: save it as UTF-8 (or UTF-16)")
		return nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		e := textunicode.LittleEndian
		dec, rd.file.Encoding = &e, "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		e := textunicode.BigEndian
		dec, rd.file.Encoding = &e, "UTF-16BE"
	}
	if dec != nil {
		// The decoder consumes the byte order mark.
		text := textunicode.UTF16(*dec, textunicode.ExpectBOM).NewDecoder().Reader(br)
		return bufio.NewReaderSize(text, br.Size())
	}
	if line := firstLine(br); bytes.IndexByte(line, 0) >= 0 {
		rd.add(1, "", "the first line holds NUL bytes: is the file UTF-16 or UTF-32 without a byte order mark? Save it as UTF-8")
		return nil
	}
	return br
}

// firstLine returns the first line of br with text in it, without reading
// it: the line encoding/csv takes for the header (blank lines are skipped),
// up to its first line break outside quotes, or as much of it as br
// buffers.
func firstLine(br *bufio.Reader) []byte {
	buf, _ := br.Peek(br.Size()) // a short peek at the end of the input is fine
	for len(buf) > 0 && (buf[0] == '\n' || buf[0] == '\r') {
		buf = buf[1:]
	}
	quoted := false
	for i, c := range buf {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return bytes.TrimSuffix(buf[:i], []byte{'\r'})
		}
	}
	return buf
}

// detectDelimiter returns the delimiter, among the detectable ones, under
// which the header line names the most columns isName knows: comma when it
// ties, or when no delimiter makes the header name one.
func detectDelimiter(line []byte, isName func(string) bool) rune {
	best, most := ',', 0
	for _, d := range detectable {
		if n := knownIn(line, byte(d), isName); n > most {
			best, most = d, n
		}
	}
	return best
}

// knownIn counts the fields of line, split at d outside quotes, that are
// names isName knows.
func knownIn(line []byte, d byte, isName func(string) bool) int {
	n, start, quoted := 0, 0, false
	for i := 0; i <= len(line); i++ {
		if i < len(line) {
			if line[i] == '"' {
				quoted = !quoted
			}
			if line[i] != d || quoted {
				continue
			}
		}
		f := bytes.TrimSpace(line[start:i])
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = bytes.ReplaceAll(f[1:len(f)-1], []byte(`""`), []byte(`"`))
		}
		if isName(normalizeHeader(string(f))) {
			n++
		}
		start = i + 1
	}
	return n
}

// isSpaceDelimiter reports whether d is white space, with which
// csv.Reader.TrimLeadingSpace would swallow empty fields.
func isSpaceDelimiter(d rune) bool { return unicode.IsSpace(d) }
