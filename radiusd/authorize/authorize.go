// Package authorize answers Access-Requests for the Cisco debit-card flow
// (Cisco's "RADIUS VSA Voice Implementation Guide"; tcl/README.md for the
// gateway's side) and for enterprise users:
//
//   - stage 1, account authentication: User-Name is the account number,
//     User-Password (PAP) the PIN → Access-Accept with h323-return-code=0,
//     h323-credit-amount (the available balance), h323-currency,
//     h323-billing-model=1 (debit) and h323-preferred-lang, or Access-Reject
//     with the return code;
//   - stage 2, call authorization: the same with Called-Station-Id → the
//     destination is translated and rated, the seconds the available credit
//     buys are reserved under the call's h323-conf-id, and the Accept carries
//     h323-credit-time;
//   - an enterprise user's call: no password, the Calling-Station-Id is one
//     of the user's numbers → Accept per the user's limit type (normal: with
//     h323-credit-time from what is left of the period's limit), or Reject.
//
// The money decisions are limits.Service's, made in the database, so several
// radiusd behave as one. When the database does not answer, the outage
// policy decides: fail closed (the default) rejects with h323-return-code 8,
// service not available; fail open accepts a known card (one in the rating
// tables, so known before the outage — its PIN cannot be checked) or a known
// user's number with OutageCreditTime, logged; their Stops are spooled with
// the other accounting and debited when replayed, which reconciles them.
// The PIN comes as User-Password (PAP) or CHAP-Password. CHAP needs the
// clear PIN on the server: it works for cards whose PIN is sealed under the
// PIN key (authorize.pin_key_file), and is refused as a wrong PIN for the
// others.
package authorize

import (
	"context"
	"crypto/md5"
	"errors"
	"strconv"
	"time"

	"go.uber.org/zap"
	"layeh.com/radius"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/radiusd"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/route"
)

const (
	attrUserName         = 1
	attrUserPassword     = 2
	attrCHAPPassword     = 3
	attrVendorSpecific   = 26
	attrCalledStationID  = 30
	attrCallingStationID = 31
	attrCHAPChallenge    = 60
)

// Authorizer serves the authentication listener.
type Authorizer struct {
	Limits *limits.Service
	// Cards decides the cards' calls (stage 2) in shared transactions.
	Cards *limits.CardBatcher
	// Tables gives the rating tables in force (translation and tariffs).
	Tables func() *billing.Tables
	Log    *zap.Logger
	// Timeout bounds the database work of one request.
	Timeout time.Duration
	// FailOpen and OutageCreditTime are the outage policy (see above).
	FailOpen         bool
	OutageCreditTime time.Duration
	// Offers keeps the route lists given (clearinghouse); Routing ranks
	// them with the carriers' state RouteState returns.
	Offers     *partner.OfferLog
	Routing    route.Config
	RouteState func() partner.State
}

func (a *Authorizer) ServeRADIUS(w radiusd.ResponseWriter, r *radiusd.Request) {
	ctx, cancel := context.WithTimeout(context.Background(), a.Timeout)
	defer cancel()
	a.answer(ctx, r, func(reply answer, err error) { a.send(w, r, reply, err) })
}

// send replies with reply, or per the outage policy when err says the
// database did not answer.
func (a *Authorizer) send(w radiusd.ResponseWriter, r *radiusd.Request, reply answer, err error) {
	if err != nil {
		reply = a.duringOutage(r, err)
	}
	resp := r.Response(reply.code)
	for _, v := range reply.vsas {
		vsa, err := cisco.NewVSA(v.attr, v.value)
		if err != nil {
			a.Log.Error("reply attribute not encodable", zap.Error(err))
			continue
		}
		resp.Add(attrVendorSpecific, vsa)
	}
	w.Reply(resp)
}

