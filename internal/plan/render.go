package plan

import (
	"bufio"
	"cmp"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// WriteText writes the plan for a person: first, with access rules, how
// many people each rule matched (see [WriteRules]); then per system and
// group, a "+" line per add, a "-" line per remove and a "~" line per held
// removal, each with the person, the id sent to Seam and the reason; then
// the unresolved rows, the tripped guards, and a last line such as
//
//	Plan: 12 to add, 3 to remove, 140 unchanged, 2 unresolved.
//
// Groups without changes are not listed.
func (p *Plan) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if p.Rules != nil {
		writeRules(bw, p.Rules, p.Totals.NoGroups)
		bw.WriteString("\n")
	}
	byGroup := map[string][]*Operation{}
	for i := range p.Operations {
		op := &p.Operations[i]
		byGroup[op.GroupID] = append(byGroup[op.GroupID], op)
	}
	for i := range p.Held {
		op := &p.Held[i]
		byGroup[op.GroupID] = append(byGroup[op.GroupID], op)
	}
	lastSys := "\x00"
	for _, g := range p.Groups {
		ops := byGroup[g.GroupID]
		if len(ops) == 0 {
			continue
		}
		if g.SystemID != lastSys {
			if lastSys != "\x00" {
				bw.WriteString("\n")
			}
			lastSys = g.SystemID
			bw.WriteString(cmp.Or(g.SystemName, g.SystemID) + " (" + g.SystemID + ")\n")
		}
		bw.WriteString("  " + g.GroupName + " (" + g.GroupID + "): " + plural(g.Current, "member", "members") +
			", +" + strconv.Itoa(g.Add) + " -" + strconv.Itoa(g.Remove) + ", " + strconv.Itoa(g.Final) + " after\n")
		for _, op := range ops {
			sign := "-"
			switch op.Action {
			case ActionAdd:
				sign = "+"
			case ActionHold:
				sign = "~"
			}
			id := "acs_user_id=" + op.AcsUserID
			if op.Via == ViaUserIdentityID {
				id = "user_identity_id=" + op.UserIdentityID
			}
			bw.WriteString("    " + sign + " " + who(op) + "  " + id + "  " + op.Reason + "\n")
		}
	}
	if len(p.Operations)+len(p.Held) > 0 {
		bw.WriteString("\n")
	}
	if len(p.Unresolved) > 0 {
		if p.Blocked {
			bw.WriteString("Unresolved rows (nothing planned: fix them or pass --skip-unresolved):\n")
		} else {
			bw.WriteString("Unresolved rows (skipped):\n")
		}
		for i := range p.Unresolved {
			bw.WriteString("  " + p.Unresolved[i].Error() + "\n")
		}
		bw.WriteString("\n")
	}
	if len(p.Guards) > 0 {
		bw.WriteString("Guards tripped (the plan will not be applied):\n")
		for _, g := range p.Guards {
			bw.WriteString("  " + g.Message + "\n")
		}
		bw.WriteString("\n")
	}
	if p.Totals.Held > 0 {
		bw.WriteString("Held: " + plural(p.Totals.Held, "membership", "memberships") + " not removed because an unresolved row may refer to them.\n")
	}
	bw.WriteString(p.summaryLine())
	return bw.Flush()
}

// who names an operation's person: "Name <email>", the email, the name, or
// the ACS user id.
func who(op *Operation) string {
	switch {
	case op.FullName != "" && op.Email != "":
		return op.FullName + " <" + op.Email + ">"
	case op.Email != "":
		return op.Email
	case op.FullName != "":
		return op.FullName
	}
	return cmp.Or(op.AcsUserID, op.UserIdentityID)
}

