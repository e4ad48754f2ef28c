package seam

import (
	"errors"
	"io"
)

// memberIDs decodes a list_users answer into its members' ACS user ids.
func memberIDs(r io.Reader) ([]string, error) {
	var m memberIDList
	err := m.decodeFrom(r)
	return m.ids, err
}

// memberIDList is a streamer of a list_users answer's member ids. It scans
// the answer (see scanner) rather than decoding it: of each member only
// acs_user_id is kept.
type memberIDList struct{ ids []string }

func (m *memberIDList) decodeFrom(r io.Reader) error {
	m.ids = m.ids[:0]
	s := newScanner(r)
	if err := s.expect('{'); err != nil {
		return err
	}
	found := false
	err := s.object(func(key []byte, first byte) error {
		if string(key) != "acs_users" {
			return s.skip(first)
		}
		found = true
		m.ids = m.ids[:0] // a repeated key: the last one counts, as in encoding/json
		switch first {
		case 'n':
			return s.literal("ull")
		case '[':
		default:
			return errors.New("acs_users is not an array")
		}
		return s.array(func(first byte) error {
			if first != '{' {
				return errors.New("a member that is not an object")
			}
			id := ""
			if err := s.object(func(key []byte, first byte) error {
				if string(key) != "acs_user_id" || first != '"' {
					return s.skip(first)
				}
				v, err := s.str()
				id = string(v)
				return err
			}, false); err != nil {
				return err
			}
			if id == "" {
				return errors.New("a member without acs_user_id")
			}
			m.ids = append(m.ids, id)
			return nil
		})
	}, false)
	if err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	if !found {
		return errors.New("no acs_users in the answer")
	}
	return nil
}
