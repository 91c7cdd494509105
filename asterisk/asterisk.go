// Package asterisk decodes Asterisk's call detail records: the lines of
// cdr_csv's Master.csv (no header; 16 columns by default, 18 with
// loguniqueid and loguserfield — the sample cdr.conf's setting — and 21
// with newcdrcolumns) and the rows of cdr_adaptive_odbc's or cdr_mysql's
// `cdr` table.
package asterisk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/radbill/radbill/cdr"
)

// The Master.csv column sets, by count.
var (
	columns16 = []string{"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
		"start", "answer", "end", "duration", "billsec", "disposition", "amaflags"}
	columns18 = append(slices.Clone(columns16), "uniqueid", "userfield")
	columns21 = append(slices.Clone(columns18), "peeraccount", "linkedid", "sequence")
)

// Profile is the column list of a Master.csv.
type Profile []string

// ProfileFor returns the usual column set with n columns (16, 18 or 21).
func ProfileFor(n int) (Profile, bool) {
	switch n {
	case 16:
		return columns16, true
	case 18:
		return columns18, true
	case 21:
		return columns21, true
	}
	return nil, false
}

// ParseProfile reads a --columns list ("accountcode,src,dst,..."): it must
// name at least src, dst, start, answer, billsec and disposition.
func ParseProfile(list string) (Profile, error) {
	var p Profile
	for _, c := range strings.Split(list, ",") {
		p = append(p, strings.ToLower(strings.TrimSpace(c)))
	}
	for _, need := range []string{"src", "dst", "start", "answer", "billsec", "disposition"} {
		if !slices.Contains(p, need) {
			return nil, fmt.Errorf("--columns lacks %s", need)
		}
	}
	return p, nil
}

// Decoder makes call legs of Asterisk CDRs.
type Decoder struct {
	// IsTrunk tells the peers that are trunks (those with a gateway row,
	// by the name in SIP/<name>-0000001a): a call to one is outgoing, from
	// one incoming; others are internal, stored but not billed.
	IsTrunk func(peer string) bool
	// Location reads the times (the server's zone; UTC with usegmtime).
	Location *time.Location
	Now      func() time.Time
}

// DecodeLine makes the leg of one Master.csv line; raw is the line itself.
func (d Decoder) DecodeLine(p Profile, fields []string, raw string) (*cdr.Record, error) {
	if len(fields) != len(p) {
		return nil, fmt.Errorf("%d fields, the profile has %d (give --columns for another layout)", len(fields), len(p))
	}
	get := func(name string) string {
		if i := slices.Index(p, name); i >= 0 {
			return fields[i]
		}
		return ""
	}
	rec := d.record(cdr.SourceAsteriskCSV, get)
	start, err := d.localTime(get("start"))
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	rec.SetupTime = &start
	if answer := get("answer"); answer != "" {
		t, err := d.localTime(answer)
		if err != nil {
			return nil, fmt.Errorf("answer: %w", err)
		}
		rec.ConnectTime = &t
	}
	if end := get("end"); end != "" {
		if t, err := d.localTime(end); err == nil {
			rec.DisconnectTime = &t
		} else {
			rec.AddParseError("end")
		}
	}
	rec.SourceKey = key(get("uniqueid"), get("sequence"), raw)
	for i, name := range p {
		if fields[i] != "" {
			rec.Raw = append(rec.Raw, cdr.Attribute{Name: name, Value: cdr.RawValue(fields[i])})
		}
	}
	return rec, billsec(rec, get("billsec"))
}

// Row is a row of the cdr table.
type Row struct {
	CallDate                           time.Time
	Clid, Src, Dst, DContext           string
	Channel, DstChannel, LastApp       string
	LastData, Disposition, AccountCode string
	UniqueID, UserField, Sequence      string
	Duration, BillSec                  int64
}

