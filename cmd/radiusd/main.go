// Command radiusd is radbill's RADIUS server: it accounts the calls of Cisco
// voice gateways into the database.
//
// The accounting chain, wired in start:
//
//	UDP packet → radiusd.Server (client, authenticators, reply cache)
//	  → radiusd.Accounting: acct.Decoder → stages → store.Writer (group commit) → reply
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdrimport"
	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/limits/notify"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/radiusd"
	"github.com/radbill/radbill/radiusd/acct"
	"github.com/radbill/radbill/radiusd/attrnames"
	"github.com/radbill/radbill/radiusd/authorize"
	"github.com/radbill/radbill/radiusd/disconnect"
	"github.com/radbill/radbill/route"
	"github.com/radbill/radbill/spool"
	"github.com/radbill/radbill/store"
	"github.com/radbill/radbill/web"
)

func main() {
	configPath := flag.String("config", "", "YAML configuration file")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		// The live heap is small (tens of MB) and every packet allocates:
		// collecting less often saves CPU for packets. GOGC overrides.
		debug.SetGCPercent(400)
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "radiusd:", err)
		os.Exit(2)
	}
	log, err := cfg.Logger()
	if err != nil {
		fmt.Fprintln(os.Stderr, "radiusd:", err)
		os.Exit(2)
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr is gone

	in, err := start(cfg, log)
	if err != nil {
		log.Fatal("start failed", zap.Error(err))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go reloadOnHangup(ctx, *configPath, in, log)
	in.run(ctx)
}

// instance is one running server with everything it owns.
type instance struct {
	db      *store.DB
	cards   *limits.CardBatcher
	writer  *store.Writer
	server  *radiusd.Server
	metrics *http.Server
	spool   *spool.Spool // nil when disabled
	console *web.Server  // nil unless web.enabled
	// accounting is kept to swap its decoder when dictionaries are reloaded.
	accounting *radiusd.Accounting
	mailer     *notify.Sender // nil without smtp.host
	// importer follows the import: directories; nil without any.
	importer *cdrimport.Importer
	watches  []cdrimport.Watch
	limits   *limits.Service
	rating   *billing.Stage
	// carriers is the clearinghouse carriers' state, routing how route
	// lists are ranked.
	carriers *partner.Watcher
	routing  route.Config
	offers   *partner.OfferLog
	// disconnects sends the Disconnect-Requests of calls administrators
	// ended.
	disconnects *disconnect.Sender
	// reloadEvery is how often the tariff version is polled.
	reloadEvery time.Duration
	log         *zap.Logger
	// metricsAddr is the bound address of the metrics listener.
	metricsAddr net.Addr
	// reloading serialises reloads (the poll's and SIGHUP's) and reports.
	reloading sync.Mutex
	// self is this process's row in radiusd_instance; refused the
	// tariff_version whose tables did not validate, logged once.
	self    store.Instance
	refused int64
}

func start(cfg *config.Config, log *zap.Logger) (_ *instance, err error) {
	ctx := context.Background()
	var cleanup []func()
	defer func() {
		if err != nil {
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
		}
	}()
	db, err := store.Open(cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { db.Close() })
	applied, err := db.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", zap.Int64s("versions", applied))
	}
	names, err := attrnames.Load(cfg.Dictionaries)
	if err != nil {
		return nil, fmt.Errorf("dictionaries: %w", err)
	}
	clients, err := radiusd.ParseClients(cfg.Clients)
	if err != nil {
		return nil, err
	}
	gatewayZone, _ := time.LoadLocation(cfg.Gateway.TimeZone) // validated by config.Load
	tables, err := billing.Load(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("tariffs: %w", err)
	}

	var sp *spool.Spool
	if cfg.Spool.Dir != "" {
		var recovery spool.Recovery
		if sp, recovery, err = spool.Open(cfg.Spool.Dir, cfg.Spool.MaxBytes); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		cleanup = append(cleanup, func() { sp.Close() })
		for _, problem := range recovery.Problems {
			log.Error("spool damage cut off at start (kept in a .corrupt file)", zap.String("problem", problem))
		}
		if waiting, _ := sp.Depth(); waiting > 0 {
			log.Warn("spooled records from before the restart will be replayed", zap.Int("records", waiting))
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), store.TransactionRetries)
	pinKey, err := limits.ReadPINKey(cfg.Authorize.PINKeyFile)
	if err != nil {
		return nil, err
	}
	limitsService := limits.New(db, limits.Options{PINKey: pinKey, MaxCreditTime: cfg.Authorize.MaxCreditTime})
	routing := route.Config{MaxRoutes: cfg.Routing.MaxRoutes, QualityWindow: cfg.Routing.QualityWindow, MinSamples: cfg.Routing.MinSamples}
	if err := routing.Check(); err != nil {
		return nil, err
	}
	carriers := &partner.Watcher{}
	offers := partner.NewOfferLog(db, func(err error) { log.Warn("route lists not kept", zap.Error(err)) })
	cleanup = append(cleanup, offers.Close)
	mailer, err := notify.New(db, notify.Config{SMTP: notify.SMTP{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, StartTLS: cfg.SMTP.StartTLS,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, From: cfg.SMTP.From,
	}, PollInterval: cfg.SMTP.PollInterval, Language: cfg.SMTP.Language, Log: log})
	if cfg.SMTP.Host != "" && err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	writer := store.NewWriter(db, store.WriterConfig{
		BatchSize: cfg.Writer.BatchSize, FlushDelay: cfg.Writer.FlushDelay,
		Writers: cfg.Writer.Writers, QueueSize: cfg.Writer.QueueSize, CommitTimeout: cfg.Writer.CommitTimeout, Spool: sp,
		Journal: cfg.Writer.Mode == "journal", LoadBatch: cfg.Writer.Journal.LoadBatch, MaxLagRecords: cfg.Writer.Journal.MaxLagRecords,
		MaxLag:  cfg.Writer.Journal.MaxLag,
		Settler: billing.Settler{Limits: limitsService, Log: log},
	}, reg, log)
	cleanup = append(cleanup, writer.Close)
	cards := limitsService.NewCardBatcher(limits.BatcherConfig{Workers: cfg.Authorize.BatchWorkers, Timeout: cfg.Writer.CommitTimeout})
	cleanup = append(cleanup, cards.Close)
	ratingStage := billing.NewStage(tables, reg)
	accounting := &radiusd.Accounting{Sink: writer, Log: log}
	accounting.SetDecoder(acct.NewDecoder(names, gatewayZone))
	if cfg.Rating.Enabled {
		accounting.Stages = append(accounting.Stages, ratingStage)
	}
	var radsec *tls.Config
	if cfg.Listen.RadSec != "" {
		if radsec, err = radiusd.TLSConfig(cfg.RadSec.CertFile, cfg.RadSec.KeyFile, cfg.RadSec.ClientCAFile); err != nil {
			return nil, err
		}
	}
	srv, err := radiusd.New(radiusd.Config{
		AuthAddr: cfg.Listen.Auth, AcctAddr: cfg.Listen.Acct, TCPAddr: cfg.Listen.TCP, TLSAddr: cfg.Listen.RadSec, TLS: radsec,
		Workers: cfg.Server.Workers, QueueSize: cfg.Server.QueueSize, QueueTimeout: cfg.Server.QueueTimeout,
		ReplyCacheTTL: cfg.Server.ReplyCacheTTL, MaxInFlightPerSource: cfg.Server.MaxInFlightPerSource,
	}, clients, &authorize.Authorizer{Limits: limitsService, Cards: cards, Tables: ratingStage.Tables, Log: log, Timeout: cfg.Writer.CommitTimeout,
		FailOpen: cfg.Authorize.OutagePolicy == "open", OutageCreditTime: cfg.Authorize.OutageCreditTime,
		Offers: offers, Routing: routing, RouteState: carriers.State},
		accounting, reg, log)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, srv.Close)
	disconnects, err := disconnect.New(db, disconnect.Config{Port: cfg.Disconnect.Port, PollInterval: cfg.Disconnect.PollInterval,
		Timeout: cfg.Disconnect.Timeout, MaxAttempts: cfg.Disconnect.MaxAttempts, Clients: srv.Clients, Log: log}, reg)
	if err != nil {
		return nil, err
	}
	watches, err := cdrimport.ParseWatches(cfg.Import)
	if err != nil {
		return nil, err
	}
	var importer *cdrimport.Importer
	if len(watches) > 0 {
		// Writers of its own, so imports do not take the Stops' queue; their
		// metrics stay out of /metrics, each file's outcome is logged.
		importer = cdrimport.New(db, limitsService, ratingStage, log)
		cleanup = append(cleanup, importer.Close)
	}
	if cfg.SMTP.Host == "" {
		mailer = nil
		log.Info("smtp.host not set: limit e-mails stay queued in limit_notification")
	}
	webConfig, err := web.ParseConfig(cfg.Listen.Web, cfg.Web)
	if err != nil {
		return nil, err
	}
	var console *web.Server
	if webConfig.Enabled {
		if console, err = web.New(webConfig, db, web.Options{Limits: limitsService, Spool: sp, Clients: web.ConfiguredClients(cfg.Clients), Log: log}); err != nil {
			return nil, err
		}
	}
	in := &instance{db: db, cards: cards, writer: writer, server: srv, accounting: accounting, spool: sp, mailer: mailer, limits: limitsService, rating: ratingStage, carriers: carriers, routing: routing, offers: offers, disconnects: disconnects, reloadEvery: cfg.Rating.ReloadInterval, log: log,
		self: newSelf(cfg.Rating.ReloadInterval, tables.Version), importer: importer, watches: watches, console: console}
	in.report(ctx) // under no lock: nothing else runs yet
	if err := in.serveMetrics(cfg.Listen.Metrics, reg); err != nil {
		return nil, err
	}
	log.Info("radiusd listening", zap.Stringer("auth", srv.AuthAddr()), zap.Stringer("acct", srv.AcctAddr()),
		zap.Stringer("metrics", in.metricsAddr), zap.String("database", cfg.Database.Driver), zap.Int("clients", len(cfg.Clients)))
	return in, nil
}