// duringOutage answers when the database could not: see the package
// documentation for the policy.
func (a *Authorizer) duringOutage(r *radiusd.Request, cause error) answer {
	account, calling := string(r.Get(attrUserName)), string(r.Get(attrCallingStationID))
	tables := a.Tables()
	_, knownCard := tables.Owners.Cards[account]
	_, knownUser := tables.Owners.UserNumbers[calling]
	if !a.FailOpen || !(knownCard || knownUser) {
		a.Log.Warn("authorization failed, rejecting (service not available)", zap.String("client", r.Client.Name), zap.Error(cause))
		return reject(limits.CodeServiceNotAvailable)
	}
	a.Log.Warn("database unavailable: accepting a known account (fail open)", zap.String("account", account),
		zap.String("calling", calling), zap.Duration("credit", a.OutageCreditTime), zap.Error(cause))
	return answer{code: radius.CodeAccessAccept, vsas: []vsa{{cisco.AttrReturnCode, "0"},
		{cisco.AttrCreditTime, strconv.FormatInt(int64(a.OutageCreditTime/time.Second), 10)}}}
}

type vsa struct {
	attr  byte
	value string
}

type answer struct {
	code radius.Code
	vsas []vsa
}

func reject(code limits.ReturnCode) answer {
	return answer{code: radius.CodeAccessReject, vsas: []vsa{{cisco.AttrReturnCode, strconv.Itoa(int(code))}}}
}

// answer decides r and gives the answer to respond, at once or, for a
// card's call, when its batch has committed.
func (a *Authorizer) answer(ctx context.Context, r *radiusd.Request, respond func(answer, error)) {
	account := string(r.Get(attrUserName))
	called := string(r.Get(attrCalledStationID))
	calling := string(r.Get(attrCallingStationID))
	tables := a.Tables()
	gw := normalize.Gateway{ClientName: r.Client.Name, NASIP: r.Source.Addr().String()}
	request := limits.CallRequest{ConfID: confID(r.Packet), Direction: rating.Outgoing}
	if called != "" {
		number, _, ok := tables.Translator.Translate(gw, normalize.Called, called)
		if !ok {
			respond(reject(limits.CodeNumberBlocked), nil)
			return
		}
		request.Called = number
	}
	proof, hasProof, err := pinProof(r)
	if !hasProof && request.Called != "" {
		if origin := originPartner(r, tables); origin != nil {
			respond(a.partnerCall(ctx, origin, request, tables))
			return
		}
	}
	switch {
	case !hasProof:
		normalised, _, _ := tables.Translator.Translate(gw, normalize.Calling, calling)
		respond(a.user(ctx, []string{normalised, calling}, request, tables))
	case err != nil:
		respond(reject(limits.CodeInvalidPIN), nil)
	case request.Called == "":
		respond(a.cardAccount(ctx, account, proof))
	default:
		a.cardCall(ctx, account, proof, request, tables, respond)
	}
}

// pinProof reads the card's PIN proof: User-Password (PAP) or
// CHAP-Password with CHAP-Challenge or, without one, the Request
// Authenticator as challenge (RFC 2865 §2.2). hasProof is false when the
// request has neither, as an enterprise user's call has.
func pinProof(r *radiusd.Request) (proof limits.Proof, hasProof bool, err error) {
	if chap := r.Get(attrCHAPPassword); chap != nil {
		if len(chap) != 17 {
			return proof, true, errors.New("CHAP-Password is not 17 bytes")
		}
		challenge := r.Get(attrCHAPChallenge)
		if challenge == nil {
			challenge = r.Authenticator[:]
		}
		return limits.Proof{CHAP: &limits.CHAPResponse{ID: chap[0], Response: chap[1:], Challenge: challenge}}, true, nil
	}
	if encrypted := r.Get(attrUserPassword); encrypted != nil {
		pin, err := papPassword(encrypted, r.Secret, r.Authenticator)
		return limits.PAP(pin), true, err
	}
	return proof, false, nil
}

// cardAccount answers stage 1: the card's PIN and state.
func (a *Authorizer) cardAccount(ctx context.Context, account string, proof limits.Proof) (answer, error) {
	auth, err := a.Limits.Authenticate(ctx, account, proof)
	if err != nil {
		return answer{}, err
	}
	if auth.ReturnCode != limits.CodeSuccess {
		return reject(auth.ReturnCode), nil
	}
	card := auth.Account
	return answer{code: radius.CodeAccessAccept, vsas: []vsa{
		{cisco.AttrReturnCode, "0"},
		{cisco.AttrCreditAmount, card.Available().Format(2)},
		{cisco.AttrCurrency, card.Currency},
		{cisco.AttrBillingModel, "1"},
		{cisco.AttrPreferredLang, card.Language},
	}}, nil
}

