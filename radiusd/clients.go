package radiusd

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/go-viper/mapstructure/v2"
	"golang.org/x/time/rate"
)

// Client is a NAS allowed to talk to radbill.
type Client struct {
	Name   string
	Prefix netip.Prefix // a single address is a /32 or /128
	Secret []byte
	// RequireMessageAuthenticator and LimitProxyState are the BlastRADIUS
	// (CVE-2024-3596) protections of FreeRADIUS 3.2.5, applied to
	// Access-Requests; see checkBlastRADIUS.
	RequireMessageAuthenticator Policy
	LimitProxyState             Policy
	// limiter sheds a client that sends more than its rate_limit; nil: no limit.
	limiter *rate.Limiter
	// MaxInFlight overrides server.max_in_flight_per_source for the
	// client's addresses (a proxy speaks for many NAS); 0: the server's.
	MaxInFlight int
	// TLSName, when set, must be a DNS name or the common name of the
	// certificate a RadSec connection from the client presents.
	TLSName string
	// radsec is the client as its RadSec connections speak: the same
	// client with the RadSec secret (RFC 6614 §2.3).
	radsec *Client

	// What "auto" has learnt of this client since it was configured.
	sentMessageAuthenticator atomic.Bool
	firstRequestSeen         atomic.Bool
	firstHadProxyState       atomic.Bool
}

// Policy is yes, no or auto.
type Policy string

// Policy values.
const (
	Yes  Policy = "yes"
	No   Policy = "no"
	Auto Policy = "auto"
)

// ClientConfig is one entry of the `clients` configuration list.
type ClientConfig struct {
	Name    string `mapstructure:"name"`
	Address string `mapstructure:"address"` // IP or CIDR
	Secret  string `mapstructure:"secret"`
	// yes, no or auto (the default, as in FreeRADIUS 3.2.5).
	RequireMessageAuthenticator string `mapstructure:"require_message_authenticator" yaml:"require_message_authenticator"`
	LimitProxyState             string `mapstructure:"limit_proxy_state" yaml:"limit_proxy_state"`
	// RateLimit is the most packets per second accepted from this client
	// (bursts of RateBurst); 0 is unlimited.
	RateLimit float64 `mapstructure:"rate_limit" yaml:"rate_limit"`
	RateBurst int     `mapstructure:"rate_burst" yaml:"rate_burst"`
	// MaxInFlight: see Client.MaxInFlight.
	MaxInFlight int `mapstructure:"max_in_flight" yaml:"max_in_flight"`
	// TLSName: see Client.TLSName.
	TLSName string `mapstructure:"tls_name" yaml:"tls_name"`
}

// Clients finds the client of a source address; the most specific prefix
// wins. It is immutable once built.
type Clients struct {
	byPrefix []*Client // longest prefix first
}

// ParseClients reads the configuration's client list (each entry a map of
// ClientConfig's keys) and validates it. YAML booleans are taken where a
// policy is yes, no or auto.
func ParseClients(raw []map[string]any) (*Clients, error) {
	configs := make([]ClientConfig, len(raw))
	for i, entry := range raw {
		decoder, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &configs[i], WeaklyTypedInput: true, ErrorUnused: true})
		if err != nil {
			return nil, err
		}
		if err := decoder.Decode(entry); err != nil {
			return nil, fmt.Errorf("clients[%d]: %w", i, err)
		}
	}
	return NewClients(configs)
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
		require, err := parsePolicy(c.RequireMessageAuthenticator)
		if err != nil {
			return nil, fmt.Errorf("client %q: require_message_authenticator: %w", c.Name, err)
		}
		limit, err := parsePolicy(c.LimitProxyState)
		if err != nil {
			return nil, fmt.Errorf("client %q: limit_proxy_state: %w", c.Name, err)
		}
		client := &Client{Name: c.Name, Prefix: p, Secret: []byte(c.Secret), RequireMessageAuthenticator: require, LimitProxyState: limit, MaxInFlight: c.MaxInFlight}
		if c.RateLimit < 0 || c.RateBurst < 0 || c.MaxInFlight < 0 {
			return nil, fmt.Errorf("client %q: rate_limit, rate_burst and max_in_flight must not be negative", c.Name)
		}
		if c.RateLimit > 0 {
			client.limiter = rate.NewLimiter(rate.Limit(c.RateLimit), max(c.RateBurst, int(c.RateLimit/10), 1))
		}
		client.TLSName = c.TLSName
		client.radsec = &Client{Name: client.Name, Prefix: p, Secret: radsecSecret, RequireMessageAuthenticator: require, LimitProxyState: limit,
			MaxInFlight: c.MaxInFlight, TLSName: c.TLSName, limiter: client.limiter}
		cs.byPrefix = append(cs.byPrefix, client)
	}
	slices.SortStableFunc(cs.byPrefix, func(a, b *Client) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	return cs, nil
}

// parsePolicy also takes a YAML boolean: `false` unquoted reaches here as
// "false" (RADBILL_CLIENTS) or "0" (the configuration file, whose values
// viper converts), and means no.
func parsePolicy(s string) (Policy, error) {
	switch p := Policy(strings.ToLower(s)); p {
	case "":
		return Auto, nil
	case Yes, No, Auto:
		return p, nil
	case "true", "on", "1":
		return Yes, nil
	case "false", "off", "0":
		return No, nil
	}
	return "", fmt.Errorf("%q: want yes, no or auto (or a YAML boolean)", s)
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
	for _, c := range cs.byPrefix {
		if c.Prefix.Contains(addr) {
			return c
		}
	}
	return nil
}

// Named returns the client of that name, or nil.
func (cs *Clients) Named(name string) *Client {
	for _, c := range cs.byPrefix {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// allow reports whether the client is within its rate limit.
func (c *Client) allow() bool { return c.limiter == nil || c.limiter.Allow() }
