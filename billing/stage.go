// Package billing is the path every call leg takes, whatever its source (a
// RADIUS Stop, a CUCM or Asterisk CDR): normalise its numbers, decide
// whether it is the leg of its call that is billed, find its owner and
// plan, rate it with the current tariff snapshot (Stage, Tables.Rate), and
// charge it to its owner in the transaction that stores it (Settler), so
// the cost, the CDR and the debit commit together. Rerate prices stored
// legs again and corrects their owners' money.
//
// Owner: a prepaid card when the leg's User-Name is its account number;
// else the enterprise user of the leg's own number (the calling number of
// an outgoing leg, the called number of an incoming one); else none, and
// the gateway's default plan prices it.
//
// Billable-leg policy (Cisco sends one Stop per leg): the telephony-originate
// leg is the outgoing call to the PSTN and is billed; the telephony-answer
// leg is an incoming call, billed with the plan's incoming rates (usually 0);
// VoIP legs are stored but not billed, except VoIP-originate legs of gateways
// whose gateway.bill_voip_originate is set (IP-to-IP gateway trunks). Each
// call thus has one billed leg per direction, never two.
//
// The tables (tariff snapshot, translation rules, gateway policy, owners)
// are immutable and swapped atomically on reload: legs being rated keep the
// tables they started with, and a set that fails validation is refused
// while the old one stays in force.
package billing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/jsontext"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/route"
	"github.com/radbill/radbill/store"
)

// Rating statuses set by the stage itself, besides rating.Status names.
const (
	StatusNotBilled     = "not_billed"     // a leg the policy does not bill
	StatusNoPlan        = "no_plan"        // billable, but no plan applies
	StatusInvalidNumber = "invalid_number" // the called number is not E.164 digits after translation
)

// Tables is everything rating needs, loaded from the database at one moment.
type Tables struct {
	Version    int64
	Tariffs    *rating.Snapshot
	Translator *normalize.Translator
	Gateways   map[string]store.Gateway // by client name
	// Owners are the prepaid cards and enterprise users legs are charged to.
	Owners store.Owners
	// Partners are the clearinghouse's partners (none elsewhere), Routes
	// the routing book of their carriers' prices.
	Partners *partner.Directory
	Routes   *route.Book
}

// Load reads and validates the tables. Any invalid row makes it fail.
func Load(ctx context.Context, db *store.DB) (*Tables, error) {
	version, err := db.TariffVersion(ctx)
	if err != nil {
		return nil, err
	}
	data, err := db.LoadTariffs(ctx)
	if err != nil {
		return nil, err
	}
	snapshot, err := rating.Build(data)
	if err != nil {
		return nil, err
	}
	rules, err := db.LoadTranslationRules(ctx)
	if err != nil {
		return nil, err
	}
	translator, err := normalize.Compile(rules)
	if err != nil {
		return nil, fmt.Errorf("translation_rule: %w", err)
	}
	gateways, err := db.LoadGateways(ctx)
	if err != nil {
		return nil, err
	}
	owners, err := db.LoadOwners(ctx)
	if err != nil {
		return nil, err
	}
	partners, err := partner.LoadDirectory(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("partner: %w", err)
	}
	t := &Tables{Version: version, Tariffs: snapshot, Translator: translator, Gateways: map[string]store.Gateway{}, Owners: owners, Partners: partners,
		Routes: partners.Book(snapshot)}
	for _, g := range gateways {
		t.Gateways[g.ClientName] = g
	}
	return t, nil
}

// Leg is what rating needs to know of a call leg; it comes from a decoded
// Stop or, when re-rating, from a stored CDR.
type Leg struct {
	UserName                     string // a prepaid card's account number in the debit-card flow
	ClientName, NASIP, GatewayID string
	CallOrigin, CallType         string
	Calling, Called              string
	// RemoteAddress (h323-remote-address) and AVPairs ("name=value") tell
	// the clearinghouse which partners the leg is of.
	RemoteAddress string
	AVPairs       []string
	ConnectTime   *time.Time
	CallTime      time.Time // connect, else setup, else received
	Duration      int64
	// Billed is set when re-rating a stored CDR: the owner it was billed
	// to when it was first stored (zero: none). The leg is priced under
	// that owner's plan now, whoever its numbers belong to since.
	Billed *Owner
}

// Owner is a leg's card or user by id (at most one is set), and the
// department and branch it was reported under.
type Owner struct {
	AccountID, UserID      int64
	DepartmentID, BranchID int64
}

