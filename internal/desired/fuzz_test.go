package desired

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FuzzRead checks that any input gives rows or problems, never a panic, and
// that every problem is a *RowError located on a line of the input.
func FuzzRead(f *testing.F) {
	for _, tc := range readCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("acs_user_id,email,phone_number,access_group\nu1,a@b.co,+1,g\nu1,c@d.co,+2,g\n"))
	// Enough rows for the radix sort path of the duplicate and identifier
	// checks, with both in it.
	var big bytes.Buffer
	big.WriteString("acs_system_id,acs_user_id,email,access_group\n")
	for i := range 300 {
		fmt.Fprintf(&big, "s%d,u%d,e%d@x.io,g\n", i%2, i%40, i%50)
	}
	f.Add(big.Bytes())
	f.Add([]byte("Work Email,Dept,access_groups\nann@x.io,Sales,Lobby;Gym\nbob@x.io,,\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRead(t, in, Options{})
		// As an HR export is read: mapped columns, attributes, no group
		// column needed.
		checkRead(t, in, Options{Columns: map[string]string{ColumnEmail: "work email"}, Attributes: []string{"dept", "site"}, GroupsOptional: true})
	})
}

// checkRead reads in with opts and checks what FuzzRead promises.
func checkRead(t *testing.T, in []byte, opts Options) {
	{
		file, err := Read(name, bytes.NewReader(in), opts)
		if file == nil {
			t.Fatalf("no File returned (err %v)", err)
		}
		lines := bytes.Count(in, []byte("\n")) + 1
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error of type %T, want *Errors: %v", err, err)
			}
			if errs.Len() == 0 {
				t.Fatal("*Errors with no problem")
			}
			for _, p := range errs.Problems {
				if p.File != name || p.Line < 1 || p.Line > lines || p.Msg == "" {
					t.Fatalf("bad problem %+v (input has %d lines)", p, lines)
				}
				if len(p.Error()) > 1<<10 {
					t.Fatalf("problem of %d bytes: %.200s", len(p.Error()), p.Error())
				}
			}
		}
		for _, w := range file.Warnings {
			if w.File != name || w.Line < 1 || w.Line > lines || w.Msg == "" {
				t.Fatalf("bad warning %+v", w)
			}
		}
		prev := 0
		for _, r := range file.Rows {
			if r.File != name || r.Line <= prev || r.Line > lines {
				t.Fatalf("row out of place: %+v after line %d (input has %d lines)", r, prev, lines)
			}
			prev = r.Line
			for _, v := range []string{r.SystemID, r.SystemName, r.AcsUserID, r.UserIdentityID, r.Email, r.Phone, r.GroupID, r.GroupName, r.FullName} {
				if v != strings.TrimSpace(v) {
					t.Fatalf("untrimmed value %q in %+v", v, r)
				}
			}
			if r.Email != "" && checkEmail(r.Email) != "" {
				t.Fatalf("malformed email kept: %+v", r)
			}
			for col, v := range map[string]string{ColumnSystemID: r.SystemID, ColumnSystemName: r.SystemName,
				ColumnAcsUserID: r.AcsUserID, ColumnIdentityID: r.UserIdentityID, ColumnEmail: r.Email, ColumnPhone: r.Phone,
				ColumnGroupID: r.GroupID, ColumnGroupName: r.GroupName, ColumnFullName: r.FullName} {
				if why := checkValue(col, v); why != "" {
					t.Fatalf("bad value kept in column %s: %s", col, why)
				}
			}
			if err == nil && (r.AcsUserID == "" && r.UserIdentityID == "" && r.Email == "" && r.Phone == "" ||
				r.GroupID == "" && r.GroupName == "" && file.Lists == nil && !opts.GroupsOptional) {
				t.Fatalf("row without user or group accepted: %+v", r)
			}
		}
		if file.Lists != nil && len(file.Lists) != len(file.Rows) {
			t.Fatalf("%d lists for %d rows", len(file.Lists), len(file.Rows))
		}
		for a, vals := range file.Attrs {
			if vals != nil && len(vals) != len(file.Rows) {
				t.Fatalf("attribute %d has %d values for %d rows", a, len(vals), len(file.Rows))
			}
		}
		if err == nil && len(file.Rows) == 0 && !slices.ContainsFunc(file.Warnings, func(w Problem) bool {
			return strings.HasPrefix(w.Msg, "the file has a header but ")
		}) {
			t.Fatal("no rows, no error and no warning saying so")
		}
	}
}
