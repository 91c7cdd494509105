package acct_test

import (
	"encoding/json"
	"net"
	"testing"
	"time"
	"unicode/utf8"

	"layeh.com/radius"
)

// FuzzDecode feeds arbitrary datagrams through the codec and the decoder:
// nothing may panic, and whatever decodes must be storable: every raw value
// valid UTF-8 (so JSON keeps it), every Cisco time in UTC.
func FuzzDecode(f *testing.F) {
	wire, err := referenceStop(f).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wire)
	f.Add(wire[:40])
	f.Add([]byte{4, 1, 0, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 6, 0, 0, 0, 9})
	d := decoder(f)
	f.Fuzz(func(t *testing.T, datagram []byte) {
		p, err := radius.Parse(datagram, []byte("x"))
		if err != nil {
			return
		}
		r, _ := d.Decode(p, net.IPv4(127, 0, 0, 1), "gw", time.Unix(0, 0))
		for _, a := range r.Raw {
			if !utf8.ValidString(a.Value) || !utf8.ValidString(a.Name) {
				t.Fatalf("raw attribute %q = %q is not valid UTF-8", a.Name, a.Value)
			}
		}
		if _, err := json.Marshal(r.Raw); err != nil {
			t.Fatal(err)
		}
		for _, tm := range []*time.Time{r.SetupTime, r.ConnectTime, r.DisconnectTime} {
			if tm != nil && tm.Location() != time.UTC {
				t.Fatalf("time %v not in UTC", tm)
			}
		}
		if r.DedupKey() == r.LegKey() {
			t.Fatal("dedup key equals leg key")
		}
	})
}
