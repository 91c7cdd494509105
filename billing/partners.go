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
		hop := "inbound"
		switch {
		case proxy:
			hop = "proxy"
		case !d.t.Revenue():
			hop = "egress"
		}
		charges = append(charges, t.priceCharge(cdr.PartnerCharge{PartnerID: d.p.ID, RateType: string(d.t), Hop: hop, PlanID: plan}, called, connect, leg.Duration))
	}
	return charges
}

// priceCharge prices charge c (its partner, rate type, hop and plan set)
// for the called number.
func (t *Tables) priceCharge(c cdr.PartnerCharge, called string, connect time.Time, duration int64) cdr.PartnerCharge {
	price := t.Tariffs.Rate(rating.Call{PlanID: c.PlanID, Called: called, ConnectTime: connect, DurationSeconds: duration,
		Direction: rating.Outgoing, NearestRatedPrefix: true})
	c.Zone, c.Band, c.DurationSeconds, c.Currency, c.Status = price.Zone.Name, price.Band.Name, duration, price.Currency, price.Status.String()
	c.AmountMicros, c.BilledSeconds = nil, 0
	if price.Status == rating.StatusOK {
		amount := int64(price.Cost)
		c.AmountMicros, c.BilledSeconds = &amount, price.BilledSeconds
	}
	return c
}

// repriceCharges prices a re-rated leg's stored charges again, each under
// its partner's plan of its rate type now (the stored plan when the
// partner has none any more): which partners a leg is of stays as it was
// found when the leg was stored.
func (t *Tables) repriceCharges(stored []cdr.PartnerCharge, called string, connect time.Time, duration int64) []cdr.PartnerCharge {
	out := make([]cdr.PartnerCharge, len(stored))
	for i, c := range stored {
		if p := t.Partners.Partner(c.PartnerID); p != nil {
			if plan, ok := p.Rates[partner.RateType(c.RateType)]; ok {
				c.PlanID = plan
			}
		}
		out[i] = t.priceCharge(c, called, connect, duration)
	}
	return out
}
