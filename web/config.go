package web

import (
	"fmt"
	"net"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// Config is the web console's part of the configuration: listen.web and
// the web section (README, "Configuration").
type Config struct {
	// Enabled serves the console from radiusd itself; `radbill web serve`
	// serves it whatever this says.
	Enabled bool   `mapstructure:"enabled"`
	Listen  string `mapstructure:"-"`
	// TLSCert and TLSKey, both set, serve HTTPS; cookies are then Secure.
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// SessionIdle ends a session unused this long, SessionMax any session
	// this old.
	SessionIdle time.Duration `mapstructure:"session_idle"`
	SessionMax  time.Duration `mapstructure:"session_max"`
	// MaxFailedLogins in a row lock a console user out for Lockout.
	MaxFailedLogins int           `mapstructure:"max_failed_logins"`
	Lockout         time.Duration `mapstructure:"lockout"`
}

// ParseConfig reads the web section and listen.web, with their defaults.
func ParseConfig(listen string, raw map[string]any) (Config, error) {
	c := Config{Listen: listen, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour, MaxFailedLogins: 5, Lockout: 15 * time.Minute}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result: &c, WeaklyTypedInput: true, ErrorUnused: true,
		DecodeHook: mapstructure.StringToTimeDurationHookFunc(),
	})
	if err != nil {
		return c, err
	}
	if err := dec.Decode(raw); err != nil {
		return c, fmt.Errorf("web: %w", err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen.web %q: %w", c.Listen, err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("web.tls_cert and web.tls_key go together")
	}
	if c.SessionIdle <= 0 || c.SessionMax < c.SessionIdle {
		return fmt.Errorf("web.session_idle must be positive and web.session_max at least as long")
	}
	if c.MaxFailedLogins < 1 || c.Lockout <= 0 {
		return fmt.Errorf("web.max_failed_logins must be at least 1 and web.lockout positive")
	}
	return nil
}

// TLS tells whether the console is served over HTTPS.
func (c Config) TLS() bool { return c.TLSCert != "" }
