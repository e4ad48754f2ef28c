package seam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeArray reads a JSON object from r as it streams in and calls each
// for every element of the array under key, with the decoder positioned at
// the element (each must decode exactly one value). Other members of the
// object are skipped. Only one element is held at a time, so a large answer
// (a group's members) is never read whole into memory.
func decodeArray(r io.Reader, key string, each func(*json.Decoder) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		if name != key {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		found = true
		if t, err := dec.Token(); err != nil {
			return err
		} else if t == nil {
			continue // "key": null is an empty list
		} else if d, ok := t.(json.Delim); !ok || d != '[' {
			return fmt.Errorf("%s is not an array", key)
		}
		for dec.More() {
			if err := each(dec); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no %s in the answer", key)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, found %v", want, t)
	}
	return nil
}

// memberIDs decodes a list_users answer into its members' ACS user ids.
func memberIDs(r io.Reader) ([]string, error) {
	var m memberIDList
	err := m.decodeFrom(r)
	return m.ids, err
}

// memberIDList is a streamer of a list_users answer's member ids.
type memberIDList struct{ ids []string }

func (m *memberIDList) decodeFrom(r io.Reader) error {
	m.ids = m.ids[:0]
	return decodeArray(r, "acs_users", func(dec *json.Decoder) error {
		var u struct {
			ID string `json:"acs_user_id"`
		}
		if err := dec.Decode(&u); err != nil {
			return err
		}
		if u.ID == "" {
			return errors.New("a member without acs_user_id")
		}
		m.ids = append(m.ids, u.ID)
		return nil
	})
}
