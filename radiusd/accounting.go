package radiusd

import (
	"errors"
	"net"
	"sync/atomic"

	"go.uber.org/zap"
	"layeh.com/radius"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/radiusd/acct"
	"github.com/radbill/radbill/store"
)

// Stage transforms a decoded accounting record before it is stored
// (number normalisation, rating). Stages run in order on the worker.
type Stage interface {
	Process(*cdr.Record)
}

// RecordSink stores records durably and reports each outcome once committed.
type RecordSink interface {
	Submit(rec *cdr.Record, done func(store.Outcome, error))
}

// Accounting serves Accounting-Requests: decode → stages → store → reply.
// The Accounting-Response is sent only after the record's batch has
// committed, so an acknowledged packet is never lost.
type Accounting struct {
	decoder atomic.Pointer[acct.Decoder]
	Stages  []Stage
	Sink    RecordSink
	Log     *zap.Logger
}

// SetDecoder puts a decoder in force (at start, and when the dictionaries
// are reloaded); requests being decoded keep the one they started with.
func (a *Accounting) SetDecoder(d *acct.Decoder) { a.decoder.Store(d) }

func (a *Accounting) ServeRADIUS(w ResponseWriter, r *Request) {
	rec, err := a.decoder.Load().Decode(r.Packet, net.IP(r.Source.Addr().AsSlice()), r.Client.Name, r.Received)
	if err != nil {
		w.Drop(DropBadStatusType)
		return
	}
	switch rec.Status {
	case cdr.StatusStart, cdr.StatusStop, cdr.StatusInterimUpdate, cdr.StatusAccountingOn, cdr.StatusAccountingOff:
	default:
		// Other status types (tunnel accounting, RFC 2867) carry nothing
		// radbill bills; acknowledge them so the NAS does not retry forever.
		a.Log.Debug("accounting status type not stored", zap.Uint32("status", uint32(rec.Status)), zap.String("client", r.Client.Name))
		w.Reply(r.Response(radius.CodeAccountingResponse))
		return
	}
	for _, s := range a.Stages {
		s.Process(rec)
	}
	a.Sink.Submit(rec, func(o store.Outcome, err error) {
		switch {
		case errors.Is(err, store.ErrBusy):
			w.Drop(DropWriterBusy)
			return
		case o == store.Failed:
			w.Drop(DropStoreFailed)
			return
		}
		w.Reply(r.Response(radius.CodeAccountingResponse))
	})
}
