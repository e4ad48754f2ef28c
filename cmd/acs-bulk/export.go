package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

type exportOptions struct {
	io     *IO
	global *globalOptions
	api    apiFlags

	Systems []string
	Out     string
	Format  string
}

func newExportCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &exportOptions{io: io, global: g}
	cmd := &cobra.Command{
		Use:   "export [--system ID|NAME]... [--out FILE] [--format csv|sandbox]",
		Short: "Write the live memberships as a CSV (or a sandbox state file)",
		Long: `Write the live memberships of the workspace (or of the --system systems) in the
input format of plan and apply: one row per membership with the system, the
group id and name, the ACS user id, identity, email, phone and full name.
Planning an export against the same workspace shows no changes.

--format sandbox writes the live state as a sandbox state file instead
(systems, groups, users, user identities, memberships; no credentials), so you
can rehearse against a copy of your real workspace with acs-bulk sandbox.

` + exitcode.Help("export"),
		Example: `  acs-bulk export --out memberships.csv
  acs-bulk export --system "Harbor Tower" > harbor.csv
  acs-bulk export --format sandbox --out rehearsal.json && acs-bulk sandbox --state rehearsal.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exportRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Systems, "system", nil, "access system id or name to export (repeatable; default: all)")
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "write to this file instead of stdout")
	cmd.Flags().StringVar(&o.Format, "format", "csv", "csv (the input format) or sandbox (a sandbox state file)")
	o.api.register(cmd.Flags())
	return cmd
}

// exportColumns is the header of an export, in the input format.
var exportColumns = []string{
	desired.ColumnSystemID, desired.ColumnSystemName, desired.ColumnGroupID, desired.ColumnGroupName,
	desired.ColumnAcsUserID, desired.ColumnIdentityID, desired.ColumnEmail, desired.ColumnPhone, desired.ColumnFullName,
}

func exportRun(ctx context.Context, o *exportOptions) error {
	if o.Format != "csv" && o.Format != "sandbox" {
		return exitcode.Usagef("--format must be csv or sandbox, not %q", o.Format)
	}
	if err := o.api.check(); err != nil {
		return err
	}
	client, err := o.api.client(o.io, o.global, false)
	if err != nil {
		return err
	}
	snap, err := readLive(ctx, client, plan.ReadAll(o.Systems, o.Format == "sandbox"), o.api.Concurrency)
	if err != nil {
		return err
	}
	var data []byte
	if o.Format == "sandbox" {
		data, err = sandbox.FromSnapshot(snap).Marshal()
		if err != nil {
			return err
		}
	} else if data, err = exportCSV(snap, o.Systems); err != nil {
		return err
	}
	if o.Out == "" {
		o.Out = atomicfile.Stdout
	}
	return atomicfile.Output(o.Out, data, 0o600, o.io.Out)
}

// exportCSV renders the memberships of the snapshot, sorted by system name,
// group name and member email, as the input CSV.
func exportCSV(snap *live.Snapshot, systems []string) ([]byte, error) {
	sysName := map[string]string{}
	for _, s := range snap.Systems {
		sysName[s.ID] = s.Name
	}
	users := map[string]seam.User{}
	for _, u := range snap.Users {
		users[u.ID] = u
	}
	groups := make([]seam.AccessGroup, 0, len(snap.Members))
	for _, g := range snap.Groups {
		if _, read := snap.Members[g.ID]; read {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if sysName[a.SystemID] != sysName[b.SystemID] {
			return sysName[a.SystemID] < sysName[b.SystemID]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(exportColumns)
	for _, g := range groups {
		members := make([]seam.User, 0, len(snap.Members[g.ID]))
		for _, id := range snap.Members[g.ID] {
			u, ok := users[id]
			if !ok {
				u = seam.User{ID: id}
			}
			members = append(members, u)
		}
		sort.Slice(members, func(i, j int) bool {
			a, b := strings.ToLower(userEmail(members[i])), strings.ToLower(userEmail(members[j]))
			if a != b {
				return a < b
			}
			return members[i].ID < members[j].ID
		})
		for _, u := range members {
			phone := u.PhoneNumber
			if phone == "" {
				phone = u.UserIdentityPhoneNumber
			}
			w.Write([]string{g.SystemID, sysName[g.SystemID], g.ID, g.Name, u.ID, u.UserIdentityID, userEmail(u), phone, u.Name()})
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// userEmail is the email an export writes for a user: its own, else its
// identity's.
func userEmail(u seam.User) string {
	if e := u.EmailAddr(); e != "" {
		return e
	}
	return u.UserIdentityEmailAddress
}
