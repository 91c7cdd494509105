package store

// PinLegLookup fixes how w's batches end their Stops' legs: a lookup
// first, or a DELETE straight away (see endActiveCalls).
func PinLegLookup(w *Writer, lookUpFirst bool) {
	w.legsFound.pinned.Store(true)
	if lookUpFirst {
		w.legsFound.percent.Store(0)
	} else {
		w.legsFound.percent.Store(100)
	}
}
