package cdr

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// filled is a Record with every field, nested ones too, set to a random
// value that is not the zero value: a field the codec forgets comes back
// zero and the round trip fails.
func filled(rnd *rand.Rand) *Record {
	var r Record
	fill(reflect.ValueOf(&r).Elem(), rnd)
	return &r
}

func fill(v reflect.Value, rnd *rand.Rand) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Unix(rnd.Int64N(4e9)-1e9, rnd.Int64N(1e9)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		b := make([]byte, 1+rnd.IntN(40))
		for i := range b {
			b[i] = byte(rnd.IntN(256)) // any bytes: a raw value may be invalid UTF-8
		}
		v.SetString(string(b))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int64:
		v.SetInt(rnd.Int64() - rnd.Int64())
		if v.Int() == 0 {
			v.SetInt(-1)
		}
	case reflect.Uint32:
		v.SetUint(uint64(1 + rnd.Uint32N(1<<31)))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), rnd)
	case reflect.Slice:
		n := 1 + rnd.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(v.Index(i), rnd)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), rnd)
		}
	default:
		panic("fill: no value for a field of kind " + v.Kind().String() + ": teach fill and the binary codec about it")
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		want := filled(rnd)
		b, err := want.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !IsBinary(b) {
			t.Fatal("IsBinary does not recognise the binary form")
		}
		var got Record
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("round trip\n got %+v\nwant %+v", got, *want)
		}
	}
	var zero, got Record
	b, _ := zero.AppendBinary(nil)
	if err := got.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(got, zero) {
		t.Fatalf("zero record: %+v, %v", got, err)
	}
}

// TestBinaryRefusesDamage: every cut-off prefix of a record and a record
// with bytes after it are errors, never a panic or a shorter record.
func TestBinaryRefusesDamage(t *testing.T) {
	b, _ := filled(rand.New(rand.NewPCG(3, 4))).AppendBinary(nil)
	for n := range len(b) {
		var r Record
		if err := r.UnmarshalBinary(b[:n]); err == nil {
			t.Fatalf("a record cut off after %d of %d bytes was read", n, len(b))
		}
	}
	var r Record
	if err := r.UnmarshalBinary(append(b, 0)); err == nil {
		t.Fatal("a record with a byte after it was read")
	}
}

// TestJSONIsNotBinary: records the spool holds in JSON, from before the
// binary form, are told apart by their first byte.
func TestJSONIsNotBinary(t *testing.T) {
	j, _ := json.Marshal(filled(rand.New(rand.NewPCG(5, 6))))
	if IsBinary(j) {
		t.Fatal("a JSON record taken for a binary one")
	}
}

func BenchmarkRecordCodec(b *testing.B) {
	rec := benchRecord()
	b.Run("binary", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = rec.AppendBinary(buf[:0])
			var r Record
			if err := r.UnmarshalBinary(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			buf, _ := json.Marshal(rec)
			var r Record
			if err := json.Unmarshal(buf, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchRecord is shaped like a rated Cisco Stop: some thirty attributes.
func benchRecord() *Record {
	at := time.Date(2026, 11, 20, 10, 0, 5, 123_000_000, time.UTC)
	seconds, cost, plan := int64(125), int64(700_000), int64(3)
	r := &Record{ReceivedAt: at, ClientName: "gw-sofia", Status: StatusStop, NASIP: "10.1.2.3", SessionID: "0000ABCD",
		UserName: "2001", CallingNumber: "2001", CalledNumber: "0035988123456", SessionTime: &seconds,
		ConfID: "4F3A2B1C 11223344 55667788 99AABBCC", CallOrigin: "originate", CallType: "VoIP", RemoteAddress: "10.9.9.9",
		SetupTime: &at, ConnectTime: &at, DisconnectTime: &at, DisconnectCause: &seconds,
		AVPairs: []AVPair{{"h323-incoming-conf-id", "4F3A2B1C 11223344 55667788 99AABBCC"}, {"session-protocol", "sipv2"}},
		Rating: Rating{Status: "ok", CallingNorm: "2001", CalledNorm: "35988123456", Direction: "outgoing", Billed: true,
			UserID: 17, DepartmentID: 2, BranchID: 1, PlanID: &plan, Zone: "BG mobile", Prefix: "35988", BilledSeconds: &seconds,
			CostMicros: &cost, Currency: "EUR", Detail: `[{"part":"connect","micros":400000}]`, RatedAt: &at}}
	for i := range 30 {
		r.Raw = append(r.Raw, Attribute{Name: "Cisco-AVPair", Value: "h323-call-origin=originate " + string(rune('a'+i))})
	}
	return r
}

func FuzzUnmarshalBinary(f *testing.F) {
	b, _ := benchRecord().AppendBinary(nil)
	f.Add(b)
	f.Add([]byte{binaryVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if r.UnmarshalBinary(data) != nil {
			return
		}
		again, _ := r.AppendBinary(nil)
		var r2 Record
		if err := r2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("a record read from %x does not survive its own round trip: %v", data, err)
		}
	})
}