func (in *instance) serveMetrics(addr string, reg *prometheus.Registry) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen.metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		spooled := ""
		if records, oldest, ok := in.writer.JournalLag(); ok {
			spooled = fmt.Sprintf("; journal: %d records to load, oldest %s", records, oldest.Round(time.Millisecond))
		} else if in.spool != nil {
			records, bytes := in.spool.Depth()
			spooled = fmt.Sprintf("; spool: %d records, %d bytes", records, bytes)
		}
		if err := in.db.Ping(ctx); err != nil {
			http.Error(w, "database unreachable: "+err.Error()+spooled, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok"+spooled)
	})
	// Profiles for diagnosing a live server; the listener is loopback by default.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	in.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	in.metricsAddr = ln.Addr()
	go func() {
		if err := in.metrics.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			in.log.Error("metrics listener failed", zap.Error(err))
		}
	}()
	return nil
}

// run serves until ctx is done, then shuts down without losing a packet
// that was read: queued packets are handled, their batches committed and
// answered, and only then are the sockets and the database closed.
func (in *instance) run(ctx context.Context) {
	go every(ctx, in.reloadEvery, func() { in.pollTariffs(ctx) })
	go every(ctx, time.Minute, func() { in.sweepReservations(ctx) })
	go func() {
		in.foldSummaries(ctx)
		every(ctx, time.Hour, func() { in.foldSummaries(ctx) })
	}()
	go every(ctx, carrierStateInterval, func() { in.refreshCarriers(ctx) })
	go in.disconnects.Run(ctx)
	if in.mailer != nil {
		go in.mailer.Run(ctx)
	}
	var following sync.WaitGroup
	if in.console != nil {
		// Its own listener and goroutines: never on the packet path.
		following.Go(func() {
			if err := in.console.Serve(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				in.log.Error("web console failed", zap.Error(err))
			}
		})
	}
	for _, w := range in.watches {
		following.Go(func() { in.importer.Follow(ctx, w, in.logImport) })
	}
	in.server.Serve(ctx)
	following.Wait()
	if in.importer != nil {
		in.importer.Close()
	}
	in.cards.Close()
	in.writer.Close()
	in.server.Close()
	in.offers.Close()
	if in.spool != nil {
		_ = in.spool.Close()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = in.metrics.Shutdown(shutdownCtx)
	if err := in.db.RemoveInstance(shutdownCtx, in.self.ID); err != nil {
		in.log.Warn("could not remove this server from radiusd_instance", zap.Error(err))
	}
	in.db.Close()
	in.log.Info("radiusd stopped")
}

// logImport logs the outcome of a file a watcher imported.
func (in *instance) logImport(r cdrimport.FileResult, err error) {
	c := r.Counts
	if err != nil {
		in.log.Error("CDR file import failed", zap.String("file", r.Name), zap.Error(err))
		return
	}
	level := in.log.Info
	if c.Rejected > 0 {
		level = in.log.Warn // the rows are in import_reject
	}
	level("CDR file imported", zap.String("file", r.Name), zap.Bool("seen_before", r.Seen), zap.Int64("read", c.Read), zap.Int64("billed", c.Stored),
		zap.Int64("duplicate", c.Duplicate), zap.Int64("skipped", c.Skipped), zap.Int64("rejected", c.Rejected))
}

// every runs fn each interval until ctx is done.
func every(ctx context.Context, interval time.Duration, fn func()) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

// foldSummaries rolls the days before yesterday up into the monthly and
// branch summaries (store.RollUpSummaries) and keeps past periods'
// summaries at one row per group (store.FoldSummaries), so that reports
// read no more rows than they need.
func (in *instance) foldSummaries(ctx context.Context) {
	if mark, days, err := in.db.RollUpSummaries(ctx, time.Now()); err != nil {
		in.log.Warn("rolling the CDR summaries up failed; reports stay right, only slower", zap.Error(err))
	} else if days > 0 {
		in.log.Info("CDR summaries rolled up", zap.Int("days", days), zap.String("rolled_up_to", mark))
	}
	if n, err := in.db.FoldSummaries(ctx, time.Now()); err != nil {
		in.log.Warn("folding the CDR summaries' shards failed; reports stay right, only slower", zap.Error(err))
	} else if n > 0 {
		in.log.Info("CDR summaries of closed periods folded", zap.Int64("rows", n))
	}
}

// sweepReservations releases the credit held by calls whose Stop never came.
// carrierStateInterval is how often the carriers' calls in progress and
// quality figures are read for the route lists.
const carrierStateInterval = 15 * time.Second

func (in *instance) refreshCarriers(ctx context.Context) {
	if err := in.carriers.Refresh(ctx, in.db, in.rating.Tables().Partners, in.routing.QualityWindow); err != nil {
		in.log.Warn("carriers' state not read", zap.Error(err))
	}
}

func (in *instance) sweepReservations(ctx context.Context) {
	if n, err := in.limits.SweepReservations(ctx); err != nil {
		in.log.Warn("reservation sweep failed", zap.Error(err))
	} else if n > 0 {
		in.log.Info("expired reservations released", zap.Int64("reservations", n))
	}
}

// pollTariffs reloads the rating tables whenever tariff_version moves
// (`radbill tariff import`, `tariff reload`, `user create` ... bump it), so
// every server sharing the database follows a change, and reports which
// tables it has in force, which those commands wait for. A version that
// was refused is not tried again until the next one.
func (in *instance) pollTariffs(ctx context.Context) {
	in.reloading.Lock()
	defer in.reloading.Unlock()
	version, err := in.db.TariffVersion(ctx)
	if err == nil && version != in.rating.Tables().Version && version != in.refused {
		in.reload(ctx, version)
	}
	in.report(ctx)
}

// reloadTariffs reloads at once (SIGHUP), whatever the version.
func (in *instance) reloadTariffs(ctx context.Context) {
	in.reloading.Lock()
	defer in.reloading.Unlock()
	version, _ := in.db.TariffVersion(ctx)
	in.reload(ctx, version)
	in.report(ctx)
}

func (in *instance) reload(ctx context.Context, version int64) {
	t, err := in.rating.Reload(ctx, in.db)
	if err != nil {
		in.refused, in.self.ReloadError = version, err.Error()
		in.log.Error("tariff reload refused, the tariffs in force stay", zap.Int64("refused_version", version),
			zap.Int64("version_in_force", in.rating.Tables().Version), zap.String("reason", err.Error()))
		return
	}
	in.refused, in.self.ReloadError = 0, ""
	in.log.Info("tariffs reloaded", zap.Int64("version", t.Version))
}

// newSelf names this process for radiusd_instance.
func newSelf(pollInterval time.Duration, version int64) store.Instance {
	host, _ := os.Hostname()
	started := time.Now()
	return store.Instance{ID: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), started.UnixMilli()), Hostname: host, PID: os.Getpid(),
		StartedAt: started, PollInterval: pollInterval, TablesVersion: version}
}