// cardCall answers stage 2: the PIN is checked here, the call is decided
// in a batch with other cards' calls.
func (a *Authorizer) cardCall(ctx context.Context, account string, proof limits.Proof, request limits.CallRequest, tables *billing.Tables, respond func(answer, error)) {
	if request.ConfID == "" {
		respond(reject(limits.CodeInvalidArgument), nil)
		return
	}
	pinHash, code, err := a.Limits.CheckPIN(ctx, account, proof)
	switch {
	case err != nil:
		respond(answer{}, err)
	case code != limits.CodeSuccess:
		respond(reject(code), nil)
	default:
		a.Cards.Submit(limits.CardCall{Number: account, PINHash: pinHash, Call: request, Tariff: tables.Tariffs},
			func(granted limits.Authorization, err error) {
				reply := grant(granted)
				if err == nil && granted.ReturnCode == limits.CodeSuccess {
					a.addRoutes(&reply, nil, request, tables, 0, granted.CreditSeconds)
				}
				respond(reply, err)
			})
	}
}

func (a *Authorizer) user(ctx context.Context, numbers []string, request limits.CallRequest, tables *billing.Tables) (answer, error) {
	if request.Called == "" || request.ConfID == "" {
		return reject(limits.CodeInvalidArgument), nil
	}
	var err error
	for _, number := range numbers {
		var granted limits.Authorization
		granted, err = a.Limits.AuthorizeUser(ctx, number, request, tables.Tariffs)
		if err == nil {
			return grant(granted), nil
		}
		if !errors.Is(err, limits.ErrNotFound) {
			return answer{}, err
		}
	}
	return reject(limits.CodeInvalidAccount), nil
}

func grant(g limits.Authorization) answer {
	if g.ReturnCode != limits.CodeSuccess {
		return reject(g.ReturnCode)
	}
	vsas := []vsa{{cisco.AttrReturnCode, "0"}, {cisco.AttrCurrency, g.Currency}}
	if !g.Unlimited {
		vsas = append(vsas, vsa{cisco.AttrCreditTime, strconv.FormatInt(g.CreditSeconds, 10)},
			vsa{cisco.AttrCreditAmount, g.Available.Format(2)})
	}
	return answer{code: radius.CodeAccessAccept, vsas: vsas}
}

// confID is the call's canonical h323-conf-id, the key of its reservation
// and of the Stop that settles it.
func confID(p *radius.Packet) string {
	var buf [4]cisco.SubAttribute
	for _, attr := range p.Attributes {
		if attr.Type != attrVendorSpecific {
			continue
		}
		vendor, subs, err := cisco.ParseVendorSpecific(buf[:0], attr.Attribute)
		if err != nil || vendor != cisco.VendorID {
			continue
		}
		for _, s := range subs {
			if s.Type == cisco.AttrConfID {
				id, _ := cisco.NormalizeConfID(cisco.StripName(cisco.AttrName(s.Type), string(s.Value)))
				return id
			}
		}
	}
	return ""
}

// papPassword decrypts a User-Password (RFC 2865 §5.2).
func papPassword(encrypted, secret []byte, authenticator [16]byte) (string, error) {
	if len(encrypted) < 16 || len(encrypted) > 128 || len(encrypted)%16 != 0 {
		return "", errors.New("User-Password length not a multiple of 16 up to 128")
	}
	plain := make([]byte, len(encrypted))
	previous := authenticator[:]
	for i := 0; i < len(encrypted); i += 16 {
		h := md5.New()
		h.Write(secret)
		h.Write(previous)
		sum := h.Sum(nil)
		for j := range 16 {
			plain[i+j] = encrypted[i+j] ^ sum[j]
		}
		previous = encrypted[i : i+16]
	}
	end := len(plain)
	for end > 0 && plain[end-1] == 0 {
		end--
	}
	return string(plain[:end]), nil
}
