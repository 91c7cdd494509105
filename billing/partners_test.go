package billing

import (
	"fmt"
	"testing"
	"time"

	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/store"
)

// Every billable leg gets the charges of the rate types that apply to it,
// by whose gateway reported it and who is at its far end.
func TestPartnerCharges(t *testing.T) {
	tables, plans := demoTables(t, store.Owners{})
	rates := func(pairs ...any) map[partner.RateType]int64 {
		m := map[partner.RateType]int64{}
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i].(partner.RateType)] = plans[pairs[i+1].(string)]
		}
		return m
	}
	gateway := func(kind partner.GatewayKind, match string) []partner.Gateway {
		return []partner.Gateway{{Kind: kind, Match: match, Address: match}}
	}
	dir, err := partner.NewDirectory([]partner.Partner{
		{ID: 1, Name: "Us", Own: true, Role: partner.Both, Gateways: gateway(partner.ByNAS, "10.0.0.1"), Rates: rates(partner.Base, "retail", partner.Egress, "business")},
		{ID: 2, Name: "MemberA", Role: partner.Originating, Gateways: gateway(partner.ByNAS, "10.1.0.1"), Rates: rates(partner.Incoming, "retail")},
		{ID: 3, Name: "CarrierX", Role: partner.Terminating, Gateways: gateway(partner.ByNAS, "10.2.0.1"), Rates: rates(partner.Outgoing, "business")},
		{ID: 4, Name: "MemberB", Role: partner.Both, Gateways: gateway(partner.ByRemote, "10.4.0.1"), Rates: rates(partner.Incoming, "retail", partner.Outgoing, "business")},
		{ID: 5, Name: "OtherHouse", Role: partner.Both, Gateways: gateway(partner.ByNAS, "10.5.0.1"), Rates: rates(partner.Outgoing, "business")},
		{ID: 6, Name: "NoRates", Role: partner.Both, Gateways: gateway(partner.ByNAS, "10.6.0.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tables.Partners = dir
	connect := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		nas, origin, remote string
		want                string
	}{
		{"10.1.0.1", "answer", "", "2 incoming inbound"},
		{"10.2.0.1", "originate", "", "3 outgoing egress"},
		{"10.0.0.1", "originate", "10.4.0.1", "1 egress egress, 4 incoming inbound"},
		{"10.0.0.1", "originate", "", "1 egress egress, 1 base inbound"},
		{"10.0.0.1", "answer", "10.4.0.1", "4 outgoing egress"},
		{"10.5.0.1", "originate", "10.4.0.1", "5 outgoing proxy"},
		{"10.6.0.1", "originate", "", ""},
		{"192.0.2.1", "originate", "", "1 egress egress, 1 base inbound"}, // a gateway no partner claims is ours
	} {
		r := tables.Rate(Leg{ClientName: "gw", NASIP: c.nas, RemoteAddress: c.remote, CallOrigin: c.origin, CallType: "Telephony",
			Calling: "0888000001", Called: "0888123456", ConnectTime: &connect, CallTime: connect, Duration: 95}, connect)
		got := ""
		for i, pc := range r.PartnerCharges {
			if i > 0 {
				got += ", "
			}
			got += fmt.Sprintf("%d %s %s", pc.PartnerID, pc.RateType, pc.Hop)
			if pc.AmountMicros == nil || *pc.AmountMicros <= 0 || pc.Status != "ok" || pc.DurationSeconds != 95 {
				t.Errorf("%s %s: charge %+v", c.nas, c.origin, pc)
			}
		}
		if got != c.want {
			t.Errorf("%s %s remote %q: charges %q, want %q", c.nas, c.origin, c.remote, got, c.want)
		}
	}
}
