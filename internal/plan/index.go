package plan

import (
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/phone"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// sysKey keys a string within one system (a group name, an identity id, an
// email folded by email.Fold or a normalized phone).
type sysKey struct {
	sys int32
	s   string
}

// index holds the snapshot's objects by position and the maps that resolve
// rows, built once so that resolving a row is a few map lookups.
//
// A "target" is a person a membership can be keyed by: an ACS user (index
// into Users), a user identity with no ACS user in the system (nUsers + index
// into Identities), or an id found only in Members (after both).
type index struct {
	snap   *live.Snapshot
	nUsers int32
	nIdent int32

	sysByID   map[string]int32
	sysByName map[string][]int32     // by folded name ([foldName])
	foundSys  map[string]systemMatch // findSystem's answers, by the name asked

	groupByID   map[string]int32
	groupByName map[sysKey][]int32
	groupSys    []int32 // system of each group, -1 when not in Systems

	userByID        map[string]int32
	userSys         []int32
	usersByIdentity map[sysKey][]int32
	usersByEmail    map[sysKey][]int32
	usersByPhone    map[sysKey][]int32
	userPhones      [][2]string // normalized phone_number, user_identity_phone_number

	identByID    map[string]int32
	identByEmail map[string][]int32
	identByPhone map[string][]int32

	// extra are member ids not among Users, by target.
	extraByID map[string]int32
	extra     []string

	hints map[sysKey]string // memoized "did you mean" for group names
}

func newIndex(snap *live.Snapshot) *index {
	ix := &index{
		snap:            snap,
		nUsers:          int32(len(snap.Users)),
		nIdent:          int32(len(snap.Identities)),
		sysByID:         make(map[string]int32, len(snap.Systems)),
		sysByName:       make(map[string][]int32, len(snap.Systems)),
		groupByID:       make(map[string]int32, len(snap.Groups)),
		groupByName:     make(map[sysKey][]int32, len(snap.Groups)),
		groupSys:        make([]int32, len(snap.Groups)),
		userByID:        make(map[string]int32, len(snap.Users)),
		userSys:         make([]int32, len(snap.Users)),
		usersByIdentity: make(map[sysKey][]int32),
		usersByEmail:    make(map[sysKey][]int32, len(snap.Users)),
		usersByPhone:    make(map[sysKey][]int32),
		userPhones:      make([][2]string, len(snap.Users)),
		identByID:       make(map[string]int32, len(snap.Identities)),
		identByEmail:    make(map[string][]int32, len(snap.Identities)),
		identByPhone:    make(map[string][]int32),
		extraByID:       make(map[string]int32),
		hints:           make(map[sysKey]string),
	}
	for i, s := range snap.Systems {
		if _, dup := ix.sysByID[s.ID]; !dup {
			ix.sysByID[s.ID] = int32(i)
			k := foldName(s.Name)
			ix.sysByName[k] = append(ix.sysByName[k], int32(i))
		}
	}
	for i, g := range snap.Groups {
		if _, dup := ix.groupByID[g.ID]; dup {
			ix.groupSys[i] = -1
			continue
		}
		ix.groupByID[g.ID] = int32(i)
		s, ok := ix.sysByID[g.SystemID]
		if !ok {
			ix.groupSys[i] = -1
			continue
		}
		ix.groupSys[i] = s
		k := sysKey{s, g.Name}
		ix.groupByName[k] = append(ix.groupByName[k], int32(i))
	}
	for i := range snap.Users {
		u := &snap.Users[i]
		ui := int32(i)
		if _, dup := ix.userByID[u.ID]; dup {
			ix.userSys[i] = -1
			continue
		}
		ix.userByID[u.ID] = ui
		s, ok := ix.sysByID[u.SystemID]
		if !ok {
			ix.userSys[i] = -1
			continue
		}
		ix.userSys[i] = s
		if u.UserIdentityID != "" {
			k := sysKey{s, u.UserIdentityID}
			ix.usersByIdentity[k] = append(ix.usersByIdentity[k], ui)
		}
		var seen [3]string
		for j, e := range [3]string{u.EmailAddress, u.Email, u.UserIdentityEmailAddress} {
			e = emailKey(e)
			seen[j] = e
			if e == "" || (j > 0 && e == seen[0]) || (j > 1 && e == seen[1]) {
				continue
			}
			k := sysKey{s, e}
			ix.usersByEmail[k] = append(ix.usersByEmail[k], ui)
		}
		p1, p2 := phone.Normalize(u.PhoneNumber), phone.Normalize(u.UserIdentityPhoneNumber)
		ix.userPhones[i] = [2]string{p1, p2}
		if p1 != "" {
			k := sysKey{s, p1}
			ix.usersByPhone[k] = append(ix.usersByPhone[k], ui)
		}
		if p2 != "" && p2 != p1 {
			k := sysKey{s, p2}
			ix.usersByPhone[k] = append(ix.usersByPhone[k], ui)
		}
	}
	for i, id := range snap.Identities {
		if _, dup := ix.identByID[id.ID]; dup {
			continue
		}
		ix.identByID[id.ID] = int32(i)
		if e := emailKey(id.EmailAddress); e != "" {
			ix.identByEmail[e] = append(ix.identByEmail[e], int32(i))
		}
		if p := phone.Normalize(id.PhoneNumber); p != "" {
			ix.identByPhone[p] = append(ix.identByPhone[p], int32(i))
		}
	}
	return ix
}

// memberTarget returns the target of an id read from Members.
func (ix *index) memberTarget(id string) int32 {
	if u, ok := ix.userByID[id]; ok {
		return u
	}
	if t, ok := ix.extraByID[id]; ok {
		return t
	}
	t := ix.nUsers + ix.nIdent + int32(len(ix.extra))
	ix.extraByID[id] = t
	ix.extra = append(ix.extra, id)
	return t
}

// person describes a target for operations and sorting.
type person struct {
	acsUserID  string
	identityID string
	email      string
	name       string
}

func (ix *index) person(t int32) person {
	switch {
	case t < ix.nUsers:
		u := &ix.snap.Users[t]
		e := u.EmailAddr()
		if e == "" {
			e = u.UserIdentityEmailAddress
		}
		return person{acsUserID: u.ID, identityID: u.UserIdentityID, email: e, name: u.Name()}
	case t < ix.nUsers+ix.nIdent:
		id := &ix.snap.Identities[t-ix.nUsers]
		return person{identityID: id.ID, email: id.EmailAddress, name: identityName(id)}
	default:
		return person{acsUserID: ix.extra[t-ix.nUsers-ix.nIdent]}
	}
}

func identityName(id *seam.UserIdentity) string {
	if strings.TrimSpace(id.FullName) != "" {
		return id.FullName
	}
	return id.DisplayName
}

func (ix *index) system(s int32) *seam.System     { return &ix.snap.Systems[s] }
func (ix *index) group(g int32) *seam.AccessGroup { return &ix.snap.Groups[g] }
func (ix *index) user(u int32) *seam.User         { return &ix.snap.Users[u] }
func (ix *index) identity(i int32) *seam.UserIdentity {
	return &ix.snap.Identities[i]
}
