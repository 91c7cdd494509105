// Package config reads radbill's configuration: a YAML file given with
// -config, with every key overridable by an environment variable RADBILL_<KEY>
// (dots become underscores: RADBILL_DATABASE_DSN, RADBILL_LISTEN_ACCT).
// RADBILL_CLIENTS holds the whole client list as YAML or JSON.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/viper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration. See README.md, "Configuration".
type Config struct {
	Listen struct {
		Auth    string `mapstructure:"auth"`
		Acct    string `mapstructure:"acct"`
		Metrics string `mapstructure:"metrics"`
		// Web is the console's and admin API's address.
		Web string `mapstructure:"web"`
		// TCP serves RADIUS over TCP (RFC 6613), RadSec RADIUS over TLS
		// (RFC 6614, radsec.*); "" for none.
		TCP    string `mapstructure:"tcp"`
		RadSec string `mapstructure:"radsec"`
	} `mapstructure:"listen"`
	// RadSec is the TLS of listen.radsec: the server's certificate and key,
	// and the CA that signs the gateways' client certificates.
	RadSec struct {
		CertFile     string `mapstructure:"cert_file"`
		KeyFile      string `mapstructure:"key_file"`
		ClientCAFile string `mapstructure:"client_ca_file"`
	} `mapstructure:"radsec"`
	// Web configures the console; web.ParseConfig reads it.
	Web      map[string]any `mapstructure:"web"`
	Database struct {
		Driver string `mapstructure:"driver"`
		DSN    string `mapstructure:"dsn"`
	} `mapstructure:"database"`
	// Clients is the NAS client list as written; radiusd.ParseClients
	// reads and validates it.
	Clients      []map[string]any `mapstructure:"clients"`
	Dictionaries string           `mapstructure:"dictionaries"`
	// Import lists the CDR directories radiusd follows itself, as
	// `radbill import ... --watch` does; cdrimport.ParseWatches reads it.
	Import []map[string]any `mapstructure:"import"`
	Log    struct {
		Level string `mapstructure:"level"`
	} `mapstructure:"log"`
	Gateway struct {
		// TimeZone reads Cisco times whose zone token is unknown.
		TimeZone string `mapstructure:"timezone"`
	} `mapstructure:"gateway"`
	Server struct {
		Workers       int           `mapstructure:"workers"`
		QueueSize     int           `mapstructure:"queue_size"`
		QueueTimeout  time.Duration `mapstructure:"queue_timeout"`
		ReplyCacheTTL time.Duration `mapstructure:"reply_cache_ttl"`
		// MaxInFlightPerSource: see the radiusd package's Config.
		MaxInFlightPerSource int `mapstructure:"max_in_flight_per_source"`
	} `mapstructure:"server"`
	Rating struct {
		// Enabled rates every Stop; off, CDRs are stored with rating_status "unrated".
		Enabled bool `mapstructure:"enabled"`
		// ReloadInterval is how often tariff_version is polled for changes.
		ReloadInterval time.Duration `mapstructure:"reload_interval"`
	} `mapstructure:"rating"`
	Writer struct {
		BatchSize     int           `mapstructure:"batch_size"`
		FlushDelay    time.Duration `mapstructure:"flush_delay"`
		Writers       int           `mapstructure:"writers"`
		QueueSize     int           `mapstructure:"queue_size"`
		CommitTimeout time.Duration `mapstructure:"commit_timeout"`
		// Mode is "direct" (a batch is acknowledged once committed to the
		// database) or "journal" (once fsync'd to the local journal, the
		// spool directory; a loader moves it into the database).
		Mode    string `mapstructure:"mode"`
		Journal struct {
			// LoadBatch is the most records one loader transaction takes.
			LoadBatch int `mapstructure:"load_batch"`
			// MaxLagRecords and MaxLag bound the loader's backlog: past
			// either, Stops are not acknowledged until it catches up (0:
			// no bound).
			MaxLagRecords int           `mapstructure:"max_lag_records"`
			MaxLag        time.Duration `mapstructure:"max_lag"`
		} `mapstructure:"journal"`
	} `mapstructure:"writer"`
	// SMTP delivers limit e-mails to enterprise users; an empty host keeps
	// them queued in the database.
	SMTP struct {
		Host     string `mapstructure:"host"`
		Port     int    `mapstructure:"port"`
		StartTLS bool   `mapstructure:"starttls"`
		Username string `mapstructure:"username"`
		Password string `mapstructure:"password"`
		From     string `mapstructure:"from"`
		// PollInterval is how often queued e-mails are looked for.
		PollInterval time.Duration `mapstructure:"poll_interval"`
		// Language is the e-mails' language for users who have none.
		Language string `mapstructure:"language"`
	} `mapstructure:"smtp"`
	Authorize struct {
		// OutagePolicy is "closed" (reject while the database is away) or
		// "open" (accept known accounts with OutageCreditTime).
		OutagePolicy     string        `mapstructure:"outage_policy"`
		OutageCreditTime time.Duration `mapstructure:"outage_credit_time"`
		// PINKeyFile holds the key that seals cards' PINs for CHAP (64
		// hexadecimal digits, read by limits.ReadPINKey); "" allows PAP only.
		PINKeyFile string `mapstructure:"pin_key_file"`
		// BatchWorkers is how many card batches are decided at once.
		BatchWorkers int `mapstructure:"batch_workers"`
		// MaxCreditTime caps one call's credit time and so the credit it
		// holds; a card's own max credit time overrides it.
		MaxCreditTime time.Duration `mapstructure:"max_credit_time"`
	} `mapstructure:"authorize"`
	// Disconnect sends the Disconnect-Requests of calls an administrator
	// ended (package radiusd/disconnect).
	Disconnect struct {
		Port         int           `mapstructure:"port"`
		PollInterval time.Duration `mapstructure:"poll_interval"`
		Timeout      time.Duration `mapstructure:"timeout"`
		MaxAttempts  int           `mapstructure:"max_attempts"`
	} `mapstructure:"disconnect"`
	// Routing ranks the clearinghouse's route lists (package route).
	Routing struct {
		MaxRoutes     int           `mapstructure:"max_routes"`
		QualityWindow time.Duration `mapstructure:"quality_window"`
		MinSamples    int64         `mapstructure:"min_samples"`
	} `mapstructure:"routing"`
	Spool struct {
		// Dir holds the local spool of records the database could not take;
		// "" disables it.
		Dir      string `mapstructure:"dir"`
		MaxBytes int64  `mapstructure:"max_bytes"`
	} `mapstructure:"spool"`
}

