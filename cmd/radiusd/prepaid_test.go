package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
)

// flatTariff has one band for the whole week, so the credit time does not
// depend on when the test runs: plan "cards", Bulgaria mobile at connect
// 0.40, the first minute 0.20/min, then 0.10/min per second (60/1).
func flatTariff() rating.TariffData {
	return rating.TariffData{
		Plans:     []rating.Plan{{ID: 1, Name: "cards", Currency: "EUR", TimeZone: "UTC", Rounding: rating.RoundHalfUp, RoundingDecimals: 2}},
		Zones:     []rating.Zone{{ID: 1, Name: "Bulgaria mobile"}},
		Prefixes:  []rating.Prefix{{ID: 1, Digits: "35988", ZoneID: 1}},
		Bands:     []rating.Band{{ID: 1, PlanID: 1, Name: "all"}},
		BandRules: []rating.BandRule{{ID: 1, BandID: 1, Days: rating.AllWeekdays, From: 0, To: 0}},
		Rates: []rating.Rate{{ID: 1, PlanID: 1, ZoneID: 1, BandID: 1, Direction: rating.Outgoing, ConnectFee: 400_000, FirstIncrement: 60, NextIncrement: 1,
			Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 200_000}, {FromSecond: 60, PricePerMinute: 100_000}}}},
	}
}

// cardsTariff imports flatTariff and returns its plan and a limits
// service on the harness's database.
func (h *harness) cardsTariff() (int64, *limits.Service) {
	h.t.Helper()
	if err := h.db.ImportTariffs(context.Background(), flatTariff()); err != nil {
		h.t.Fatal(err)
	}
	plan, err := h.db.PlanID(context.Background(), "cards")
	if err != nil {
		h.t.Fatal(err)
	}
	return plan, limits.New(h.db, limits.Options{})
}

// accessRequest is the gateway's Access-Request #1 (account, PIN) or, with
// a called number and conf-id, #2.
func accessRequest(t *testing.T, account, pin, called, confID string) []byte {
	t.Helper()
	p := radius.New(radius.CodeAccessRequest, []byte(secret))
	p.Add(1, radius.Attribute(account))
	p.Add(2, papEncrypt(pin, p.Authenticator))
	p.Add(31, radius.Attribute("1110001"))
	if called != "" {
		p.Add(30, radius.Attribute(called))
		addCisco(t, p, cisco.AttrConfID, confID)
	}
	return encode(t, p)
}

func papEncrypt(pin string, authenticator [16]byte) radius.Attribute {
	plain := make([]byte, 16)
	copy(plain, pin)
	sum := md5.Sum(append([]byte(secret), authenticator[:]...))
	for i := range plain {
		plain[i] ^= sum[i]
	}
	return plain
}

// reply sends an Access-Request and returns the reply code and its Cisco
// VSAs without their name= prefix.
func (h *harness) access(wire []byte) (radius.Code, map[byte]string) {
	h.t.Helper()
	raw := exchange(h.t, "", h.auth, wire, 3*time.Second)
	if raw == nil {
		h.t.Fatal("no reply to the Access-Request")
	}
	if !radius.IsAuthenticResponse(raw, wire, []byte(secret)) || raw[20] != 80 {
		h.t.Fatal("reply not authentic or without a Message-Authenticator first")
	}
	p, err := radius.Parse(raw, []byte(secret))
	if err != nil {
		h.t.Fatal(err)
	}
	vsas := map[byte]string{}
	for _, a := range p.Attributes {
		if a.Type != 26 {
			continue
		}
		_, subs, err := cisco.ParseVendorSpecific(nil, a.Attribute)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, s := range subs {
			vsas[s.Type] = cisco.StripName(cisco.AttrName(s.Type), string(s.Value))
		}
	}
	return p.Code, vsas
}

