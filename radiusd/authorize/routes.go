package authorize

import (
	"context"
	"hash/fnv"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"layeh.com/radius"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/radiusd"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/route"
)

const attrNASIPAddress = 4

// RouteAVPair is the Cisco-AVPair name of the route list's entries:
// radbill-route-N=ADDRESS;PARTNER;PRICE;CURRENCY[;CREDIT-SECONDS], N from
// 1, PRICE per minute; h323-redirect-ip-address carries rank 1's address
// as well, for gateways that read only it. The Tcl IVR script (tcl/)
// tries them in order.
const RouteAVPair = "radbill-route-"

// originPartner is the originating partner whose gateway sent r, or nil.
func originPartner(r *radiusd.Request, tables *billing.Tables) *partner.Partner {
	if tables.Partners.Empty() {
		return nil
	}
	nasIP := r.Source.Addr().String()
	if ip, ok := netip.AddrFromSlice(r.Get(attrNASIPAddress)); ok {
		nasIP = ip.String()
	}
	p, _ := tables.Partners.Of(partner.Leg{ClientName: r.Client.Name, NASIP: nasIP})
	if p == nil || p.Own || !p.Role.Originates() {
		return nil
	}
	return p
}

// partnerCall answers an originating partner's gateway asking where to
// send a call: refused while the partner is blocked or no carrier serves
// the number; else accepted with the ranked route list.
func (a *Authorizer) partnerCall(ctx context.Context, origin *partner.Partner, request limits.CallRequest, tables *billing.Tables) (answer, error) {
	switch {
	case request.ConfID == "":
		return reject(limits.CodeInvalidArgument), nil
	case origin.Blocked:
		return reject(limits.CodeUserDenied), nil
	}
	reply := answer{code: radius.CodeAccessAccept, vsas: []vsa{{cisco.AttrReturnCode, "0"}}}
	var sell rating.Money
	if plan, ok := origin.Rates[partner.Incoming]; ok {
		c := tables.Tariffs.Rate(rating.Call{PlanID: plan, Called: request.Called, ConnectTime: time.Now(), DurationSeconds: 60,
			Direction: rating.Outgoing, NearestRatedPrefix: true})
		if c.Status == rating.StatusOK {
			sell = c.Cost
		}
	}
	if !a.addRoutes(&reply, origin, request, tables, sell, 0) {
		a.Log.Info("no route", zap.String("partner", origin.Name), zap.String("called", request.Called))
		return reject(limits.CodeServiceNotAvailable), nil
	}
	return reply, nil
}

// addRoutes ranks the call's routes and adds the list to reply, with the
// credit time when there is one; it tells whether there was a route. The
// list is kept with the call's conf-id.
func (a *Authorizer) addRoutes(reply *answer, origin *partner.Partner, request limits.CallRequest, tables *billing.Tables, sell rating.Money, credit int64) bool {
	if tables.Partners.Empty() || a.Routing.MaxRoutes == 0 {
		return false
	}
	var state partner.State
	if a.RouteState != nil {
		state = a.RouteState()
	}
	now := time.Now()
	ranked, _ := tables.Partners.Rank(tables.Routes, partner.Call{Origin: origin, Called: request.Called, At: now, Sell: sell,
		Draw: draw(request.ConfID)}, state, a.Routing, false)
	if len(ranked) == 0 {
		return false
	}
	if a.Offers != nil {
		offer := partner.Offer{ConfID: request.ConfID, At: now, Ranked: ranked}
		if origin != nil {
			offer.OriginID = origin.ID
		}
		a.Offers.Add(offer)
	}
	if ranked[0].Address != "" {
		reply.vsas = append(reply.vsas, vsa{cisco.AttrRedirectIPAddress, ranked[0].Address})
	}
	for _, r := range ranked {
		reply.vsas = append(reply.vsas, vsa{cisco.AttrAVPair, routeEntry(r, credit)})
	}
	return true
}

func routeEntry(r route.Ranked, credit int64) string {
	fields := []string{r.Address, r.Name, r.Cost.String(), r.Currency}
	if credit > 0 {
		fields = append(fields, strconv.FormatInt(credit, 10))
	}
	return RouteAVPair + strconv.Itoa(r.Rank) + "=" + strings.Join(fields, ";")
}

// draw is the call's load-share draw: the same for its retries.
func draw(confID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(confID))
	return h.Sum64()
}