// report writes this server's row in radiusd_instance.
func (in *instance) report(ctx context.Context) {
	in.self.SeenAt, in.self.TablesVersion = time.Now(), in.rating.Tables().Version
	if err := in.db.ReportInstance(ctx, in.self); err != nil {
		in.log.Warn("could not report this server in radiusd_instance", zap.Error(err))
	}
}

// reloadOnHangup re-reads, on SIGHUP, the tariffs and then the
// configuration's clients and dictionaries; a part that does not load is
// refused and the running one stays.
func reloadOnHangup(ctx context.Context, path string, in *instance, log *zap.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		in.reloadTariffs(ctx)
		if err := in.reloadConfig(path); err != nil {
			log.Error("reload refused, keeping the running clients and dictionaries", zap.Error(err))
		}
	}
}

func (in *instance) reloadConfig(path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	clients, err := radiusd.ParseClients(cfg.Clients)
	if err != nil {
		return err
	}
	names, err := attrnames.Load(cfg.Dictionaries)
	if err != nil {
		return fmt.Errorf("dictionaries: %w", err)
	}
	gatewayZone, _ := time.LoadLocation(cfg.Gateway.TimeZone) // validated by config.Load
	in.server.SetClients(clients)
	in.accounting.SetDecoder(acct.NewDecoder(names, gatewayZone))
	in.log.Info("configuration reloaded", zap.Int("clients", len(cfg.Clients)), zap.String("dictionaries", cfg.Dictionaries))
	return nil
}
