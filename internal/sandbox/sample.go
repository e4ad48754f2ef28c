package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// SampleAPIKey is the API key of the sample state (samples/harbor-site.json).
// It is not a secret: it only opens a local sandbox.
const SampleAPIKey = "seam_sandbox_demo_key_not_a_secret_0001"

// SamplePersonalAccessToken is the personal access token of the sample state.
const SamplePersonalAccessToken = "seam_at_sandbox_demo_token_not_a_secret_0001"

// sampleSite describes one site of the sample.
type sampleSite struct {
	name, externalType, timeZone, domain, areaCode string
	groups                                         []string
	unmanaged                                      string
	created                                        time.Time
}

var sampleSites = []sampleSite{
	{
		name: "Harbor Tower", externalType: "brivo_account", timeZone: "America/New_York",
		domain: "harbortower.example", areaCode: "212",
		groups: []string{"Lobby", "Floor 2", "Floor 3", "Floor 4", "Floor 5", "Floor 6",
			"Parking", "Gym", "Server Room", "Loading Dock", "Roof Terrace", "Mail Room"},
		unmanaged: "Legacy Contractors",
		created:   time.Date(2024, 3, 4, 14, 0, 0, 0, time.UTC),
	},
	{
		name: "Riverside Campus", externalType: "salto_ks_site", timeZone: "America/Chicago",
		domain: "riverside.example", areaCode: "312",
		groups: []string{"Main Gate", "Building A", "Building B", "Building C", "Library", "Lab 1",
			"Lab 2", "Parking", "Gym", "Server Room", "Cafeteria", "Dorm North"},
		unmanaged: "Facilities (legacy)",
		created:   time.Date(2024, 6, 10, 15, 30, 0, 0, time.UTC),
	},
}

var sampleFirstNames = []string{
	"Ann", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
	"Kate", "Luis", "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara",
	"Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Dmitri",
	"Eva", "Felix", "Gita", "Hugo", "Ivy", "Jonas", "Keiko", "Leo", "Mira", "Noah",
	"Omar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Victor", "Wendy", "Yara", "Zane",
}

var sampleLastNames = []string{
	"Lee", "Garcia", "Smith", "Nguyen", "Okafor", "Haddad", "Kim", "Tanaka", "Rossi", "Brown",
	"Silva", "Kowalski", "Patel", "Johansson", "Murphy", "Cohen", "Dubois", "Ivanova", "Mendes", "Novak",
	"Schmidt", "Adeyemi", "Chen", "Larsen", "Moreau", "Costa", "Walsh", "Yilmaz", "Fischer", "Sato",
}

// samplePerson is one person of the sample, who may have a user at each site.
type samplePerson struct {
	first, last string
	sites       []int  // indexes into sampleSites
	email       string // per-site emails are derived when empty
	phone       string
}

