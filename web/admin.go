package web

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
)

// Tariffs is the tariff in force, summarised: its plans, zones and rates.
type Tariffs struct {
	Plans    []rating.Plan
	Zones    int
	Prefixes int
	Rates    []RateInfo
	// Problems are an upload's validation errors (file, line, field); an
	// upload with any applies nothing.
	Problems []string `json:",omitempty"`
}

// RateInfo is a rate with its plan's and zone's names.
type RateInfo struct {
	rating.Rate
	Plan, Zone string
}

// maxRatesShown bounds the rates the tariff page lists.
const maxRatesShown = 500

func (s *Server) tariffs(r *http.Request, _ Principal, _ input) (any, error) {
	data, err := s.db.LoadTariffs(r.Context())
	if err != nil {
		return nil, err
	}
	return summarise(data), nil
}

func summarise(data rating.TariffData) Tariffs {
	plans, zones := map[int64]string{}, map[int64]string{}
	for _, p := range data.Plans {
		plans[p.ID] = p.Name
	}
	for _, z := range data.Zones {
		zones[z.ID] = z.Name
	}
	t := Tariffs{Plans: data.Plans, Zones: len(data.Zones), Prefixes: len(data.Prefixes)}
	for _, rate := range data.Rates[:min(len(data.Rates), maxRatesShown)] {
		t.Rates = append(t.Rates, RateInfo{Rate: rate, Plan: plans[rate.PlanID], Zone: zones[rate.ZoneID]})
	}
	return t
}

// maxUpload bounds a tariff upload (every file together).
const maxUpload = 64 << 20

// uploadTariff replaces the tariff with the uploaded CSV files (the same
// files `radbill tariff import` reads); every problem is reported with
// its file and line, and nothing is applied unless all of it is valid.
func (s *Server) uploadTariff(r *http.Request, _ Principal, _ input) (any, string, error) {
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return nil, "", badRequest(fmt.Errorf("upload: %w", err))
	}
	var files []tariffcsv.File
	for _, fh := range r.MultipartForm.File["files"] {
		f, err := fh.Open()
		if err != nil {
			return nil, "", err
		}
		content, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, "", err
		}
		files = append(files, tariffcsv.File{Name: filepath.Base(fh.Filename), Reader: bytes.NewReader(content)})
	}
	if len(files) == 0 {
		return nil, "", badRequest(errors.New("upload: no files (field \"files\")"))
	}
	var data rating.TariffData
	if err := tariffcsv.ReadAll(&data, files...); err != nil {
		var list *tariffcsv.ErrorList
		if errors.As(err, &list) {
			problems := make([]string, 0, len(list.Errors)+1)
			for _, e := range list.Errors {
				problems = append(problems, e.Error())
			}
			if list.Omitted > 0 {
				problems = append(problems, fmt.Sprintf("… and %d more", list.Omitted))
			}
			return nil, "", uploadProblems(problems)
		}
		return nil, "", badRequest(err)
	}
	if err := s.db.ImportTariffs(r.Context(), data); err != nil {
		return nil, "", uploadProblems([]string{err.Error()})
	}
	stored, err := s.db.LoadTariffs(r.Context())
	return summarise(stored), "/tariffs", err
}

// problemsError is a refused upload with each of its problems.
type problemsError struct{ problems []string }

func (e problemsError) Error() string {
	return fmt.Sprintf("the tariff was not changed: %d problems: %s", len(e.problems), e.problems[0])
}

func uploadProblems(problems []string) error {
	return httpError{http.StatusBadRequest, problemsError{problems}}
}

// Rules is the translation rules and, for the "test a number" box, what
// they make of a number.
type Rules struct {
	Rules []normalize.Rule
	Test  *RuleTest `json:",omitempty"`
}

// RuleTest is a number taken through the rules.
type RuleTest struct {
	Number, Gateway string
	Direction       normalize.Direction
	Steps           []normalize.Step
	Result          string
	OK              bool
}

func (s *Server) rules(r *http.Request, _ Principal, in input) (any, error) {
	rules, err := s.db.LoadTranslationRules(r.Context())
	if err != nil {
		return nil, err
	}
	page := Rules{Rules: rules}
	if number := in.str("number"); number != "" {
		tr, err := normalize.Compile(rules)
		if err != nil {
			return nil, err
		}
		t := RuleTest{Number: number, Gateway: in.str("gateway"), Direction: normalize.Direction(cmp.Or(in.str("direction"), "called"))}
		t.Steps, t.Result, t.OK = tr.Trace(normalize.Gateway{ClientName: t.Gateway, NASIP: t.Gateway, GatewayID: t.Gateway}, t.Direction, number)
		page.Test = &t
	}
	return page, nil
}

func (s *Server) addRule(r *http.Request, _ Principal, in input) (any, string, error) {
	var err error
	rule := normalize.Rule{Gateway: in.str("gateway"), Direction: normalize.Direction(in.str("direction")), Kind: normalize.Kind(cmp.Or(in.str("kind"), "prefix")),
		Match: in.Get("match"), Replace: in.Get("replace"), Final: in.boolean("final"), Description: in.str("description")}
	if rule.Position, err = in.integer("position", 0); err != nil {
		return nil, "", err
	}
	if rule.MinLength, err = in.integer("min_length", 0); err != nil {
		return nil, "", err
	}
	if rule.MaxLength, err = in.integer("max_length", 0); err != nil {
		return nil, "", err
	}
	id, err := s.db.AddTranslationRule(r.Context(), rule)
	return map[string]int64{"id": id}, "/rules", invalid(err)
}

