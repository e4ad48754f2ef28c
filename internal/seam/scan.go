package seam

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// scanner reads JSON from a stream without building values: it finds the
// strings it is asked for and skips the rest, checking the syntax as it
// goes. It serves the one answer that can be huge (a group's members: every
// member's whole ACS user), where encoding/json would decode, or at least
// tokenize, every field of every member.
type scanner struct {
	r   *bufio.Reader
	buf []byte // scratch for strings
}

func newScanner(r io.Reader) *scanner { return &scanner{r: bufio.NewReaderSize(r, 64<<10)} }

var errSyntax = errors.New("invalid JSON")

// next returns the next byte that is not white space.
func (s *scanner) next() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

// expect reads the next byte that is not white space and checks it is c.
func (s *scanner) expect(c byte) error {
	got, err := s.next()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("%w: want %q, found %q", errSyntax, c, got)
	}
	return nil
}

// str reads a string whose opening quote was read, and returns its value
// (the scratch buffer: valid until the next call).
func (s *scanner) str() ([]byte, error) {
	s.buf = s.buf[:0]
	escaped := false
	for {
		chunk, err := s.r.ReadSlice('"')
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		s.buf = append(s.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		// The quote ends the string unless an odd run of backslashes
		// precedes it.
		n := 0
		for i := len(s.buf) - 2; i >= 0 && s.buf[i] == '\\'; i-- {
			n++
		}
		if n%2 == 0 {
			s.buf = s.buf[:len(s.buf)-1]
			break
		}
		escaped = true
	}
	for _, c := range s.buf {
		if c < 0x20 {
			return nil, fmt.Errorf("%w: control character in a string", errSyntax)
		}
		if c == '\\' {
			escaped = true
		}
	}
	if !escaped {
		if !utf8.Valid(s.buf) {
			return nil, fmt.Errorf("%w: a string that is not UTF-8", errSyntax)
		}
		return s.buf, nil
	}
	v, err := strconv.Unquote(`"` + string(s.buf) + `"`)
	if err != nil {
		return nil, fmt.Errorf("%w: a string with a bad escape", errSyntax)
	}
	s.buf = append(s.buf[:0], v...)
	return s.buf, nil
}

// skip skips the value that starts with c (its first byte, already read).
func (s *scanner) skip(c byte) error {
	switch c {
	case '"':
		_, err := s.str()
		return err
	case '{':
		return s.object(func([]byte, byte) error { return nil }, true)
	case '[':
		return s.array(func(c byte) error { return s.skip(c) })
	case 't':
		return s.literal("rue")
	case 'f':
		return s.literal("alse")
	case 'n':
		return s.literal("ull")
	}
	if c == '-' || '0' <= c && c <= '9' {
		return s.number(c)
	}
	return fmt.Errorf("%w: unexpected %q", errSyntax, c)
}

// number skips a number whose first byte, c, was read, checking its
// grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (s *scanner) number(c byte) error {
	digits := func(first byte, atLeastOne bool) (byte, error) {
		n := 0
		b := first
		for '0' <= b && b <= '9' {
			n++
			var err error
			if b, err = s.r.ReadByte(); err != nil {
				if err == io.EOF && (n > 0 || !atLeastOne) {
					return 0, io.EOF
				}
				return 0, io.ErrUnexpectedEOF
			}
		}
		if atLeastOne && n == 0 {
			return 0, fmt.Errorf("%w: a number without digits", errSyntax)
		}
		return b, nil
	}
	var err error
	b := c
	if b == '-' {
		if b, err = s.r.ReadByte(); err != nil {
			return io.ErrUnexpectedEOF
		}
	}
	switch {
	case b == '0':
		if b, err = s.r.ReadByte(); err != nil {
			return eofIsEnd(err)
		}
	case '1' <= b && b <= '9':
		if b, err = digits(b, true); err != nil {
			return eofIsEnd(err)
		}
	default:
		return fmt.Errorf("%w: a number without digits", errSyntax)
	}
	if b == '.' {
		if b, err = s.r.ReadByte(); err != nil {
			return io.ErrUnexpectedEOF
		}
		if b, err = digits(b, true); err != nil {
			return eofIsEnd(err)
		}
	}
	if b == 'e' || b == 'E' {
		if b, err = s.r.ReadByte(); err != nil {
			return io.ErrUnexpectedEOF
		}
		if b == '+' || b == '-' {
			if b, err = s.r.ReadByte(); err != nil {
				return io.ErrUnexpectedEOF
			}
		}
		if b, err = digits(b, true); err != nil {
			return eofIsEnd(err)
		}
	}
	if '0' <= b && b <= '9' || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-' {
		return fmt.Errorf("%w: a bad number", errSyntax)
	}
	return s.r.UnreadByte()
}

// eofIsEnd makes the end of input after a number's digits the end of the
// number (the caller then finds the input cut short).
func eofIsEnd(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

func (s *scanner) literal(rest string) error {
	for i := 0; i < len(rest); i++ {
		b, err := s.r.ReadByte()
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if b != rest[i] {
			return fmt.Errorf("%w: a bad literal", errSyntax)
		}
	}
	return nil
}

// object reads an object whose opening brace was read, calling member with
// each key and the first byte of its value; member must consume the value
// (or, with skipValues, object skips every value itself).
func (s *scanner) object(member func(key []byte, first byte) error, skipValues bool) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c == '}' {
		return nil
	}
	for {
		if c != '"' {
			return fmt.Errorf("%w: a key that is not a string", errSyntax)
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		first, err := s.next()
		if err != nil {
			return err
		}
		if skipValues {
			if err := s.skip(first); err != nil {
				return err
			}
		} else if err := member(key, first); err != nil {
			return err
		}
		if c, err = s.next(); err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if c != ',' {
			return fmt.Errorf("%w: want ',' or '}', found %q", errSyntax, c)
		}
		if c, err = s.next(); err != nil {
			return err
		}
	}
}

// array reads an array whose opening bracket was read, calling elem with
// the first byte of each element, which elem must consume.
func (s *scanner) array(elem func(first byte) error) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c == ']' {
		return nil
	}
	for {
		if err := elem(c); err != nil {
			return err
		}
		if c, err = s.next(); err != nil {
			return err
		}
		if c == ']' {
			return nil
		}
		if c != ',' {
			return fmt.Errorf("%w: want ',' or ']', found %q", errSyntax, c)
		}
		if c, err = s.next(); err != nil {
			return err
		}
	}
}

// end checks that nothing but white space follows the value.
func (s *scanner) end() error {
	if _, err := s.next(); err != io.ErrUnexpectedEOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: data after the value", errSyntax)
	}
	return nil
}
