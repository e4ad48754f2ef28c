package plan

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// bigCase is 2 systems x 50 groups x 10,000 members = 1,000,000 current
// memberships among 2 x 20,000 users, and 1,000,000 rows. Group g of a
// system holds users [g*200, g*200+10000) mod 20000; the rows ask for users
// [g*200+churn, g*200+10000+churn), so each group gains and loses churn
// members. Half the rows name the user by email, half by acs_user_id; the
// group by name.
func bigCase(churn int) ([]desired.Row, *live.Snapshot) { return bigCaseRows(churn, true) }

// bigCaseRows is bigCase; without rows it builds the snapshot alone.
func bigCaseRows(churn int, withRows bool) ([]desired.Row, *live.Snapshot) {
	const systems, groups, users, per = 2, 50, 20000, 10000
	snap := &live.Snapshot{Members: make(map[string][]string, systems*groups)}
	var rows []desired.Row
	if withRows {
		rows = make([]desired.Row, 0, systems*groups*per)
	}
	line := 2
	for s := range systems {
		sid := "sys_" + strconv.Itoa(s)
		sname := "System " + strconv.Itoa(s)
		snap.Systems = append(snap.Systems, seam.System{ID: sid, Name: sname})
		ids := make([]string, users)
		emails := make([]string, users)
		for u := range users {
			ids[u] = "acs_user_" + strconv.Itoa(s) + "_" + strconv.Itoa(u)
			emails[u] = "user" + strconv.Itoa(u) + "@s" + strconv.Itoa(s) + ".example.com"
			snap.Users = append(snap.Users, seam.User{ID: ids[u], SystemID: sid, EmailAddress: emails[u], FullName: "User " + strconv.Itoa(u)})
		}
		for g := range groups {
			gid := "ag_" + strconv.Itoa(s) + "_" + strconv.Itoa(g)
			gname := "Group " + strconv.Itoa(g)
			snap.Groups = append(snap.Groups, seam.AccessGroup{ID: gid, SystemID: sid, Name: gname})
			m := make([]string, per)
			for i := range per {
				m[i] = ids[(g*200+i)%users]
			}
			snap.Members[gid] = m
			for i := range per {
				if !withRows {
					break
				}
				u := (g*200 + i + churn) % users
				r := desired.Row{File: "big.csv", Line: line, SystemName: sname, GroupName: gname}
				if i%2 == 0 {
					r.Email = emails[u]
				} else {
					r.AcsUserID = ids[u]
				}
				rows = append(rows, r)
				line++
			}
		}
	}
	return rows, snap
}

func benchCompute(b *testing.B, churn int) {
	rows, snap := bigCase(churn)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for b.Loop() {
		p, err := Compute(Input{Rows: rows}, snap, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if want := 100 * churn; p.Totals.Add != want || p.Totals.Remove != want {
			b.Fatalf("summary %+v, want %d adds and removes", p.Totals, want)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc-before.HeapAlloc)
	}
	b.ReportMetric(float64(peak)/(1<<20), "live-heap-MB")
}

// BenchmarkCompute1M plans 1,000,000 rows against 1,000,000 current
// memberships, 5,000 of them to add and 5,000 to remove.
func BenchmarkCompute1M(b *testing.B) { benchCompute(b, 50) }

// BenchmarkCompute1MChurn plans the same with 100,000 adds and removes.
func BenchmarkCompute1MChurn(b *testing.B) { benchCompute(b, 1000) }