// WriteJSON writes the plan as indented JSON: the Plan struct with its json
// tags (options, blocked, operations, unresolved, held, groups, guards,
// summary). Lists are never null.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// WriteSummary writes the plan in short, for a confirmation or beside a
// saved plan: per system, a line per group that changes ("Lobby: +3 -1, 12
// -> 14"), then the unresolved rows' and guards' counts and the last line
// WriteText ends with.
func (p *Plan) WriteSummary(w io.Writer) error {
	bw := bufio.NewWriter(w)
	lastSys := "\x00"
	for _, g := range p.Groups {
		if g.Add+g.Remove == 0 {
			continue
		}
		if g.SystemID != lastSys {
			lastSys = g.SystemID
			bw.WriteString(cmp.Or(g.SystemName, g.SystemID) + " (" + g.SystemID + ")\n")
		}
		bw.WriteString("  " + g.GroupName + ": +" + strconv.Itoa(g.Add) + " -" + strconv.Itoa(g.Remove) +
			", " + strconv.Itoa(g.Current) + " -> " + strconv.Itoa(g.Final) + "\n")
	}
	if p.Rules != nil {
		var nobody []string
		for i := range p.Rules {
			if p.Rules[i].People == 0 {
				nobody = append(nobody, p.Rules[i].Label())
			}
		}
		if len(nobody) > 0 {
			bw.WriteString(plural(len(nobody), "access rule matches", "access rules match") + " nobody: " + strings.Join(nobody, "; ") + "\n")
		}
		if n := p.Totals.NoGroups; n > 0 {
			bw.WriteString(plural(n, "person gets", "people get") + " no group: no access rule matches and none is listed\n")
		}
	}
	if len(p.Guards) > 0 {
		bw.WriteString(plural(len(p.Guards), "guard", "guards") + " tripped (the plan will not be applied)\n")
	}
	bw.WriteString(p.summaryLine())
	return bw.Flush()
}

// WriteRules writes, for access rules, how many rows of people each
// matched and the group it gives, a rule that matched nobody with what may
// be wrong, and how many people (rows) get no group (no rule matches them
// and they list none):
//
//	Access rules: 2 rules; 1 person gets no group
//	  rules.csv:2 department=Sales -> Floor 2 in Harbor Tower: 40 people
//	  rules.csv:3 department=Slaes -> Floor 3: nobody (no row has department "Slaes"; did you mean "Sales"?)
func WriteRules(w io.Writer, rules []Rule, noRule int) error {
	bw := bufio.NewWriter(w)
	writeRules(bw, rules, noRule)
	return bw.Flush()
}

func writeRules(bw *bufio.Writer, rules []Rule, noRule int) {
	bw.WriteString("Access rules: " + plural(len(rules), "rule", "rules") + "; " + plural(noRule, "person gets", "people get") + " no group\n")
	for i := range rules {
		r := &rules[i]
		bw.WriteString("  " + r.Label() + " -> " + r.Target() + ": ")
		if r.People == 0 {
			bw.WriteString("nobody")
			if r.Hint != "" {
				bw.WriteString(" (" + r.Hint + ")")
			}
			bw.WriteString("\n")
			continue
		}
		bw.WriteString(plural(r.People, "person", "people") + "\n")
	}
}

// summaryLine is the plan's last line.
func (p *Plan) summaryLine() string {
	return "Plan: " + strconv.Itoa(p.Totals.Add) + " to add, " + strconv.Itoa(p.Totals.Remove) + " to remove, " +
		strconv.Itoa(p.Totals.Unchanged) + " unchanged, " + strconv.Itoa(p.Totals.Unresolved) + " unresolved.\n"
}

// WriteSummaryJSON writes the plan in short as JSON: the summary, the
// groups that change and the guards.
func (p *Plan) WriteSummaryJSON(w io.Writer) error {
	changed := []GroupStat{}
	for _, g := range p.Groups {
		if g.Add+g.Remove > 0 {
			changed = append(changed, g)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Summary Summary     `json:"summary"`
		Groups  []GroupStat `json:"groups"`
		Guards  []Guard     `json:"guards"`
	}{p.Totals, changed, p.Guards})
}