// TestPrepaidCardFlow runs the debit-card flow over UDP: authenticate,
// authorize with credit time, the call's Stop debits the card and releases
// the reservation, and the next authorization sees the lower balance.
func TestPrepaidCardFlow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		ctx := context.Background()
		plan, svc := h.cardsTariff()
		if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "4321", PlanID: plan, Currency: "EUR",
			InitialBalance: 1_000_000, MaxConcurrentCalls: 1, Language: "bg"}); err != nil {
			t.Fatal(err)
		}
		h.publishTables()

		if code, vsas := h.access(accessRequest(t, "5550001", "9999", "", "")); code != radius.CodeAccessReject || vsas[cisco.AttrReturnCode] != "2" {
			t.Fatalf("wrong PIN: %v %v", code, vsas)
		}
		if code, vsas := h.access(accessRequest(t, "5559999", "4321", "", "")); code != radius.CodeAccessReject || vsas[cisco.AttrReturnCode] != "1" {
			t.Fatalf("unknown account: %v %v", code, vsas)
		}
		code, vsas := h.access(accessRequest(t, "5550001", "4321", "", ""))
		if code != radius.CodeAccessAccept || vsas[cisco.AttrReturnCode] != "0" || vsas[cisco.AttrCreditAmount] != "1.00" ||
			vsas[cisco.AttrCurrency] != "EUR" || vsas[cisco.AttrBillingModel] != "1" || vsas[cisco.AttrPreferredLang] != "bg" {
			t.Fatalf("stage 1: %v %v", code, vsas)
		}
		// 1.00 buys: 0.40 connect + 0.20 for the first minute, then 0.10/min per
		// second; rounded half-up to cents the cost stays 1.00 up to 302 s
		// (0.60 + 242/600 = 1.0033), 303 s would cost 1.01.
		confID := "931C146B 0F4411D6 AB5591F0 00000001"
		code, vsas = h.access(accessRequest(t, "5550001", "4321", "35988123456", confID))
		if code != radius.CodeAccessAccept || vsas[cisco.AttrCreditTime] != "302" {
			t.Fatalf("stage 2: %v %v", code, vsas)
		}
		// The credit is held: a second call on the card is refused.
		if code, vsas := h.access(accessRequest(t, "5550001", "4321", "35988000002", "931C146B 0F4411D6 AB5591F0 00000002")); code != radius.CodeAccessReject {
			t.Fatalf("second call while the first holds the credit: %v %v", code, vsas)
		}

		// The call's Stop (same conf-id): 120 s costs 0.40 + 0.20 + 0.10 = 0.70.
		stop := telephonyStop(t, "P1", "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120, func(p *radius.Packet) {
			p.Set(1, radius.Attribute("5550001"))
		}, setCisco(cisco.AttrConfID, confID))
		mustAck(t, h, stop)
		mustAck(t, h, telephonyStop(t, "P1", "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120, func(p *radius.Packet) {
			p.Set(1, radius.Attribute("5550001"))
			p.Set(41, radius.NewInteger(4)) // the gateway's retry: no second debit
		}, setCisco(cisco.AttrConfID, confID)))
		card, err := svc.Account(ctx, "5550001")
		if err != nil {
			t.Fatal(err)
		}
		if card.Balance != 300_000 || card.Reserved != 0 || card.LiveCalls != 0 {
			t.Fatalf("after the Stop: balance %s reserved %s calls %d, want 0.30, 0, 0", card.Balance, card.Reserved, card.LiveCalls)
		}
		// 0.30 does not pay the 0.40 connect fee.
		if code, vsas := h.access(accessRequest(t, "5550001", "4321", "35988123456", "931C146B 0F4411D6 AB5591F0 00000003")); code != radius.CodeAccessReject ||
			(vsas[cisco.AttrReturnCode] != "4" && vsas[cisco.AttrReturnCode] != "12") {
			t.Fatalf("authorization beyond the balance: %v %v", code, vsas)
		}
	})
}

