package billing

import (
	"time"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
)

// partnerCharges rates a billed leg under every clearinghouse rate type
// that applies to it (package partner): a leg a partner's own gateway
// reported is that partner's alone — what it charges us for terminating
// our call (outgoing leg: its outgoing rates) or what we charge it for
// the call it sent us (incoming leg: its incoming rates). A leg of our own
// gateway (the own partner's, or one no partner claims) costs us our egress rates when it leaves to the PSTN, and earns
// the incoming rates of the partner at its far end (h323-remote-address),
// else our base rates (our own retail customer's call); when it comes in
// from the PSTN and goes on to a partner, that partner's outgoing rates.
// Every partner price is of the called number, by each plan's own longest
// prefix (rating.Call.NearestRatedPrefix), as carriers' rate decks are.
func (t *Tables) partnerCharges(leg Leg, direction rating.Direction, called string, connect time.Time) []cdr.PartnerCharge {
	if t.Partners.Empty() {
		return nil
	}
	gw, remote := t.Partners.Of(partner.Leg{ClientName: leg.ClientName, NASIP: leg.NASIP, RemoteAddress: leg.RemoteAddress, AVPairs: leg.AVPairs})
	own := t.Partners.Own()
	type due struct {
		p *partner.Partner
		t partner.RateType
	}
	var dues []due
	switch {
	case gw != nil && !gw.Own && direction == rating.Outgoing:
		dues = append(dues, due{gw, partner.Outgoing})
	case gw != nil && !gw.Own:
		dues = append(dues, due{gw, partner.Incoming})
	case direction == rating.Outgoing:
		if own != nil {
			dues = append(dues, due{own, partner.Egress})
		}
		if remote != nil && !remote.Own {
			dues = append(dues, due{remote, partner.Incoming})
		} else if own != nil {
			dues = append(dues, due{own, partner.Base})
		}
	case remote != nil && !remote.Own:
		dues = append(dues, due{remote, partner.Outgoing})
	}
	// A leg between two other networks (a partner's gateway facing
	// another partner) is a hop relayed through them.
	proxy := gw != nil && !gw.Own && remote != nil && !remote.Own && remote.ID != gw.ID
	var charges []cdr.PartnerCharge
	for _, d := range dues {
		plan, ok := d.p.Rates[d.t]
		if !ok {
			continue
		}
		c := t.Tariffs.Rate(rating.Call{PlanID: plan, Called: called, ConnectTime: connect, DurationSeconds: leg.Duration,
			Direction: rating.Outgoing, NearestRatedPrefix: true})
		hop := "inbound"
		switch {
		case proxy:
			hop = "proxy"
		case !d.t.Revenue():
			hop = "egress"
		}
		pc := cdr.PartnerCharge{PartnerID: d.p.ID, RateType: string(d.t), Hop: hop, PlanID: plan, Zone: c.Zone.Name, Band: c.Band.Name,
			DurationSeconds: leg.Duration, Currency: c.Currency, Status: c.Status.String()}
		if c.Status == rating.StatusOK {
			amount := int64(c.Cost)
			pc.AmountMicros, pc.BilledSeconds = &amount, c.BilledSeconds
		}
		charges = append(charges, pc)
	}
	return charges
}
