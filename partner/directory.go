package partner

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/route"
)

// Directory is every partner at one moment, indexed for the packet path:
// which partner a leg's gateway or far end belongs to. It is immutable.
type Directory struct {
	partners map[int64]*Partner
	own      *Partner
	byNAS    map[string]*Partner // client name or NAS-IP-Address
	byRemote map[string]*Partner // h323-remote-address
	byAVPair map[string]*Partner // "name=value"
	ordered  []*Partner          // by name
	// carriers are the candidate routes of our own customers' calls and
	// of originating partners without routes of their own; byOrigin those
	// of the partners with (see Carriers).
	carriers []route.Carrier
	byOrigin map[int64][]route.Carrier
}

// LoadDirectory reads every partner.
func LoadDirectory(ctx context.Context, q sqlx.QueryerContext) (*Directory, error) {
	ps, err := load(ctx, q, "")
	if err != nil {
		return nil, err
	}
	return NewDirectory(ps)
}

// NewDirectory indexes partners; it refuses two own partners.
func NewDirectory(ps []Partner) (*Directory, error) {
	d := &Directory{partners: map[int64]*Partner{}, byNAS: map[string]*Partner{}, byRemote: map[string]*Partner{}, byAVPair: map[string]*Partner{}}
	for i := range ps {
		p := &ps[i]
		d.partners[p.ID] = p
		d.ordered = append(d.ordered, p)
		if p.Own {
			if d.own != nil {
				return nil, errors.New("two partners are our own network: " + d.own.Name + ", " + p.Name)
			}
			d.own = p
		}
		for _, g := range p.Gateways {
			switch g.Kind {
			case ByNAS:
				d.byNAS[g.Match] = p
			case ByRemote:
				d.byRemote[g.Match] = p
			case ByAVPair:
				d.byAVPair[g.Match] = p
			}
		}
	}
	d.carrierLists()
	return d, nil
}

// Empty tells whether there are no partners: a site that is no
// clearinghouse pays nothing for it on the packet path.
func (d *Directory) Empty() bool { return d == nil || len(d.partners) == 0 }

// Partner returns the partner with that id, or nil.
func (d *Directory) Partner(id int64) *Partner {
	if d == nil {
		return nil
	}
	return d.partners[id]
}

// Name is the partner's name, or #id for one the directory lacks (a
// partner's row read after the directory was loaded).
func (d *Directory) Name(id int64) string {
	if p := d.Partner(id); p != nil {
		return p.Name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// Own is our own network, or nil.
func (d *Directory) Own() *Partner {
	if d == nil {
		return nil
	}
	return d.own
}

// All returns the partners by name.
func (d *Directory) All() []*Partner {
	if d == nil {
		return nil
	}
	return d.ordered
}

// Leg is what a leg tells about where it was seen.
type Leg struct {
	ClientName, NASIP, RemoteAddress string
	AVPairs                          []string // "name=value"
}

// Of returns the partner whose gateway reported the leg (by an AVPair,
// then its NAS) and the partner at its far end (by h323-remote-address);
// nil for none.
func (d *Directory) Of(leg Leg) (gateway, remote *Partner) {
	if d.Empty() {
		return nil, nil
	}
	for _, pair := range leg.AVPairs {
		if p := d.byAVPair[strings.TrimSpace(pair)]; p != nil {
			gateway = p
			break
		}
	}
	if gateway == nil {
		gateway = d.byNAS[leg.ClientName]
	}
	if gateway == nil && leg.NASIP != "" {
		gateway = d.byNAS[leg.NASIP]
	}
	if leg.RemoteAddress != "" {
		remote = d.byRemote[leg.RemoteAddress]
	}
	return gateway, remote
}

// RouteAddress is where a call routed to p goes: its first gateway row
// with an address.
func (p *Partner) RouteAddress() string {
	for _, g := range p.Gateways {
		if g.Address != "" {
			return g.Address
		}
	}
	return ""
}
