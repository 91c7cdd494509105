package locale

import (
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/rating"
)

func TestCatalogAndFormats(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if missing := c.Missing(); len(missing) > 0 {
		t.Fatalf("messages without a translation: %v", missing)
	}
	en, bg := c.Tr("en"), c.Tr("bg")
	for _, tc := range []struct{ got, want string }{
		{en.Money(1_234_560_000), "1,234.56"}, {bg.Money(1_234_560_000), "1\u00a0234,56"}, {en.Money(37_500), "0.0375"},
		{bg.Money(-5 * rating.MicrosPerUnit), "-5,00"}, {en.Int(1234567), "1,234,567"},
		{bg.Date(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)), "03.12.2026"}, {en.Date(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)), "2026-12-03"},
		{en.Minutes(7507), "125:07"}, {bg.T("nav.users"), "Потребители"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if got := en.T("no.such.message"); !strings.HasPrefix(got, MissingMark) {
		t.Errorf("a missing message reads %q", got)
	}
}
