// Package cucm decodes the CDR flat files of Cisco Unified Communications
// Manager, as its CDR Repository Manager sends them to a billing server:
// files named cdr_<cluster>_<node>_<UTC yyyymmddhhmm>_<seq>, line 1 the
// field names, line 2 their types, then one record per line, CSV with the
// strings quoted. Columns are found by name: the set differs between
// releases (129, 133 and more fields) and its order is not promised.
//
// Only end-of-call records (cdrRecordType 1) are call legs; call management
// records (CMR, cdrRecordType 2, in cmr_ files) are recognised and skipped.
// Times are UTC epoch seconds, 0 meaning not set (dateTimeConnect 0: the
// call was not answered). IPv4 addresses are signed 32-bit integers whose
// least significant byte is the first octet.
package cucm

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/radbill/radbill/cdr"
)

// Record types of cdrRecordType.
const (
	typeCDR = "1"
	typeCMR = "2"
)

// columns a file of CDRs must have; the others are optional.
var required = []string{"cdrRecordType", "globalCallID_callManagerId", "globalCallID_callId", "origLegCallIdentifier",
	"destLegIdentifier", "dateTimeOrigination", "dateTimeConnect", "dateTimeDisconnect", "duration", "callingPartyNumber",
	"originalCalledPartyNumber", "finalCalledPartyNumber", "origDeviceName", "destDeviceName"}

// Reader reads one CUCM CDR or CMR file.
type Reader struct {
	in      *csv.Reader
	column  map[string]int
	header  []string
	line    int
	cmrOnly bool // a CMR file: every row is skipped
	// Cluster names the cluster when the file has no globalCallId_ClusterID
	// column (from the file name).
	Cluster string
}

// NewReader reads the two header lines of a file. cluster is the cluster
// of the file name, used when rows do not name theirs.
func NewReader(r io.Reader, cluster string) (*Reader, error) {
	in := csv.NewReader(r)
	in.FieldsPerRecord = -1
	in.ReuseRecord = false
	header, err := in.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: the field names: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	if _, err := in.Read(); err != nil {
		return nil, fmt.Errorf("line 2: the field types: %w", err)
	}
	rd := &Reader{in: in, column: make(map[string]int, len(header)), header: header, line: 2, Cluster: cluster}
	for i, name := range header {
		rd.column[strings.TrimSpace(name)] = i
	}
	if _, ok := rd.column["cdrRecordType"]; !ok {
		return nil, errors.New("line 1: no cdrRecordType column: not a CUCM CDR file")
	}
	var missing []string
	for _, name := range required {
		if _, ok := rd.column[name]; !ok {
			missing = append(missing, name)
		}
	}
	switch {
	case len(missing) > 0 && rd.hasCMRColumns():
		rd.cmrOnly = true
	case len(missing) > 0:
		return nil, fmt.Errorf("line 1: missing the columns %s", strings.Join(missing, ", "))
	}
	return rd, nil
}

func (r *Reader) hasCMRColumns() bool {
	_, ok := r.column["numberPacketsSent"]
	return ok
}

// ClusterOfFileName is the cluster of a file named cdr_<cluster>_<node>_...
// or cmr_...; "" for other names.
func ClusterOfFileName(name string) string {
	parts := strings.Split(name, "_")
	if len(parts) < 5 || (parts[0] != "cdr" && parts[0] != "cmr") {
		return ""
	}
	return strings.Join(parts[1:len(parts)-3], "_")
}

// Row is one record of the file as read.
type Row struct {
	Line   int
	Fields []string
}

// Next returns the next row; io.EOF after the last. A row that is not CSV
// is an error naming its line; reading goes on after it.
func (r *Reader) Next() (Row, error) {
	fields, err := r.in.Read()
	r.line++
	if err != nil {
		var parse *csv.ParseError
		if errors.As(err, &parse) {
			r.line = parse.Line
			return Row{Line: parse.Line}, fmt.Errorf("line %d: %v", parse.Line, parse.Err)
		}
		return Row{}, err
	}
	line, _ := r.in.FieldPos(0)
	r.line = line
	return Row{Line: line, Fields: fields}, nil
}

// ErrSkipped marks a row that is not a call leg (a CMR).
var ErrSkipped = errors.New("not an end-of-call record")

// Decoder makes call legs of rows.
type Decoder struct {
	// IsTrunk tells the gateways and trunks (devices with a gateway row):
	// a call to one is outgoing, from one incoming; a call between phones
	// is internal, stored but not billed.
	IsTrunk func(device string) bool
	// Now stamps ReceivedAt.
	Now func() time.Time
}

