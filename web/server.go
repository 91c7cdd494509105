// Package web serves the web console and the admin API (/api/v1) on
// listen.web, in a process of its own (`radbill web serve`) or inside
// radiusd (web.enabled), never on the packet path. Both read and change
// the database through the same packages the CLI uses, so every change is
// in history whatever door it came through.
//
// Every route names the permission it needs (routes.go); a request gets
// there through one chain: security headers, the principal (a session
// cookie, or for the API a bearer token), the CSRF token on every change
// made with a cookie, the permission, and the actor history records.
// Branch managers' reads are narrowed to their branches in the queries.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/locale"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/spool"
	"github.com/radbill/radbill/store"
)

// Options are the parts a server shares with its process.
type Options struct {
	Limits *limits.Service
	// Spool, when the console runs inside radiusd, gives the dashboard its
	// depth; SpoolDir is read otherwise ("" for none).
	Spool    *spool.Spool
	SpoolDir string
	// Clients are the configured NAS clients, shown on the gateways page.
	Clients []NASClient
	Log     *zap.Logger
	// BcryptCost of console passwords (0: bcrypt's default); tests lower it.
	BcryptCost int
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
}

// Server is the console and the API.
type Server struct {
	cfg      Config
	db       *store.DB
	opts     Options
	accounts *Accounts
	limits   *limits.Service
	org      *org.Service
	catalog  *locale.Catalog
	pages    map[string]*template.Template
	log      *zap.Logger
	logins   *addressLimiter
	now      func() time.Time
}

// New returns a server on db.
func New(cfg Config, db *store.DB, opts Options) (*Server, error) {
	cat, err := locale.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, opts: opts, limits: opts.Limits, org: org.New(db), catalog: cat,
		log: opts.Log, logins: newAddressLimiter(rate.Every(6*time.Second), 10), now: opts.Now}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limits == nil {
		s.limits = limits.New(db, limits.Options{})
	}
	s.accounts = NewAccounts(db, cfg, opts.BcryptCost)
	s.accounts.now = s.now
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Accounts are the server's console users, sessions and tokens.
func (s *Server) Accounts() *Accounts { return s.accounts }

// Serve serves until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	srv := &http.Server{Addr: s.cfg.Listen, Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen.web: %w", err)
	}
	s.log.Info("web console listening", zap.String("address", ln.Addr().String()), zap.Bool("tls", s.cfg.TLS()))
	done := make(chan error, 1)
	go func() {
		if s.cfg.TLS() {
			done <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// Handler is the console and the API with their middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", assetHandler())
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.db.Ping(r.Context()); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.guard(rt))
	}
	return securityHeaders(mux)
}

// handler serves one route for an authenticated, permitted principal; an
// error it returns becomes the response (see respondError).
type handler func(w http.ResponseWriter, r *http.Request, p Principal) error

// route is one endpoint or page and the permission it needs.
type route struct {
	method, pattern string
	perm            Permission
	api             bool
	serve           handler
}

const sessionCookie = "radbill_session"

// guard runs a route's checks in order, then the route.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store") // pages and answers carry money and personal data
		p, secret, err := s.principal(r, rt.api)
		if err != nil {
			if rt.api {
				writeJSONError(w, http.StatusUnauthorized, "log in, or send Authorization: Bearer <API token>")
			} else {
				http.Redirect(w, r, "/login?next="+urlPath(r), http.StatusSeeOther)
			}
			return
		}
		actor := history.Actor{Name: p.Actor(), Address: clientAddress(r), Reason: r.Header.Get("X-Reason")}
		if !safeMethod(r.Method) {
			// Bounded before the CSRF check below reads a form's body.
			limit := int64(maxBody)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = maxUpload
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if secret != "" && !safeMethod(r.Method) {
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf_token")
			}
			if !sameToken(token, p.CSRF) {
				_ = history.Audit(r.Context(), s.db, actor, "csrf_refused", r.Method+" "+r.URL.Path)
				s.respond(w, r, rt, p, forbidden("the form's CSRF token is missing or stale: reload the page"))
				return
			}
		}
		if !p.Can(rt.perm) {
			_ = history.Audit(r.Context(), s.db, actor, "denied", fmt.Sprintf("%s %s needs %s", r.Method, r.URL.Path, rt.perm))
			s.respond(w, r, rt, p, forbidden("your role ("+string(p.Role)+") may not do this"))
			return
		}
		if actor.Reason == "" {
			actor.Reason = r.PostFormValue("reason")
		}
		r = r.WithContext(history.WithActor(r.Context(), actor))
		if err := rt.serve(w, r, p); err != nil {
			s.respond(w, r, rt, p, err)
		}
	})
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

func urlPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/") && !strings.HasPrefix(r.URL.Path, "//") {
		return r.URL.Path
	}
	return "/"
}

// principal finds who r is from: the session cookie, or on the API a
// bearer token. secret is the session's, "" for a token.
func (s *Server) principal(r *http.Request, api bool) (Principal, string, error) {
	if auth := r.Header.Get("Authorization"); api && strings.HasPrefix(auth, "Bearer ") {
		p, err := s.accounts.TokenPrincipal(r.Context(), strings.TrimPrefix(auth, "Bearer "))
		return p, "", err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return Principal{}, "", ErrNoSession
	}
	p, err := s.accounts.Session(r.Context(), c.Value)
	return p, c.Value, err
}

// clientAddress is the peer's address. X-Forwarded-For is not believed:
// the console is meant for loopback or a proxy the operator configures.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// httpError is an error with the status it answers with.
type httpError struct {
	status int
	err    error
}

func (e httpError) Error() string { return e.err.Error() }
func (e httpError) Unwrap() error { return e.err }

func badRequest(err error) error { return httpError{http.StatusBadRequest, err} }
func forbidden(msg string) error { return httpError{http.StatusForbidden, errors.New(msg)} }
func notFound(what string) error {
	return httpError{http.StatusNotFound, errors.New(what + ": not found")}
}

// status is the HTTP status of err: its own, 404 for what is not found, 409
// for conflicts, 400 for the rest of what a request got wrong; 500 only
// for the database's and the server's own failures.
func status(err error) int {
	var he httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, limits.ErrNotFound), errors.Is(err, org.ErrNotFound), errors.Is(err, ErrNotFound),
		errors.Is(err, history.ErrNoVersion), errors.Is(err, history.ErrUnknownEntity):
		return http.StatusNotFound
	case errors.Is(err, limits.ErrExists), errors.Is(err, org.ErrExists), errors.Is(err, org.ErrInUse),
		errors.Is(err, history.ErrConflict), errors.Is(err, history.ErrState):
		return http.StatusConflict
	case errors.Is(err, context.Canceled):
		return 499
	case isValidation(err):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// validationError marks an error in what was asked rather than in the
// server.
type validationError struct{ error }

func (v validationError) Unwrap() error { return v.error }

func invalid(err error) error {
	if err == nil {
		return nil
	}
	return validationError{err}
}

func isValidation(err error) bool {
	var v validationError
	return errors.As(err, &v)
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, rt route, p Principal, err error) {
	code := status(err)
	if code >= 500 {
		s.log.Error("web request failed", zap.String("path", r.URL.Path), zap.Error(err))
	}
	if rt.api {
		msg := err.Error()
		if code >= 500 {
			msg = "internal error; the server's log says more"
		}
		var pe problemsError
		if errors.As(err, &pe) {
			writeJSON(w, code, map[string]any{"error": msg, "problems": pe.problems})
			return
		}
		writeJSONError(w, code, msg)
		return
	}
	s.renderError(w, r, p, code, err)
}

// addressLimiter spaces login attempts per client address.
type addressLimiter struct {
	mu       sync.Mutex
	every    rate.Limit
	burst    int
	limiters map[string]*rate.Limiter
}

func newAddressLimiter(every rate.Limit, burst int) *addressLimiter {
	return &addressLimiter{every: every, burst: burst, limiters: map[string]*rate.Limiter{}}
}

func (l *addressLimiter) allow(address string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.limiters) > 10_000 { // forget them all rather than grow without end
		clear(l.limiters)
	}
	lim := l.limiters[address]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.limiters[address] = lim
	}
	return lim.Allow()
}

// securityHeaders: no inline script or style anywhere (htmx is configured
// not to insert its own), no framing, no sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