// Rate prices one leg. It never fails; the status says why a leg has no cost.
func (t *Tables) Rate(leg Leg, now time.Time) cdr.Rating {
	gw := normalize.Gateway{ClientName: leg.ClientName, NASIP: leg.NASIP, GatewayID: leg.GatewayID}
	calling, _, callingOK := t.Translator.Translate(gw, normalize.Calling, leg.Calling)
	called, _, calledOK := t.Translator.Translate(gw, normalize.Called, leg.Called)
	ratedAt := now.UTC()
	r := cdr.Rating{CallingNorm: calling, CalledNorm: called, RatedAt: &ratedAt}

	policy := t.Gateways[leg.ClientName]
	direction, billed := billable(leg, policy.BillVoIPOriginate)
	if direction != 0 {
		r.Direction = direction.String()
	}
	r.Billed = billed
	if !billed {
		r.Status = StatusNotBilled
		return r
	}
	// The far end is what the call is priced by: the called number of an
	// outgoing leg, the calling number of an incoming one; the near end
	// is the enterprise user's own number.
	far, farOK, near, nearRaw := called, calledOK, calling, leg.Calling
	if direction == rating.Incoming {
		// The translator checks only called numbers for digits.
		far, farOK, near, nearRaw = calling, callingOK && isDigits(calling), called, leg.Called
	}
	connect := leg.CallTime
	if leg.ConnectTime != nil {
		connect = *leg.ConnectTime
	}
	if calledOK {
		r.PartnerCharges = t.partnerCharges(leg, direction, called, connect)
	}
	plan, owned := t.owner(&r, leg, near, nearRaw)
	t.placeInOrganisation(&r, leg, policy, near, nearRaw)
	if !owned {
		if !policy.DefaultPlanID.Valid {
			r.Status = StatusNoPlan
			return r
		}
		plan = policy.DefaultPlanID.Int64
	}
	if !farOK {
		r.Status = StatusInvalidNumber
		return r
	}
	r.PlanID = &plan
	charge := t.Tariffs.Rate(rating.Call{PlanID: plan, Called: far, ConnectTime: connect, DurationSeconds: leg.Duration, Direction: direction})
	r.Status = charge.Status.String()
	r.Zone = charge.Zone.Name
	r.Prefix = charge.Prefix
	r.Currency = charge.Currency
	if charge.Status == rating.StatusOK {
		cost := int64(charge.Cost)
		billedSeconds := charge.BilledSeconds
		r.CostMicros = &cost
		r.BilledSeconds = &billedSeconds
		r.Detail = detailJSON(charge)
	}
	return r
}

// placeInOrganisation sets the department and branch the leg is reported
// under: its user's department, or the department that owns its number;
// that department's branch, else the gateway's. A re-rated leg keeps the
// ones it was stored with.
func (t *Tables) placeInOrganisation(r *cdr.Rating, leg Leg, gw store.Gateway, numbers ...string) {
	if leg.Billed != nil {
		r.DepartmentID, r.BranchID = leg.Billed.DepartmentID, leg.Billed.BranchID
		return
	}
	if r.UserID != 0 {
		r.DepartmentID = t.Owners.UserDepartments[r.UserID]
	} else if r.AccountID == 0 {
		for _, n := range numbers {
			if id, ok := t.Owners.DepartmentNumbers[n]; ok {
				r.DepartmentID = id
				break
			}
		}
	}
	if branch, ok := t.Owners.DepartmentBranches[r.DepartmentID]; ok {
		r.BranchID = branch
	} else if gw.BranchID.Valid {
		r.BranchID = gw.BranchID.Int64
	}
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// owner sets r's owner and returns its plan: the card or user a re-rated
// leg was billed to; else the prepaid card that is the leg's User-Name
// (debit-card flow); else the enterprise user of the leg's own number,
// normalised or as received. A re-rated leg whose owner is gone is priced
// as ownerless.
func (t *Tables) owner(r *cdr.Rating, leg Leg, numbers ...string) (plan int64, ok bool) {
	if leg.Billed != nil {
		if card, ok := t.Owners.CardsByID[leg.Billed.AccountID]; ok {
			r.Account, r.AccountID = card.Number, card.ID
			return card.PlanID, true
		}
		if plan, ok := t.Owners.UserPlans[leg.Billed.UserID]; ok {
			r.UserID = leg.Billed.UserID
			return plan, true
		}
		return 0, false
	}
	if card, ok := t.Owners.Cards[leg.UserName]; ok {
		r.Account, r.AccountID = card.Number, card.ID
		return card.PlanID, true
	}
	for _, n := range numbers {
		if id, ok := t.Owners.UserNumbers[n]; ok {
			r.UserID = id
			return t.Owners.UserPlans[id], true
		}
	}
	return 0, false
}

// billable applies the billable-leg policy described in the package doc.
func billable(leg Leg, billVoIPOriginate bool) (rating.Direction, bool) {
	var direction rating.Direction
	switch strings.ToLower(leg.CallOrigin) {
	case "originate":
		direction = rating.Outgoing
	case "answer":
		direction = rating.Incoming
	default:
		return 0, false
	}
	switch strings.ToLower(leg.CallType) {
	case "telephony":
		return direction, true
	case "voip":
		return direction, direction == rating.Outgoing && billVoIPOriginate
	}
	return direction, false
}

// detailJSON records how the cost was made up, for disputes and reports:
// {"rate_id":7,"connect_fee":"0.100000","parts":[{"band":"peak",
// "start":"2026-11-25T12:00:00+02:00","seconds":95,"billed_seconds":96,
// "amount":"0.384000"}]}. Written without reflection: it is on the hot path.
func detailJSON(c rating.Charge) string {
	b := make([]byte, 0, 96+112*len(c.Parts))
	b = append(b, `{"rate_id":`...)
	b = strconv.AppendInt(b, c.RateID, 10)
	b = append(b, `,"connect_fee":"`...)
	b = append(b, c.ConnectFee.String()...)
	b = append(b, `","parts":[`...)
	for i, p := range c.Parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"band":`...)
		b = jsontext.AppendString(b, p.Band.Name)
		b = append(b, `,"start":"`...)
		b = p.Start.AppendFormat(b, time.RFC3339)
		b = append(b, `","seconds":`...)
		b = strconv.AppendInt(b, p.Seconds, 10)
		b = append(b, `,"billed_seconds":`...)
		b = strconv.AppendInt(b, p.BilledSeconds, 10)
		b = append(b, `,"amount":"`...)
		b = append(b, p.Amount.Micros().String()...)
		b = append(b, `"}`...)
	}
	b = append(b, ']')
	if c.Capped {
		b = append(b, `,"capped":true`...)
	}
	return string(append(b, '}'))
}

