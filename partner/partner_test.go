package partner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/store"
)

type site struct {
	db             *store.DB
	svc            *partner.Service
	us, a, b, x, y partner.Partner
	ctx            context.Context
	planIDs        map[string]int64
}

// newSite makes the walkthrough's clearinghouse: our own network, members
// A and B, carriers X and Y, with their gateways and rates.
func newSite(t *testing.T, backend testdb.Backend) *site {
	t.Helper()
	db := testdb.Open(t, backend)
	testdb.Tariff(t, db, "../scripts/demo/clearinghouse")
	s := &site{db: db, svc: partner.New(db), ctx: history.WithActor(context.Background(), history.Actor{Name: "test"}), planIDs: map[string]int64{}}
	plans, err := db.PlanNames(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		s.planIDs[p.Name] = p.ID
	}
	create := func(name string, role partner.Role, own bool) partner.Partner {
		p, err := s.svc.Create(s.ctx, partner.NewPartner{Name: name, Currency: "EUR", Role: role, Own: own})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	s.us = create("Us", partner.Both, true)
	s.a = create("MemberA", partner.Originating, false)
	s.b = create("MemberB", partner.Originating, false)
	s.x = create("CarrierX", partner.Terminating, false)
	s.y = create("CarrierY", partner.Terminating, false)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.svc.AddGateway(s.ctx, s.us.ID, partner.ByNAS, "10.0.0.1", ""))
	must(s.svc.AddGateway(s.ctx, s.a.ID, partner.ByNAS, "10.1.0.1", ""))
	must(s.svc.AddGateway(s.ctx, s.b.ID, partner.ByRemote, "10.4.0.1", ""))
	must(s.svc.AddGateway(s.ctx, s.x.ID, partner.ByNAS, "10.2.0.1", ""))
	must(s.svc.AddGateway(s.ctx, s.y.ID, partner.ByAVPair, "trunk-group=carrier-y", "10.3.0.1"))
	for _, r := range []struct {
		p    partner.Partner
		t    partner.RateType
		plan string
	}{{s.us, partner.Base, "own-base"}, {s.us, partner.Egress, "own-egress"}, {s.a, partner.Incoming, "member-a-incoming"},
		{s.b, partner.Incoming, "member-b-incoming"}, {s.x, partner.Outgoing, "carrier-x-outgoing"}, {s.y, partner.Outgoing, "carrier-y-outgoing"}} {
		must(s.svc.SetRate(s.ctx, r.p.ID, r.t, s.planIDs[r.plan], nil))
	}
	return s
}

func TestPartners(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		s := newSite(t, b)
		if _, err := s.svc.Create(s.ctx, partner.NewPartner{Name: "Them", Currency: "EUR", Own: true}); !errors.Is(err, partner.ErrExists) {
			t.Errorf("a second own network: %v", err)
		}
		if _, err := s.svc.Create(s.ctx, partner.NewPartner{Name: "MemberA", Currency: "EUR"}); !errors.Is(err, partner.ErrExists) {
			t.Errorf("a partner's name twice: %v", err)
		}
		if _, err := s.svc.Create(s.ctx, partner.NewPartner{Name: "Z", Currency: "eur"}); err == nil {
			t.Error("a lower-case currency taken")
		}
		if err := s.svc.AddGateway(s.ctx, s.b.ID, partner.ByNAS, "10.1.0.1", ""); !errors.Is(err, partner.ErrExists) {
			t.Errorf("another partner's gateway: %v", err)
		}
		if err := s.svc.AddGateway(s.ctx, s.b.ID, partner.ByAVPair, "no-equals", ""); err == nil {
			t.Error("an avpair without name=value taken")
		}
		if err := s.svc.SetPolicy(s.ctx, s.a.ID, partner.Policy{Strategy: "cheapest"}); err == nil {
			t.Error("an unknown strategy taken")
		}
		if err := s.svc.SetRoute(s.ctx, s.a.ID, s.x.ID, partner.Route{Priority: 1}, false); err != nil {
			t.Fatal(err)
		}

		dir, err := partner.LoadDirectory(s.ctx, s.db)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			leg             partner.Leg
			gateway, remote int64
		}{
			{partner.Leg{ClientName: "gw", NASIP: "10.1.0.1"}, s.a.ID, 0},
			{partner.Leg{ClientName: "10.2.0.1"}, s.x.ID, 0},
			{partner.Leg{NASIP: "10.0.0.1", RemoteAddress: "10.4.0.1"}, s.us.ID, s.b.ID},
			{partner.Leg{NASIP: "10.0.0.1", AVPairs: []string{"h323-incoming-conf-id=1", "trunk-group=carrier-y"}}, s.y.ID, 0},
			{partner.Leg{NASIP: "192.0.2.1"}, 0, 0},
		} {
			gw, remote := dir.Of(c.leg)
			if id(gw) != c.gateway || id(remote) != c.remote {
				t.Errorf("%+v: gateway %d remote %d, want %d %d", c.leg, id(gw), id(remote), c.gateway, c.remote)
			}
		}
		if own := dir.Own(); own == nil || own.ID != s.us.ID {
			t.Errorf("own: %+v", own)
		}
		ids := func(o *partner.Partner) []int64 {
			var out []int64
			for _, c := range dir.Carriers(o) {
				out = append(out, c.ID)
			}
			return out
		}
		if got := ids(dir.Partner(s.a.ID)); len(got) != 1 || got[0] != s.x.ID {
			t.Errorf("MemberA's calls (routed by origin to X only): %v", got)
		}
		if got := ids(dir.Partner(s.b.ID)); len(got) != 2 {
			t.Errorf("MemberB's calls: %v", got)
		}
		if addr := dir.Partner(s.y.ID).RouteAddress(); addr != "10.3.0.1" {
			t.Errorf("Y's route address %q", addr)
		}

		// Every change is a version; a revert is one more, and takes
		// the gateways, rates and routes back.
		versions, err := history.Versions(s.ctx, s.db, "partner", history.ID(s.a.ID))
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != 4 || versions[0].Actor != "test" {
			t.Fatalf("MemberA's versions: %d %+v", len(versions), versions)
		}
		if err := history.Revert(s.ctx, s.db.DB, "partner", history.ID(s.a.ID), 1); err != nil {
			t.Fatal(err)
		}
		a, err := s.svc.Partner(s.ctx, s.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Gateways) != 0 || len(a.Rates) != 0 || len(a.Routes) != 0 {
			t.Errorf("MemberA reverted to its first version: %+v", a)
		}
		if err := s.svc.SetBlocked(s.ctx, s.x.ID, true); err != nil {
			t.Fatal(err)
		}
		if x, _ := s.svc.Find(s.ctx, "CarrierX"); !x.Blocked {
			t.Error("CarrierX not blocked")
		}
	})
}

func id(p *partner.Partner) int64 {
	if p == nil {
		return 0
	}
	return p.ID
}
