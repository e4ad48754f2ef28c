package seam

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClientAddUser measures the client's own overhead: PUT add_user
// against a loopback httptest server, limiter off, no contract validation
// (it costs about as much as the request itself).
func BenchmarkClientAddUser(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("seam-request-id", "req_b")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	cl, err := New(Options{APIKey: testKey, Endpoint: srv.URL, Getenv: noEnv, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := cl.AddUserToGroup(ctx, "g1", "u1"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cl.AddUserToGroup(ctx, "g1", "u1"); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