// TestPrepaidCHAPWithRadclient runs both stages of the debit-card flow
// with CHAP from FreeRADIUS's radclient (which computes CHAP-Password from
// the PIN): a card whose PIN is sealed under the configured PIN key is
// accepted with its credit time, a wrong PIN and a card without a sealed
// PIN are refused with h323-return-code 2 (invalid PIN), and `radbill
// account set-pin` (SetPIN) seals the PIN of an older card.
func TestPrepaidCHAPWithRadclient(t *testing.T) {
	radclient := lookRadclient(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		keyFile := filepath.Join(t.TempDir(), "pin.key")
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		h := startServer(t, b, func(c *config.Config) { c.Authorize.PINKeyFile = keyFile })
		ctx := context.Background()
		if err := h.db.ImportTariffs(ctx, flatTariff()); err != nil {
			t.Fatal(err)
		}
		plan, _ := h.db.PlanID(ctx, "cards")
		sealing := limits.New(h.db, limits.Options{PINKey: key})
		plain := limits.New(h.db, limits.Options{}) // created before the key was configured
		for svc, number := range map[*limits.Service]string{sealing: "5550001", plain: "5550002"} {
			if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: number, PIN: "4321", PlanID: plan, InitialBalance: 1_000_000}); err != nil {
				t.Fatal(err)
			}
		}
		h.publishTables()

		// chap sends one Access-Request and returns the reply's code and
		// Cisco VSAs as radclient prints them.
		chap := func(account, pin, called string) (string, map[string]string) {
			t.Helper()
			request := fmt.Sprintf("User-Name = \"%s\"\nCHAP-Password = \"%s\"\nCalling-Station-Id = \"1110001\"\n", account, pin)
			if called != "" {
				request += fmt.Sprintf("Called-Station-Id = \"%s\"\nh323-conf-id = \"h323-conf-id=931C146B 0F4411D6 AB5591F0 %s\"\n", called, account)
			}
			cmd := exec.Command(radclient, "-x", "-r", "1", "-t", "3", h.auth, "auth", secret)
			cmd.Stdin = strings.NewReader(request)
			out, _ := cmd.CombinedOutput() // radclient exits 1 on Access-Reject
			code := ""
			vsas := map[string]string{}
			for _, line := range strings.Split(string(out), "\n") {
				line = strings.TrimSpace(line)
				if strings.HasPrefix(line, "Received Access-") {
					code = strings.Fields(line)[1]
				}
				if name, value, ok := strings.Cut(line, " = "); ok && strings.HasPrefix(name, "h323-") {
					vsas[name] = strings.TrimPrefix(strings.Trim(value, `"`), name+"=")
				}
			}
			if code == "" {
				t.Fatalf("radclient got no reply:\n%s", out)
			}
			return code, vsas
		}
		if code, vsas := chap("5550001", "4321", ""); code != "Access-Accept" || vsas["h323-credit-amount"] != "1.00" {
			t.Fatalf("stage 1 with CHAP: %s %v", code, vsas)
		}
		if code, vsas := chap("5550001", "4321", "35988123456"); code != "Access-Accept" || vsas["h323-credit-time"] != "302" {
			t.Fatalf("stage 2 with CHAP: %s %v", code, vsas)
		}
		if code, vsas := chap("5550001", "1234", ""); code != "Access-Reject" || vsas["h323-return-code"] != "2" {
			t.Fatalf("wrong PIN with CHAP: %s %v", code, vsas)
		}
		if code, vsas := chap("5550002", "4321", ""); code != "Access-Reject" || vsas["h323-return-code"] != "2" {
			t.Fatalf("CHAP for a card without a sealed PIN: %s %v", code, vsas)
		}
		if err := sealing.SetPIN(ctx, "5550002", "8765"); err != nil {
			t.Fatal(err)
		}
		if code, vsas := chap("5550002", "8765", "35988123456"); code != "Access-Accept" || vsas["h323-credit-time"] != "302" {
			t.Fatalf("CHAP after set-pin: %s %v", code, vsas)
		}
	})
}

// TestCardCallsShareTheBalance: with a 10-minute cap on each call's credit
// time, a card with 10.00 and --max-calls 10 carries three calls at once,
// each granted 600 s and holding 1.50; without the cap the first call holds
// everything 10.00 buys and the second is refused.
func TestCardCallsShareTheBalance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		ctx := context.Background()
		plan, svc := h.cardsTariff()
		for number, credit := range map[string]time.Duration{"5550001": 10 * time.Minute, "5550002": 0} {
			if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: number, PIN: "4321", PlanID: plan, InitialBalance: 10_000_000,
				MaxConcurrentCalls: 10, MaxCreditTime: credit}); err != nil {
				t.Fatal(err)
			}
		}
		h.publishTables()

		// 600 s: 0.40 + 0.20 + 9 × 0.10 = 1.50.
		for i := range 3 {
			confID := fmt.Sprintf("931C146B 0F4411D6 AB5591F0 0000000%d", i)
			code, vsas := h.access(accessRequest(t, "5550001", "4321", "35988123456", confID))
			if code != radius.CodeAccessAccept || vsas[cisco.AttrCreditTime] != "600" {
				t.Fatalf("capped card, call %d: %v %v", i+1, code, vsas)
			}
		}
		if card, err := svc.Account(ctx, "5550001"); err != nil || card.Reserved != 4_500_000 || card.LiveCalls != 3 {
			t.Fatalf("capped card holds %s in %d calls (%v), want 4.50 in 3", card.Reserved, card.LiveCalls, err)
		}
		code, vsas := h.access(accessRequest(t, "5550002", "4321", "35988123456", "931C146B 0F4411D6 AB5591F0 00000010"))
		if code != radius.CodeAccessAccept || vsas[cisco.AttrCreditTime] != "5702" {
			t.Fatalf("uncapped card, first call: %v %v", code, vsas)
		}
		if code, _ := h.access(accessRequest(t, "5550002", "4321", "35988123456", "931C146B 0F4411D6 AB5591F0 00000011")); code != radius.CodeAccessReject {
			t.Fatalf("uncapped card, second call: %v, want refused (the first holds the balance)", code)
		}
	})
}
