package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/reportbench"
	"github.com/radbill/radbill/store"
)

// BenchmarkConsolePages renders the dashboard and November's report by
// branch for an administrator over the report benchmark's database
// (10,000,000 CDRs over 2026 unless RADBILL_REPORT_CDRS says otherwise;
// see internal/reportbench), on a day of November.
func BenchmarkConsolePages(b *testing.B) {
	for _, driver := range []string{store.SQLite, store.MySQL} {
		b.Run(driver, func(b *testing.B) {
			db := reportbench.Open(b, driver)
			ctx := context.Background()
			now := func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }
			cfg, err := ParseConfig("127.0.0.1:0", nil)
			if err != nil {
				b.Fatal(err)
			}
			srv, err := New(cfg, db, Options{BcryptCost: bcrypt.MinCost, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			const name, password = "bench-admin", "bench password 2026"
			if _, err := srv.accounts.FindUser(ctx, name); errors.Is(err, ErrNotFound) {
				_, err = srv.accounts.CreateUser(ctx, NewConsoleUser{Username: name, Password: password, Role: Admin})
			}
			if err != nil {
				b.Fatal(err)
			}
			secret, _, err := srv.accounts.Login(ctx, name, password, "127.0.0.1")
			if err != nil {
				b.Fatal(err)
			}
			handler := srv.Handler()
			for _, page := range []struct{ name, path, want string }{
				{"dashboard", "/", "<svg"},
				{"branch-report", "/reports/cost?by=branch&period=2026-11", "Branch 20"},
			} {
				b.Run(page.name, func(b *testing.B) {
					var size int
					for b.Loop() {
						req := httptest.NewRequest(http.MethodGet, page.path, nil)
						req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
						rec := httptest.NewRecorder()
						handler.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), page.want) {
							b.Fatalf("%s: %d, %.300s", page.path, rec.Code, rec.Body.String())
						}
						size = rec.Body.Len()
					}
					b.ReportMetric(float64(size), "bytes")
				})
			}
		})
	}
}