var defaults = map[string]any{
	"listen.auth":                     "127.0.0.1:1812",
	"listen.acct":                     "127.0.0.1:1813",
	"listen.metrics":                  "127.0.0.1:9812",
	"listen.web":                      "127.0.0.1:8080",
	"listen.tcp":                      "",
	"listen.radsec":                   "",
	"radsec.cert_file":                "",
	"radsec.key_file":                 "",
	"radsec.client_ca_file":           "",
	"web.enabled":                     false,
	"database.driver":                 "sqlite",
	"database.dsn":                    "data/radbill.db",
	"dictionaries":                    "dictionaries",
	"log.level":                       "info",
	"gateway.timezone":                "UTC",
	"server.workers":                  8,
	"server.queue_size":               8192,
	"server.queue_timeout":            "20ms",
	"server.reply_cache_ttl":          "10s",
	"server.max_in_flight_per_source": 256,
	"rating.enabled":                  true,
	"rating.reload_interval":          "5s",
	"writer.batch_size":               256,
	"writer.flush_delay":              "0s",
	"writer.writers":                  1,
	"writer.queue_size":               1024,
	"writer.commit_timeout":           "2s",
	"writer.mode":                     "direct",
	"writer.journal.load_batch":       4096,
	"writer.journal.max_lag_records":  2_000_000,
	"writer.journal.max_lag":          "120s",
	"spool.dir":                       "data/spool",
	"authorize.outage_policy":         "closed",
	"authorize.outage_credit_time":    "60s",
	"authorize.pin_key_file":          "",
	"authorize.batch_workers":         1,
	"authorize.max_credit_time":       "4h",
	"smtp.host":                       "",
	"smtp.port":                       0,
	"smtp.starttls":                   true,
	"smtp.username":                   "",
	"smtp.password":                   "",
	"smtp.from":                       "radbill <radbill@localhost>",
	"smtp.poll_interval":              "15s",
	"smtp.language":                   "en",
	"disconnect.port":                 1700,
	"disconnect.poll_interval":        "1s",
	"disconnect.timeout":              "3s",
	"disconnect.max_attempts":         5,
	"routing.max_routes":              5,
	"routing.quality_window":          "168h",
	"routing.min_samples":             20,
	"spool.max_bytes":                 int64(1 << 30),
}