// SampleSite returns the sample state written to samples/harbor-site.json:
// two sites (Harbor Tower, Riverside Campus) with a dozen managed access groups
// and one unmanaged group each, 300 ACS users per site, 100 user identities
// and memberships of 1 to 4 groups per user. It is deterministic: ids are
// UUID-shaped hashes of names, and the random choices come from a fixed seed.
//
// Of the identities, 60 are linked to a user at both sites, 15 share their
// email with unlinked users at both sites (add by identity links them), 15
// are linked at Harbor Tower only and have no user at Riverside Campus (add
// by identity creates one), and 10 share only a phone number with an unlinked
// Riverside Campus user (add by identity links by phone).
func SampleSite() *State {
	rng := rand.New(rand.NewPCG(20260501, 7))
	ws := derivedID("workspace", "harbor-site sample")
	st := &State{
		WorkspaceID:          ws,
		APIKeys:              []string{SampleAPIKey},
		PersonalAccessTokens: []string{SamplePersonalAccessToken},
	}

	// People: unique names, shuffled deterministically.
	var names [][2]string
	for _, f := range sampleFirstNames {
		for _, l := range sampleLastNames {
			names = append(names, [2]string{f, l})
		}
	}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	const shared, perSite = 90, 210
	var people []*samplePerson
	for i := range shared + 2*perSite {
		p := &samplePerson{first: names[i][0], last: names[i][1]}
		switch {
		case i < shared:
			p.sites = []int{0, 1}
			p.email = emailLocal(p) + "@harborgroup.example"
		case i < shared+perSite:
			p.sites = []int{0}
		default:
			p.sites = []int{1}
		}
		if rng.IntN(10) < 4 {
			area := sampleSites[p.sites[0]].areaCode
			p.phone = fmt.Sprintf("+1%s555%04d", area, 100+i)
		}
		people = append(people, p)
	}
	// Phone-linked identities need Riverside-only people with phones.
	var riversidePhones []*samplePerson
	for _, p := range people[shared+perSite:] {
		if len(riversidePhones) < 10 {
			if p.phone == "" {
				p.phone = fmt.Sprintf("+1312555%04d", 9000+len(riversidePhones))
			}
			riversidePhones = append(riversidePhones, p)
		}
	}

	groupIDs := make([][]string, len(sampleSites))
	for si, site := range sampleSites {
		sysID := derivedID("acs_system", site.name)
		st.AcsSystems = append(st.AcsSystems, AcsSystem{
			AcsSystemID:        sysID,
			Name:               site.name,
			ExternalType:       site.externalType,
			ConnectedAccountID: derivedID("connected_account", site.name),
			Location:           &Location{TimeZone: new(site.timeZone)},
			CreatedAt:          site.created,
		})
		for gi, g := range append(slices.Clone(site.groups), site.unmanaged) {
			gid := derivedID("acs_access_group", site.name, g)
			grp := AcsAccessGroup{
				AcsAccessGroupID: gid,
				AcsSystemID:      sysID,
				Name:             g,
				CreatedAt:        site.created.Add(time.Duration(gi+1) * time.Hour),
			}
			if g == site.unmanaged {
				grp.IsManaged = new(false)
			} else {
				groupIDs[si] = append(groupIDs[si], gid)
			}
			st.AcsAccessGroups = append(st.AcsAccessGroups, grp)
		}
	}

	// ACS users, site by site, with memberships.
	userOf := map[*samplePerson][]string{} // person -> user id per site ("" if none)
	for si, site := range sampleSites {
		sysID := st.AcsSystems[si].AcsSystemID
		n := 0
		for _, p := range people {
			if !slices.Contains(p.sites, si) {
				continue
			}
			email := p.email
			if email == "" {
				email = emailLocal(p) + "@" + site.domain
			}
			uid := derivedID("acs_user", site.name, email)
			st.AcsUsers = append(st.AcsUsers, AcsUser{
				AcsUserID:    uid,
				AcsSystemID:  sysID,
				FullName:     p.first + " " + p.last,
				EmailAddress: email,
				PhoneNumber:  p.phone,
				CreatedAt:    site.created.Add(24*time.Hour + time.Duration(n)*17*time.Minute),
			})
			n++
			if userOf[p] == nil {
				userOf[p] = make([]string, len(sampleSites))
			}
			userOf[p][si] = uid
			k := 1 + rng.IntN(4)
			perm := rng.Perm(len(groupIDs[si]))
			for _, gi := range perm[:k] {
				st.Memberships = append(st.Memberships, Membership{AcsAccessGroupID: groupIDs[si][gi], AcsUserID: uid})
			}
			if rng.IntN(30) == 0 { // a few people in the unmanaged group too
				st.Memberships = append(st.Memberships, Membership{
					AcsAccessGroupID: derivedID("acs_access_group", site.name, site.unmanaged), AcsUserID: uid})
			}
		}
	}
	userIndex := map[string]int{}
	for i, u := range st.AcsUsers {
		userIndex[u.AcsUserID] = i
	}
	link := func(userID, identityID string) { st.AcsUsers[userIndex[userID]].UserIdentityID = identityID }

	identityCreated := time.Date(2024, 9, 2, 13, 0, 0, 0, time.UTC)
	addIdentity := func(p *samplePerson, email, phone string) string {
		id := derivedID("user_identity", email)
		st.UserIdentities = append(st.UserIdentities, UserIdentity{
			UserIdentityID:  id,
			UserIdentityKey: "emp-" + id[:8],
			FullName:        p.first + " " + p.last,
			EmailAddress:    email,
			PhoneNumber:     phone,
			CreatedAt:       identityCreated.Add(time.Duration(len(st.UserIdentities)) * 11 * time.Minute),
		})
		return id
	}
	for i, p := range people[:75] { // shared people: 60 linked at both sites, 15 unlinked
		id := addIdentity(p, p.email, p.phone)
		if i < 60 {
			link(userOf[p][0], id)
			link(userOf[p][1], id)
		}
	}
	for _, p := range people[shared : shared+15] { // Harbor Tower only
		u := st.AcsUsers[userIndex[userOf[p][0]]]
		id := addIdentity(p, u.EmailAddress, p.phone)
		link(u.AcsUserID, id)
	}
	for _, p := range riversidePhones { // same phone, personal email
		addIdentity(p, emailLocal(p)+"@mail.example", p.phone)
	}
	slices.SortStableFunc(st.Memberships, func(a, b Membership) int {
		if c := strings.Compare(a.AcsAccessGroupID, b.AcsAccessGroupID); c != 0 {
			return c
		}
		return strings.Compare(a.AcsUserID, b.AcsUserID)
	})
	if err := st.normalize(); err != nil {
		panic(fmt.Sprintf("sandbox: sample state is inconsistent: %v", err))
	}
	return st
}

func emailLocal(p *samplePerson) string {
	return strings.ToLower(p.first + "." + p.last)
}
