package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkServer measures requests per second through a real loopback
// server with a keep-alive client, on the sample site (300 users per system).
// Run: go test ./internal/sandbox -run '^$' -bench Server -benchtime 3s
func BenchmarkServer(b *testing.B) {
	st := SampleSite()
	var group string
	var users []string
	for _, g := range st.AcsAccessGroups {
		if g.Name == "Gym" && g.AcsSystemID == st.AcsSystems[0].AcsSystemID {
			group = g.AcsAccessGroupID
		}
	}
	for _, u := range st.AcsUsers {
		if u.AcsSystemID == st.AcsSystems[0].AcsSystemID {
			users = append(users, u.AcsUserID)
		}
	}
	srv := New(st, Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	send := func(b *testing.B, method, target, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r, _ := http.NewRequest(method, target, rd)
		r.Header.Set("Authorization", "Bearer "+SampleAPIKey)
		if body != "" {
			r.Header.Set("Content-Type", "application/json") // as Seam requires of a body
		}
		resp, err := client.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s %s: %d", method, target, resp.StatusCode)
		}
	}
	b.Run("GET list_users", func(b *testing.B) {
		target := ts.URL + "/acs/access_groups/list_users?acs_access_group_id=" + group
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				send(b, "GET", target, "")
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("PUT add_user", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				u := users[int(n.Add(1))%len(users)]
				send(b, "PUT", ts.URL+"/acs/access_groups/add_user", fmt.Sprintf(`{"acs_access_group_id":%q,"acs_user_id":%q}`, group, u))
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
