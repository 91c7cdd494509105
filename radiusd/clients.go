package radiusd

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Client is a NAS allowed to talk to radbill.
type Client struct {
	Name   string
	Prefix netip.Prefix // a single address is a /32 or /128
	Secret []byte
}

// ClientConfig is one entry of the `clients` configuration list.
type ClientConfig struct {
	Name    string `mapstructure:"name"`
	Address string `mapstructure:"address"` // IP or CIDR
	Secret  string `mapstructure:"secret"`
}

// Clients finds the client of a source address; the most specific prefix
// wins. It is immutable once built.
type Clients struct {
	byPrefix []Client // longest prefix first
}

// NewClients validates the configured clients.
func NewClients(configs []ClientConfig) (*Clients, error) {
	cs := &Clients{}
	seen := map[netip.Prefix]string{}
	for i, c := range configs {
		if c.Name == "" {
			return nil, fmt.Errorf("clients[%d]: name is empty", i)
		}
		if c.Secret == "" {
			return nil, fmt.Errorf("client %q: secret is empty", c.Name)
		}
		p, err := parsePrefix(c.Address)
		if err != nil {
			return nil, fmt.Errorf("client %q: address %q: %w", c.Name, c.Address, err)
		}
		if other, dup := seen[p]; dup {
			return nil, fmt.Errorf("client %q: address %s is also client %q", c.Name, p, other)
		}
		seen[p] = c.Name
		cs.byPrefix = append(cs.byPrefix, Client{Name: c.Name, Prefix: p, Secret: []byte(c.Secret)})
	}
	slices.SortStableFunc(cs.byPrefix, func(a, b Client) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	return cs, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Lookup returns the client for a source address, or nil.
func (cs *Clients) Lookup(addr netip.Addr) *Client {
	addr = addr.Unmap()
	for i := range cs.byPrefix {
		if cs.byPrefix[i].Prefix.Contains(addr) {
			return &cs.byPrefix[i]
		}
	}
	return nil
}
