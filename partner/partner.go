// Package partner holds the clearinghouse's member networks and carriers:
// each partner's gateways (how a leg is known to be the partner's, and
// where a call routed to it goes), the plan of each of its four rate
// types, its routing policy, and routing by origin (which terminating
// partners an originating partner's calls may take). A Directory is the
// immutable view billing and routing read, loaded with the tariffs.
//
// A leg belongs to a partner when its gateway matches one of the
// partner's gateway rows, tried in this order:
//   - avpair: a Cisco-AVPair of the leg equals the row's match, e.g.
//     "trunk-group=carrier-a" or "carrier-id=4711";
//   - nas: the leg's NAS (its client name, or its NAS-IP-Address);
//   - remote: the leg's h323-remote-address, the far end of a VoIP leg.
//
// The rate types (what the plan of each prices):
//   - base: what we charge our own retail customers (the own partner's);
//   - incoming: what we charge the partner for the calls it sends us;
//   - egress: what our own terminating gateways cost us (the own partner's);
//   - outgoing: what the partner charges us for terminating our calls.
package partner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Role is which side of a call a partner takes.
type Role string

// The roles.
const (
	Originating Role = "originating"
	Terminating Role = "terminating"
	Both        Role = "both"
)

// Originates tells whether the partner sends calls.
func (r Role) Originates() bool { return r == Originating || r == Both }

// Terminates tells whether the partner takes calls to terminate.
func (r Role) Terminates() bool { return r == Terminating || r == Both }

// Strategy orders the terminating candidates of a call after the
// longest-prefix price of each: the originating partner's (the own
// partner's for our own customers' calls).
type Strategy string

// The strategies.
const (
	LeastCost Strategy = "least_cost"
	Quality   Strategy = "quality" // cost weighted by answer-seizure ratio and average call duration
	Priority  Strategy = "priority"
	LoadShare Strategy = "load_share"
)

// Strategies lists them, for flags and errors.
var Strategies = []Strategy{LeastCost, Quality, Priority, LoadShare}

// RateType is one of a partner's four prices.
type RateType string

// The rate types (see the package documentation).
const (
	Base     RateType = "base"
	Incoming RateType = "incoming"
	Egress   RateType = "egress"
	Outgoing RateType = "outgoing"
)

// RateTypes lists them.
var RateTypes = []RateType{Base, Incoming, Egress, Outgoing}

// Revenue tells whether the rate type is what we charge (base, incoming)
// rather than what we are charged (egress, outgoing).
func (t RateType) Revenue() bool { return t == Base || t == Incoming }

// GatewayKind is how a gateway row matches a leg.
type GatewayKind string

// The kinds.
const (
	ByNAS    GatewayKind = "nas"
	ByRemote GatewayKind = "remote"
	ByAVPair GatewayKind = "avpair"
)

// Gateway is one way a leg is known to be the partner's. Address is where
// a call routed to the partner goes (h323-redirect-ip-address); for nas
// and remote rows it defaults to the match.
type Gateway struct {
	ID      int64       `db:"id" json:"id"`
	Kind    GatewayKind `db:"kind" json:"kind"`
	Match   string      `db:"selector" json:"match"`
	Address string      `db:"address" json:"address"`
}

// Route lets an originating partner's calls take a terminating partner,
// ahead of those with a higher Priority (fixed-priority strategy) or in
// proportion to Share (load share).
type Route struct {
	DestinationID int64 `db:"destination_id" json:"destination_id"`
	Priority      int   `db:"priority" json:"priority"`
	Share         int   `db:"share" json:"share"`
}

