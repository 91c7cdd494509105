// Package radiusd is radbill's RADIUS front end: UDP listeners for
// authentication and accounting, the table of NAS clients, and the packet
// pipeline every request goes through before a Handler sees it.
//
// layeh.com/radius is used as the packet codec only. Its server starts a
// goroutine per packet and has no recovery; radbill reads each socket in one
// goroutine and hands packets to a bounded pool of workers through a bounded
// queue, so a flood is shed (and counted) instead of exhausting memory, and a
// panic while handling one packet is logged with the packet in hex, counted,
// and never takes down the process.
//
// The pipeline, in order, for every datagram:
//
//	read → client by source address (drop: unknown_client) → the client's
//	rate limit (drop: rate_limited) → the source's requests in flight
//	(drop: source_busy, at server.max_in_flight_per_source; checked again
//	when a worker takes the packet) → queue, one per source address served
//	round robin (drop: queue_full, from the longest; waited past
//	server.queue_timeout: queue_timeout) → parse
//	(drop: malformed) → code allowed on this port
//	(drop: unexpected_code) → Request Authenticator / Message-Authenticator
//	(drop: bad_authenticator, bad_message_authenticator) → reply cache
//	(retransmit: resend the cached reply, or ignore while the first copy is
//	still in flight) → Handler
//
// Drops are silent on the wire, as RFC 2865/2866 require, and counted by
// client and reason in radbill_drops_total.
//
// Each listener's reader takes up to 32 datagrams per recvmmsg(2), so that
// shedding a flood costs little per packet. Replies are signed and cached
// by the goroutine that gives them and sent by one goroutine per listener,
// many datagrams per sendmmsg(2) (outbox).
package radiusd