// Stage is the accounting stage: it rates every Stop with the tables in
// force when the Stop arrives.
type Stage struct {
	tables atomic.Pointer[Tables]
	rated  *prometheus.CounterVec
	now    func() time.Time
}

// NewStage starts with tables t.
func NewStage(t *Tables, reg prometheus.Registerer) *Stage {
	s := &Stage{now: time.Now, rated: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "radbill_rating_total", Help: "Rated Stops by rating status (ok, not_billed, no_plan, unknown_destination, no_rate, ...).",
	}, []string{"status"})}
	s.tables.Store(t)
	reg.MustRegister(s.rated, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "radbill_tariff_version", Help: "tariff_version of the tables in force.",
	}, func() float64 { return float64(s.Tables().Version) }))
	return s
}

// Tables returns the tables in force.
func (s *Stage) Tables() *Tables { return s.tables.Load() }

// Swap puts new tables in force for the packets that start after it.
func (s *Stage) Swap(t *Tables) { s.tables.Store(t) }

// Process rates a Stop; other records pass through.
func (s *Stage) Process(rec *cdr.Record) {
	if rec.Status != cdr.StatusStop {
		return
	}
	var duration int64
	if rec.SessionTime != nil {
		duration = *rec.SessionTime
	}
	tables := s.Tables()
	var pairs []string
	if !tables.Partners.Empty() {
		pairs = avPairs(rec.AVPairs)
	}
	rec.Rating = tables.Rate(Leg{
		UserName: rec.UserName, ClientName: rec.ClientName, NASIP: rec.NASIP, GatewayID: rec.GatewayID,
		CallOrigin: rec.CallOrigin, CallType: rec.CallType,
		Calling: rec.CallingNumber, Called: rec.CalledNumber, RemoteAddress: rec.RemoteAddress, AVPairs: pairs,
		ConnectTime: rec.ConnectTime, CallTime: rec.CallTime(), Duration: duration,
	}, s.now())
	s.rated.WithLabelValues(rec.Rating.Status).Inc()
}

// avPairs writes a leg's Cisco-AVPairs as name=value, for the partner
// gateways matched by one.
func avPairs(pairs []cdr.AVPair) []string {
	if len(pairs) == 0 {
		return nil
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.Name + "=" + p.Value
	}
	return out
}

// Reload loads the tables and puts them in force, or keeps the old ones and
// returns why the new ones were refused.
func (s *Stage) Reload(ctx context.Context, db *store.DB) (*Tables, error) {
	t, err := Load(ctx, db)
	if err != nil {
		return nil, err
	}
	s.Swap(t)
	return t, nil
}