// Partner is a member network or carrier.
type Partner struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Currency string   `json:"currency"`
	Contact  string   `json:"contact"`
	Role     Role     `json:"role"`
	Blocked  bool     `json:"blocked"`
	Own      bool     `json:"own"` // our own network: its gateways are ours
	Strategy Strategy `json:"strategy"`
	// Priority orders it under the priority strategy (lower first), Share
	// weighs it under load share, Capacity caps its concurrent calls (0:
	// none), MaxCost refuses it as a route dearer per minute (0: none).
	Priority, Share, Capacity int
	MaxCost                   rating.Money `json:"max_cost"`
	// MinMargin is the margin per minute under which a route is a loss;
	// RefuseLoss leaves loss routes out of its calls' route lists.
	MinMargin  rating.Money `json:"min_margin"`
	RefuseLoss bool         `json:"refuse_loss"`
	CreatedAt  time.Time    `json:"created_at"`
	Gateways   []Gateway    `json:"gateways"`
	// Rates maps a rate type to its plan's id; StatementDecimals a rate
	// type to the decimals its statement lines are rounded to (none: not
	// rounded, the legs' own amounts added up).
	Rates             map[RateType]int64 `json:"rates"`
	StatementDecimals map[RateType]int   `json:"statement_decimals,omitempty"`
	// Routes, when any, are the only terminating partners its calls take.
	Routes []Route `json:"routes"`
}

type partnerRow struct {
	ID         int64  `db:"id"`
	Name       string `db:"name"`
	Currency   string `db:"currency"`
	Contact    string `db:"contact"`
	Role       string `db:"role"`
	State      string `db:"state"`
	Own        bool   `db:"own"`
	Strategy   string `db:"strategy"`
	Priority   int    `db:"priority"`
	Share      int    `db:"share"`
	Capacity   int    `db:"capacity"`
	MaxCost    int64  `db:"max_cost_micros"`
	MinMargin  int64  `db:"min_margin_micros"`
	RefuseLoss bool   `db:"refuse_loss"`
	CreatedAt  string `db:"created_at"`
}

const partnerColumns = "id, name, currency, contact, role, state, own, strategy, priority, share, capacity, max_cost_micros, min_margin_micros, refuse_loss, created_at"

// Service reads and changes partners; every change is a version in
// history and moves tariff_version, so radiusd loads it.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service on db.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// NewPartner describes a partner to create.
type NewPartner struct {
	Name, Currency, Contact string
	Role                    Role
	Own                     bool
}

// Create creates a partner, active, least cost first.
func (s *Service) Create(ctx context.Context, n NewPartner) (Partner, error) {
	n.Role = cmp.Or(n.Role, Both)
	switch {
	case strings.TrimSpace(n.Name) == "" || len(n.Name) > 255:
		return Partner{}, fmt.Errorf("partner name %q: want 1 to 255 characters", n.Name)
	case len(n.Currency) != 3 || strings.ToUpper(n.Currency) != n.Currency:
		return Partner{}, fmt.Errorf("partner %q: currency %q: want an ISO 4217 code such as EUR", n.Name, n.Currency)
	case n.Role != Originating && n.Role != Terminating && n.Role != Both:
		return Partner{}, fmt.Errorf("partner %q: role %q: want originating, terminating or both", n.Name, n.Role)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if n.Own {
			var owns int
			if err := tx.GetContext(ctx, &owns, "SELECT COUNT(*) FROM partner WHERE own = 1"); err != nil {
				return err
			}
			if owns > 0 {
				return fmt.Errorf("partner %q: another partner is our own network: %w", n.Name, ErrExists)
			}
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO partner (name, currency, contact, role, own, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			n.Name, n.Currency, n.Contact, n.Role, n.Own, dbtime.Format(s.now()))
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("partner %q: %w", n.Name, ErrExists)
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return history.Record(ctx, tx, "partner", id, history.Create)
	})
	if err != nil {
		return Partner{}, err
	}
	return s.Partner(ctx, id)
}

