package acct_test

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/radiusd/acct"
	"github.com/radbill/radbill/radiusd/attrnames"
	"github.com/radbill/radbill/radiusd/cisco"
)

func decoder(t testing.TB) *acct.Decoder {
	t.Helper()
	names, err := attrnames.Load("../../dictionaries")
	if err != nil {
		t.Fatal(err)
	}
	est, _ := time.LoadLocation("America/New_York")
	return acct.NewDecoder(names, est)
}

func vsa(t testing.TB, attr byte, value string) radius.Attribute {
	t.Helper()
	v, err := cisco.NewVSA(attr, value)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// referenceStop is the leg-2 Stop of the Cisco reference.
func referenceStop(t testing.TB) *radius.Packet {
	p := radius.New(radius.CodeAccountingRequest, []byte("x"))
	p.Add(40, radius.NewInteger(2))
	p.Add(1, radius.Attribute("1110001"))
	p.Add(44, radius.Attribute("000B5572"))
	p.Add(31, radius.Attribute("1110001"))
	p.Add(30, radius.Attribute("2210001"))
	p.Add(4, radius.Attribute(net.IPv4(192, 168, 81, 101).To4()))
	p.Add(46, radius.NewInteger(99))
	p.Add(41, radius.NewInteger(0))
	p.Add(26, vsa(t, cisco.AttrConfID, "931C146B F4411D6 AB5591F0 CBF3D765"))
	p.Add(26, vsa(t, cisco.AttrAVPair, "h323-incoming-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765"))
	p.Add(26, vsa(t, cisco.AttrAVPair, "h323-ivr-out=Tariff:Standard"))
	p.Add(26, vsa(t, cisco.AttrCallOrigin, "originate"))
	p.Add(26, vsa(t, cisco.AttrCallType, "VoIP"))
	p.Add(26, vsa(t, cisco.AttrSetupTime, "14:30:25.441 GMT Wed Jan 23 2002"))
	p.Add(26, vsa(t, cisco.AttrConnectTime, ".14:30:31.002 GMT Wed Jan 23 2002"))
	p.Add(26, vsa(t, cisco.AttrDisconnectTime, "14:32:10.118 XYZ Wed Jan 23 2002"))
	p.Add(26, vsa(t, cisco.AttrDisconnectCause, "11"))
	p.Add(26, vsa(t, cisco.AttrVoiceQuality, "20"))
	p.Add(26, vsa(t, cisco.AttrRemoteAddress, "10.0.0.2"))
	p.Add(26, vsa(t, cisco.AttrGatewayID, "OrigGW."))
	return p
}

func TestDecodeReferenceStop(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("x", 3600))
	r, err := decoder(t).Decode(referenceStop(t), net.IPv4(127, 0, 0, 1), "gw", now)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05.000 -0700", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"status", r.Status, cdr.StatusStop},
		{"received", r.ReceivedAt, now.UTC()},
		{"nas", r.NASIP, "192.168.81.101"},
		{"session", r.SessionID, "000B5572"},
		{"user", r.UserName, "1110001"},
		{"called", r.CalledNumber, "2210001"},
		{"session time", *r.SessionTime, int64(99)},
		{"delay", *r.DelayTime, int64(0)},
		// An unpadded conf-id word is padded so legs from other gateways match.
		{"conf", r.ConfID, "931C146B 0F4411D6 AB5591F0 CBF3D765"},
		{"incoming conf", r.IncomingConfID, "931C146B 0F4411D6 AB5591F0 CBF3D765"},
		{"origin", r.CallOrigin, "originate"},
		{"type", r.CallType, "VoIP"},
		{"setup", *r.SetupTime, at("2002-01-23 14:30:25.441 +0000")},
		{"connect", *r.ConnectTime, at("2002-01-23 14:30:31.002 +0000")},
		// Unknown zone XYZ: read in the gateway zone (New York, EST in January).
		{"disconnect", *r.DisconnectTime, at("2002-01-23 14:32:10.118 -0500")},
		{"cause", *r.DisconnectCause, int64(17)},
		{"quality", *r.VoiceQuality, int64(20)},
		{"remote", r.RemoteAddress, "10.0.0.2"},
		{"gw", r.GatewayID, "OrigGW."},
		{"unsynced", r.ClockUnsynced, true},
		{"avpairs", len(r.AVPairs), 2},
		{"avpair 2", r.AVPairs[1], cdr.AVPair{Name: "h323-ivr-out", Value: "Tariff:Standard"}},
		{"parse errors", len(r.ParseErrors), 0},
		{"call time", r.CallTime(), at("2002-01-23 14:30:31.002 +0000")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(r.Raw) != 20 || r.Raw[0] != (cdr.Attribute{Name: "Acct-Status-Type", Value: "Stop"}) ||
		r.Raw[5] != (cdr.Attribute{Name: "NAS-IP-Address", Value: "192.168.81.101"}) ||
		r.Raw[8] != (cdr.Attribute{Name: "h323-conf-id", Value: "h323-conf-id=931C146B F4411D6 AB5591F0 CBF3D765"}) {
		t.Errorf("raw = %v", r.Raw)
	}
}

func TestDecodeKeepsBadValues(t *testing.T) {
	p := radius.New(radius.CodeAccountingRequest, []byte("x"))
	p.Add(40, radius.NewInteger(2))
	p.Add(46, radius.Attribute{1, 2})                                         // Acct-Session-Time of the wrong length
	p.Add(26, radius.Attribute{0, 0, 0, 9, 25, 40, 'x'})                      // VSA whose length lies
	p.Add(26, vsa(t, cisco.AttrSetupTime, "25:99:00.000 UTC Mon Jan 1 2001")) // impossible time
	p.Add(26, append(radius.Attribute{0, 0, 0x30, 0x39, 1, 5}, "abc"...))     // another vendor
	p.Add(4, radius.Attribute{10, 0})                                         // short NAS-IP-Address
	r, err := decoder(t).Decode(p, net.IPv4(127, 0, 0, 9), "gw", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.ParseErrors, ","); got != "Acct-Session-Time,Vendor-Specific,h323-setup-time,NAS-IP-Address" {
		t.Errorf("parse errors = %s", got)
	}
	if r.SessionTime != nil || r.SetupTime != nil {
		t.Error("unparsable values must stay unset")
	}
	if r.NASIP != "127.0.0.9" {
		t.Errorf("NAS IP falls back to the source address, got %q", r.NASIP)
	}
	raw := map[string]string{}
	for _, a := range r.Raw {
		raw[a.Name] = a.Value
	}
	if raw["Acct-Session-Time"] != "0x0102" || raw["Vendor-Specific"] != "0x000000091928"+"78" || raw["Attr-26.12345.1"] != "abc" {
		t.Errorf("raw = %v", r.Raw)
	}
}

// A Vendor-Specific may carry several sub-attributes; each is decoded and
// shown on its own, a value that is not text among them.
func TestDecodeSeveralSubAttributesInOneVSA(t *testing.T) {
	p := radius.New(radius.CodeAccountingRequest, []byte("x"))
	p.Add(40, radius.NewInteger(2))
	p.Add(44, radius.Attribute("0001"))
	origin, kind := "h323-call-origin=answer", "h323-call-type=VoIP"
	two := radius.Attribute{0, 0, 0, 9, cisco.AttrCallOrigin, byte(2 + len(origin))}
	two = append(two, origin...)
	two = append(two, cisco.AttrGatewayID, 4, 0xff, 0x01)
	two = append(two, cisco.AttrCallType, byte(2+len(kind)))
	two = append(two, kind...)
	p.Add(26, two)
	r, err := decoder(t).Decode(p, nil, "gw", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.CallOrigin != "answer" || r.CallType != "VoIP" || r.GatewayID != "\xff\x01" {
		t.Errorf("origin %q, type %q, gateway %q", r.CallOrigin, r.CallType, r.GatewayID)
	}
	want := []cdr.Attribute{{Name: "Acct-Status-Type", Value: "Stop"}, {Name: "Acct-Session-Id", Value: "0001"},
		{Name: "h323-call-origin", Value: origin}, {Name: "h323-gw-id", Value: "0xff01"}, {Name: "h323-call-type", Value: kind}}
	if !slices.Equal(r.Raw, want) {
		t.Errorf("raw = %v, want %v", r.Raw, want)
	}
}

func TestDecodeRequiresStatusType(t *testing.T) {
	p := radius.New(radius.CodeAccountingRequest, []byte("x"))
	p.Add(44, radius.Attribute("1"))
	if _, err := decoder(t).Decode(p, nil, "gw", time.Now()); err == nil {
		t.Fatal("a packet without Acct-Status-Type decoded")
	}
}

func TestKeysIgnoreDelayAndSeparateLegs(t *testing.T) {
	d := decoder(t)
	a, _ := d.Decode(referenceStop(t), nil, "gw", time.Now())
	retry := referenceStop(t)
	retry.Set(41, radius.NewInteger(7))
	b, _ := d.Decode(retry, nil, "gw", time.Now())
	if a.DedupKey() != b.DedupKey() || a.LegKey() != b.LegKey() {
		t.Error("a retry with another Acct-Delay-Time must have the same keys")
	}
	start := *a
	start.Status = cdr.StatusStart
	if start.DedupKey() == a.DedupKey() || start.LegKey() != a.LegKey() {
		t.Error("Start and Stop of a leg: same leg key, different dedup keys")
	}
	if start.StopKey() != a.DedupKey() || a.StopKey() != a.DedupKey() {
		t.Error("a leg's StopKey must be its Stop's dedup key, which its CDR is found by")
	}
	answer := *a
	answer.CallOrigin = "answer"
	if answer.LegKey() == a.LegKey() {
		t.Error("answer and originate legs must differ")
	}
}

func BenchmarkDecode(b *testing.B) {
	d := decoder(b)
	wire, err := referenceStop(b).Encode()
	if err != nil {
		b.Fatal(err)
	}
	// radiusd parses a datagram itself (radiusd.parse), without layeh's
	// allocation per attribute; only the decoding is measured.
	p, err := radius.Parse(wire, []byte("x"))
	if err != nil {
		b.Fatal(err)
	}
	src := net.IPv4(127, 0, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(p, src, "gw", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