// Decode makes the call leg of a row, or returns ErrSkipped for a row that
// is not one, or an error saying why the row cannot be a leg.
func (d Decoder) Decode(r *Reader, row Row) (*cdr.Record, error) {
	if r.cmrOnly {
		return nil, ErrSkipped
	}
	if len(row.Fields) != len(r.header) {
		return nil, fmt.Errorf("line %d: %d fields, the header has %d", row.Line, len(row.Fields), len(r.header))
	}
	get := func(name string) string {
		if i, ok := r.column[name]; ok {
			return strings.TrimSpace(row.Fields[i])
		}
		return ""
	}
	switch get("cdrRecordType") {
	case typeCDR:
	case typeCMR, "0": // 0: a start record, which CUCM writes only when asked to
		return nil, ErrSkipped
	default:
		return nil, fmt.Errorf("line %d: cdrRecordType %q: want 1 (end of call) or 2 (CMR)", row.Line, get("cdrRecordType"))
	}
	cluster := get("globalCallId_ClusterID")
	if cluster == "" {
		cluster = r.Cluster
	}
	var key []string
	for _, name := range []string{"globalCallID_callManagerId", "globalCallID_callId", "origLegCallIdentifier", "destLegIdentifier"} {
		v := get(name)
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fmt.Errorf("line %d: %s %q is not a number", row.Line, name, v)
		}
		key = append(key, v)
	}
	rec := &cdr.Record{Source: cdr.SourceCUCM, SourceKey: cluster + "/" + strings.Join(key, "/"), Status: cdr.StatusStop,
		ReceivedAt: d.Now(), NASIdentifier: cluster, SessionID: strings.Join(key[1:], "/"),
		CallingNumber: get("callingPartyNumber"), CalledNumber: get("finalCalledPartyNumber"),
		Rating: cdr.Rating{Status: "unrated"}}
	if rec.CalledNumber == "" {
		rec.CalledNumber = get("originalCalledPartyNumber")
	}
	rec.SetupTime = epoch(rec, "dateTimeOrigination", get("dateTimeOrigination"))
	rec.ConnectTime = epoch(rec, "dateTimeConnect", get("dateTimeConnect"))
	rec.DisconnectTime = epoch(rec, "dateTimeDisconnect", get("dateTimeDisconnect"))
	if n, err := strconv.ParseInt(get("duration"), 10, 64); err == nil && n >= 0 {
		rec.SessionTime = &n
	} else {
		rec.AddParseError("duration")
	}
	rec.DisconnectCause = cause(get("origCause_value"), get("destCause_value"))

	origDevice, destDevice := get("origDeviceName"), get("destDeviceName")
	origIP, destIP := ip(rec, "origIpAddr", get("origIpAddr")), ip(rec, "destIpAddr", get("destIpAddr"))
	switch {
	case d.IsTrunk(destDevice):
		rec.CallOrigin, rec.CallType, rec.ClientName, rec.NASIP, rec.RemoteAddress = "originate", "Telephony", destDevice, destIP, origIP
	case d.IsTrunk(origDevice):
		rec.CallOrigin, rec.CallType, rec.ClientName, rec.NASIP, rec.RemoteAddress = "answer", "Telephony", origDevice, origIP, destIP
	default:
		rec.CallOrigin, rec.CallType, rec.ClientName, rec.NASIP, rec.RemoteAddress = "originate", "Internal", cluster, origIP, destIP
	}
	rec.GatewayID = rec.ClientName
	for i, name := range r.header {
		if v := strings.TrimSpace(row.Fields[i]); v != "" && v != "0" {
			rec.Raw = append(rec.Raw, cdr.Attribute{Name: name, Value: cdr.RawValue(v)})
		}
	}
	return rec, nil
}

// epoch reads a UTC epoch-seconds time; 0 is not set.
func epoch(rec *cdr.Record, name, v string) *time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil || n < 0:
		rec.AddParseError(name)
		return nil
	case n == 0:
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

// ip decodes CUCM's IPv4 integer: signed 32 bits, the first octet in the
// least significant byte; 0 is none.
func ip(rec *cdr.Record, name, v string) string {
	if v == "" {
		return ""
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < -1<<31 || n >= 1<<32 {
		rec.AddParseError(name)
		return ""
	}
	if n == 0 {
		return ""
	}
	u := uint32(n)
	return netip.AddrFrom4([4]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}).String()
}

// cause is the Q.850 cause the call ended with: the originating side's,
// else the destination's (CUCM may carry other bits above the 7-bit cause).
func cause(values ...string) *int64 {
	for _, v := range values {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n <= 127 {
			return &n
		}
	}
	return nil
}