// Partner returns the partner with that id.
func (s *Service) Partner(ctx context.Context, id int64) (Partner, error) {
	ps, err := load(ctx, s.db, "WHERE id = ?", id)
	if err != nil {
		return Partner{}, err
	}
	if len(ps) == 0 {
		return Partner{}, fmt.Errorf("partner %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// Find returns the partner named so, or with that id.
func (s *Service) Find(ctx context.Context, nameOrID string) (Partner, error) {
	ps, err := load(ctx, s.db, "WHERE name = ?", nameOrID)
	if err != nil || len(ps) == 1 {
		return first(ps), err
	}
	if id, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		return s.Partner(ctx, id)
	}
	return Partner{}, fmt.Errorf("partner %q: %w", nameOrID, ErrNotFound)
}

func first(ps []Partner) Partner {
	if len(ps) == 0 {
		return Partner{}
	}
	return ps[0]
}

// List returns every partner by name.
func (s *Service) List(ctx context.Context) ([]Partner, error) { return load(ctx, s.db, "") }

// load reads partners with their gateways, rates and routes.
func load(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]Partner, error) {
	var rows []partnerRow
	if err := sqlx.SelectContext(ctx, q, &rows, "SELECT "+partnerColumns+" FROM partner "+where+" ORDER BY name", args...); err != nil {
		return nil, err
	}
	out := make([]Partner, len(rows))
	index := map[int64]int{}
	for i, r := range rows {
		created, err := dbtime.Parse(r.CreatedAt)
		if err != nil {
			return nil, err
		}
		out[i] = Partner{ID: r.ID, Name: r.Name, Currency: r.Currency, Contact: r.Contact, Role: Role(r.Role), Blocked: r.State == "blocked",
			Own: r.Own, Strategy: Strategy(r.Strategy), Priority: r.Priority, Share: r.Share, Capacity: r.Capacity,
			MaxCost: rating.Money(r.MaxCost), MinMargin: rating.Money(r.MinMargin), RefuseLoss: r.RefuseLoss, CreatedAt: created,
			Rates: map[RateType]int64{}, StatementDecimals: map[RateType]int{}}
		index[r.ID] = i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var gateways []struct {
		PartnerID int64 `db:"partner_id"`
		Gateway
	}
	if err := sqlx.SelectContext(ctx, q, &gateways, "SELECT partner_id, id, kind, selector, address FROM partner_gateway ORDER BY id"); err != nil {
		return nil, err
	}
	for _, g := range gateways {
		if i, ok := index[g.PartnerID]; ok {
			out[i].Gateways = append(out[i].Gateways, g.Gateway)
		}
	}
	var rates []struct {
		PartnerID int64  `db:"partner_id"`
		RateType  string `db:"rate_type"`
		PlanID    int64  `db:"plan_id"`
		Decimals  *int   `db:"statement_decimals"`
	}
	if err := sqlx.SelectContext(ctx, q, &rates, "SELECT partner_id, rate_type, plan_id, statement_decimals FROM partner_rate"); err != nil {
		return nil, err
	}
	for _, r := range rates {
		if i, ok := index[r.PartnerID]; ok {
			out[i].Rates[RateType(r.RateType)] = r.PlanID
			if r.Decimals != nil {
				out[i].StatementDecimals[RateType(r.RateType)] = *r.Decimals
			}
		}
	}
	var routes []struct {
		OriginID int64 `db:"origin_id"`
		Route
	}
	if err := sqlx.SelectContext(ctx, q, &routes, "SELECT origin_id, destination_id, priority, share FROM partner_route ORDER BY priority, destination_id"); err != nil {
		return nil, err
	}
	for _, r := range routes {
		if i, ok := index[r.OriginID]; ok {
			out[i].Routes = append(out[i].Routes, r.Route)
		}
	}
	return out, nil
}

// change runs an administrator's change of partner id in a transaction
// that records the new version.
func (s *Service) change(ctx context.Context, id int64, fn func(tx *sqlx.Tx) error) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, "SELECT COUNT(*) FROM partner WHERE id = ?", id); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("partner %d: %w", id, ErrNotFound)
		}
		if err := fn(tx); err != nil {
			return err
		}
		return history.Record(ctx, tx, "partner", id, history.Update)
	})
}