func (s *Server) removeRule(r *http.Request, _ Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/rules", invalid(s.db.RemoveTranslationRule(r.Context(), id))
}

// NASClient is a RADIUS client of the configuration (its secret stays
// there).
type NASClient struct {
	Name, Address string
}

// ConfiguredClients names the clients of the configuration's clients:
// list, without their secrets.
func ConfiguredClients(raw []map[string]any) []NASClient {
	out := make([]NASClient, 0, len(raw))
	for _, c := range raw {
		out = append(out, NASClient{Name: fmt.Sprint(c["name"]), Address: fmt.Sprint(c["address"])})
	}
	return out
}

// Gateways is the gateways' billing policy and the configured NAS clients.
type Gateways struct {
	Gateways []GatewayInfo
	Clients  []NASClient
	Plans    []string     `json:"-"`
	Branches []org.Branch `json:"-"`
}

// GatewayInfo is a gateway's billing policy, named.
type GatewayInfo struct {
	ClientName        string
	Plan              string
	BillVoIPOriginate bool
	BranchID          int64
	Branch            string
}

func (s *Server) gateways(r *http.Request, _ Principal, _ input) (any, error) {
	ctx := r.Context()
	gws, err := s.db.LoadGateways(ctx)
	if err != nil {
		return nil, err
	}
	planNames, err := s.db.PlanNames(ctx)
	if err != nil {
		return nil, err
	}
	branches, err := s.org.Branches(ctx)
	if err != nil {
		return nil, err
	}
	page := Gateways{Clients: s.opts.Clients, Branches: branches}
	plans := map[int64]string{}
	for _, p := range planNames {
		plans[p.ID] = p.Name
		page.Plans = append(page.Plans, p.Name)
	}
	names := map[int64]string{}
	for _, b := range branches {
		names[b.ID] = b.Name
	}
	for _, g := range gws {
		page.Gateways = append(page.Gateways, GatewayInfo{ClientName: g.ClientName, Plan: plans[g.DefaultPlanID.Int64],
			BillVoIPOriginate: g.BillVoIPOriginate, BranchID: g.BranchID.Int64, Branch: names[g.BranchID.Int64]})
	}
	return page, nil
}

func (s *Server) setGateway(r *http.Request, _ Principal, in input) (any, string, error) {
	ctx := r.Context()
	name := r.PathValue("name")
	if err := s.db.SetGateway(ctx, name, in.str("plan"), in.boolean("bill_voip_originate")); err != nil {
		return nil, "", invalid(err)
	}
	branch, err := in.id("branch")
	if err != nil {
		return nil, "", err
	}
	return nil, "/gateways", s.org.SetGatewayBranch(ctx, name, branch)
}

// Console is the console's users and API tokens.
type Console struct {
	Users    []ConsoleUser
	Tokens   []Token
	Branches []org.Branch `json:"-"`
}

func (s *Server) console(r *http.Request, _ Principal, _ input) (any, error) {
	users, err := s.accounts.Users(r.Context())
	if err != nil {
		return nil, err
	}
	tokens, err := s.accounts.Tokens(r.Context())
	if err != nil {
		return nil, err
	}
	branches, err := s.org.Branches(r.Context())
	return Console{Users: users, Tokens: tokens, Branches: branches}, err
}

func (in input) consoleUser() (NewConsoleUser, error) {
	branches, err := in.ids("branch")
	return NewConsoleUser{Username: in.str("username"), Password: in.Get("password"), Role: Role(in.str("role")),
		CanEdit: in.boolean("can_edit"), Language: cmp.Or(in.str("language"), "en"), Branches: branches}, err
}

func (s *Server) createConsoleUser(r *http.Request, _ Principal, in input) (any, string, error) {
	n, err := in.consoleUser()
	if err != nil {
		return nil, "", err
	}
	u, err := s.accounts.CreateUser(r.Context(), n)
	return u, "/console", invalid(err)
}

func (s *Server) updateConsoleUser(r *http.Request, _ Principal, in input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	n, err := in.consoleUser()
	if err != nil {
		return nil, "", err
	}
	return nil, "/console", invalid(s.accounts.UpdateUser(r.Context(), id, n))
}

func (s *Server) setConsolePassword(r *http.Request, _ Principal, in input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/console", invalid(s.accounts.SetPassword(r.Context(), id, in.Get("password")))
}

func (s *Server) deleteConsoleUser(r *http.Request, p Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	if id == p.UserID {
		return nil, "", badRequest(errors.New("you cannot delete yourself"))
	}
	return nil, "/console", s.accounts.DeleteUser(r.Context(), id)
}

func (s *Server) createToken(r *http.Request, p Principal, in input) (any, string, error) {
	user, err := in.id("user")
	if err != nil {
		return nil, "", err
	}
	secret, t, err := s.accounts.CreateToken(r.Context(), cmp.Or(user, p.UserID), in.str("name"), Role(in.str("role")))
	if err != nil {
		return nil, "", invalid(err)
	}
	return shownOnce{Title: t.Name, Secret: secret, Back: "/console",
		API: map[string]any{"token": secret, "id": t.ID, "name": t.Name, "role": t.Role}}, "", nil
}

func (s *Server) revokeToken(r *http.Request, _ Principal, _ input) (any, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, "", err
	}
	return nil, "/console", s.accounts.RevokeToken(r.Context(), id)
}