// DecodeRow makes the leg of a cdr table row. The table keeps the call's
// start (calldate), its duration and the seconds billed after the answer.
func (d Decoder) DecodeRow(r Row) (*cdr.Record, error) {
	fields := map[string]string{"clid": r.Clid, "src": r.Src, "dst": r.Dst, "dcontext": r.DContext, "channel": r.Channel,
		"dstchannel": r.DstChannel, "lastapp": r.LastApp, "lastdata": r.LastData, "disposition": r.Disposition,
		"accountcode": r.AccountCode, "uniqueid": r.UniqueID, "userfield": r.UserField, "sequence": r.Sequence}
	rec := d.record(cdr.SourceAsteriskDB, func(name string) string { return fields[name] })
	start := r.CallDate.UTC()
	rec.SetupTime = &start
	end := start.Add(time.Duration(r.Duration) * time.Second)
	rec.DisconnectTime = &end
	if r.BillSec > 0 || strings.EqualFold(r.Disposition, "ANSWERED") {
		connect := end.Add(-time.Duration(r.BillSec) * time.Second)
		rec.ConnectTime = &connect
	}
	billed := r.BillSec
	rec.SessionTime = &billed
	line := strings.Join([]string{start.Format(time.RFC3339), r.Src, r.Dst, r.Channel, r.DstChannel, r.UniqueID, r.Sequence}, ",")
	rec.SourceKey = key(r.UniqueID, r.Sequence, line)
	for _, name := range []string{"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "disposition", "uniqueid", "userfield"} {
		if v := fields[name]; v != "" {
			rec.Raw = append(rec.Raw, cdr.Attribute{Name: name, Value: cdr.RawValue(v)})
		}
	}
	rec.Raw = append(rec.Raw, cdr.Attribute{Name: "calldate", Value: start.Format(time.DateTime)},
		cdr.Attribute{Name: "duration", Value: strconv.FormatInt(r.Duration, 10)}, cdr.Attribute{Name: "billsec", Value: strconv.FormatInt(r.BillSec, 10)})
	return rec, nil
}

// record fills what both forms share: numbers, channels, direction, cause.
func (d Decoder) record(source string, get func(string) string) *cdr.Record {
	rec := &cdr.Record{Source: source, Status: cdr.StatusStop, ReceivedAt: d.Now(), CallingNumber: get("src"), CalledNumber: get("dst"),
		NASIdentifier: get("dcontext"), SessionID: get("uniqueid"), UserName: get("accountcode"), Rating: cdr.Rating{Status: "unrated"}}
	from, to := Peer(get("channel")), Peer(get("dstchannel"))
	switch {
	case to != "" && d.IsTrunk(to):
		rec.CallOrigin, rec.CallType, rec.ClientName = "originate", "Telephony", to
	case from != "" && d.IsTrunk(from):
		rec.CallOrigin, rec.CallType, rec.ClientName = "answer", "Telephony", from
	default:
		rec.CallOrigin, rec.CallType, rec.ClientName = "originate", "Internal", "asterisk"
	}
	rec.GatewayID, rec.RemoteAddress = rec.ClientName, get("dstchannel")
	rec.DisconnectCause = dispositionCause(get("disposition"))
	return rec
}

// Peer is the endpoint of a channel name: "SIP/trunk-0000001a" → "trunk",
// "PJSIP/provider-00000002" → "provider", "DAHDI/1-1" → "1".
func Peer(channel string) string {
	_, rest, ok := strings.Cut(channel, "/")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(rest, "-"); i > 0 {
		rest = rest[:i]
	}
	return rest
}

// dispositionCause maps a disposition to the Q.850 cause it stands for.
func dispositionCause(disposition string) *int64 {
	causes := map[string]int64{"ANSWERED": 16, "BUSY": 17, "NO ANSWER": 19, "FAILED": 41, "CONGESTION": 34}
	if c, ok := causes[strings.ToUpper(strings.TrimSpace(disposition))]; ok {
		return &c
	}
	return nil
}

func (d Decoder) localTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(s), d.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time like 2006-01-02 15:04:05", s)
	}
	return t.UTC(), nil
}

func billsec(rec *cdr.Record, v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("billsec %q is not a number of seconds", v)
	}
	rec.SessionTime = &n
	return nil
}

// key identifies a CDR: its uniqueid (with the sequence when there is one),
// else a hash of the whole line.
func key(uniqueID, sequence, line string) string {
	switch {
	case uniqueID != "" && sequence != "":
		return uniqueID + "/" + sequence
	case uniqueID != "":
		return uniqueID
	}
	sum := sha256.Sum256([]byte(line))
	return "line:" + hex.EncodeToString(sum[:16])
}