// AddGateway adds a way to know the partner's legs. address "" takes the
// match for nas and remote rows.
func (s *Service) AddGateway(ctx context.Context, id int64, kind GatewayKind, match, address string) error {
	switch kind {
	case ByNAS, ByRemote:
		address = cmp.Or(address, match)
	case ByAVPair:
		if !strings.Contains(match, "=") {
			return fmt.Errorf("gateway %q: an avpair match is name=value, e.g. trunk-group=carrier-a", match)
		}
	default:
		return fmt.Errorf("gateway kind %q: want nas, remote or avpair", kind)
	}
	if match == "" || len(match) > 255 {
		return fmt.Errorf("gateway match %q: want 1 to 255 characters", match)
	}
	return s.change(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO partner_gateway (partner_id, kind, selector, address) VALUES (?, ?, ?, ?)", id, kind, match, address)
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("gateway %s %q: %w", kind, match, ErrExists)
		}
		return err
	})
}

// RemoveGateway removes a gateway row of the partner.
func (s *Service) RemoveGateway(ctx context.Context, id int64, kind GatewayKind, match string) error {
	return s.change(ctx, id, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM partner_gateway WHERE partner_id = ? AND kind = ? AND selector = ?", id, kind, match)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, fmt.Errorf("gateway %s %q of partner %d: %w", kind, match, id, ErrNotFound))
		}
		return nil
	})
}

// SetRate makes plan price the partner's rate type, its statement lines
// rounded to statementDecimals (0..6; nil: not rounded); planID 0 removes
// it.
func (s *Service) SetRate(ctx context.Context, id int64, t RateType, planID int64, statementDecimals *int) error {
	switch t {
	case Base, Incoming, Egress, Outgoing:
	default:
		return fmt.Errorf("rate type %q: want base, incoming, egress or outgoing", t)
	}
	if d := statementDecimals; d != nil && (*d < 0 || *d > 6) {
		return fmt.Errorf("statement decimals %d: want 0 to 6", *d)
	}
	return s.change(ctx, id, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM partner_rate WHERE partner_id = ? AND rate_type = ?", id, t); err != nil || planID == 0 {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO partner_rate (partner_id, rate_type, plan_id, statement_decimals) VALUES (?, ?, ?, ?)",
			id, t, planID, statementDecimals)
		return err
	})
}

// SetBlocked blocks a partner (its calls are refused, it is never offered
// as a route) or lifts the block.
func (s *Service) SetBlocked(ctx context.Context, id int64, blocked bool) error {
	state := "active"
	if blocked {
		state = "blocked"
	}
	return s.change(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE partner SET state = ? WHERE id = ?", state, id)
		return err
	})
}

// Policy is a partner's routing policy.
type Policy struct {
	Strategy                  Strategy
	Priority, Share, Capacity int
	MaxCost, MinMargin        rating.Money
	RefuseLoss                bool
}

// SetPolicy replaces the partner's routing policy.
func (s *Service) SetPolicy(ctx context.Context, id int64, p Policy) error {
	p.Strategy = cmp.Or(p.Strategy, LeastCost)
	switch {
	case p.Strategy != LeastCost && p.Strategy != Quality && p.Strategy != Priority && p.Strategy != LoadShare:
		return fmt.Errorf("strategy %q: want least_cost, quality, priority or load_share", p.Strategy)
	case p.Share < 0 || p.Capacity < 0 || p.MaxCost < 0 || p.MinMargin < 0:
		return errors.New("share, capacity, maximum cost and minimum margin cannot be negative")
	}
	return s.change(ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE partner SET strategy = ?, priority = ?, share = ?, capacity = ?, max_cost_micros = ?, min_margin_micros = ?, refuse_loss = ? WHERE id = ?",
			p.Strategy, p.Priority, p.Share, p.Capacity, int64(p.MaxCost), int64(p.MinMargin), p.RefuseLoss, id)
		return err
	})
}

// SetRoute lets origin's calls take destination (routing by origin);
// remove takes the permission back.
func (s *Service) SetRoute(ctx context.Context, origin, destination int64, r Route, remove bool) error {
	return s.change(ctx, origin, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM partner_route WHERE origin_id = ? AND destination_id = ?", origin, destination); err != nil || remove {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO partner_route (origin_id, destination_id, priority, share) VALUES (?, ?, ?, ?)",
			origin, destination, r.Priority, cmp.Or(r.Share, 1))
		if err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			return fmt.Errorf("partner %d: %w", destination, ErrNotFound)
		}
		return err
	})
}