// Load reads the file at path ("" for defaults and environment only).
func Load(path string) (*Config, error) {
	v := viper.New()
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	v.SetEnvPrefix("RADBILL")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if env := os.Getenv("RADBILL_CLIENTS"); env != "" {
		c.Clients = nil
		if err := yaml.Unmarshal([]byte(env), &c.Clients); err != nil {
			return nil, fmt.Errorf("RADBILL_CLIENTS: %w", err)
		}
	}
	return &c, c.validate()
}

func (c *Config) validate() error {
	if c.Server.Workers < 1 || c.Server.QueueSize < 1 {
		return fmt.Errorf("server.workers and server.queue_size must be at least 1")
	}
	if c.Server.MaxInFlightPerSource < 0 {
		return fmt.Errorf("server.max_in_flight_per_source must not be negative (0: no limit)")
	}
	if c.Writer.BatchSize < 1 || c.Writer.BatchSize > 500 {
		return fmt.Errorf("writer.batch_size must be 1..500, got %d", c.Writer.BatchSize)
	}
	if c.Writer.Writers < 1 || c.Writer.QueueSize < 1 || c.Writer.FlushDelay < 0 {
		return fmt.Errorf("writer.writers and writer.queue_size must be positive, writer.flush_delay not negative")
	}
	switch c.Writer.Mode {
	case "direct":
	case "journal":
		if c.Spool.Dir == "" {
			return fmt.Errorf("writer.mode journal needs spool.dir: the journal is kept there")
		}
		if c.Writer.Journal.LoadBatch < 1 || c.Writer.Journal.LoadBatch > 50_000 {
			return fmt.Errorf("writer.journal.load_batch must be 1..50000, got %d", c.Writer.Journal.LoadBatch)
		}
		if c.Writer.Journal.MaxLagRecords < 0 || c.Writer.Journal.MaxLag < 0 {
			return fmt.Errorf("writer.journal.max_lag_records and max_lag must not be negative (0: no bound)")
		}
	default:
		return fmt.Errorf("writer.mode %q: want direct or journal", c.Writer.Mode)
	}
	if c.Authorize.BatchWorkers < 1 {
		return fmt.Errorf("authorize.batch_workers must be positive, got %d", c.Authorize.BatchWorkers)
	}
	if c.Authorize.MaxCreditTime < time.Second {
		return fmt.Errorf("authorize.max_credit_time must be at least 1s, got %s", c.Authorize.MaxCreditTime)
	}
	if c.Authorize.OutagePolicy != "closed" && c.Authorize.OutagePolicy != "open" {
		return fmt.Errorf("authorize.outage_policy %q: want closed or open", c.Authorize.OutagePolicy)
	}
	if c.Rating.ReloadInterval <= 0 {
		return fmt.Errorf("rating.reload_interval must be positive")
	}
	if _, err := time.LoadLocation(c.Gateway.TimeZone); err != nil {
		return fmt.Errorf("gateway.timezone: %w", err)
	}
	return nil
}

// Logger builds the zap logger: human-readable on a terminal, JSON otherwise.
func (c *Config) Logger() (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(c.Log.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	var zc zap.Config
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		zc = zap.NewDevelopmentConfig()
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	// A refused tariff or an unreachable database is an operator's matter,
	// said in the message; a panic logs its own stack.
	zc.DisableStacktrace = true
	return zc.Build()
}
