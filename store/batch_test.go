package store

import "testing"

// legsFound turns to a lookup first after a few batches whose Stops found
// no leg (stop-only accounting), and back to DELETE when they find them.
func TestLegsFoundTurnsWithTraffic(t *testing.T) {
	f := newLegsFound()
	if f.lookUpFirst() {
		t.Fatal("a new writer must DELETE straight away")
	}
	batches := 0
	for ; !f.lookUpFirst(); batches++ {
		f.observe(0, 31)
		if batches > 10 {
			t.Fatal("still no lookup after 10 batches without a leg found")
		}
	}
	if batches < 3 {
		t.Errorf("turned after %d batches: one odd batch must not turn the choice", batches)
	}
	for batches = 0; f.lookUpFirst(); batches++ {
		f.observe(31, 31)
		if batches > 10 {
			t.Fatal("still looking up after 10 batches whose legs were all found")
		}
	}
	f.observe(1, 2) // half found: stays
	if f.lookUpFirst() {
		t.Error("half the legs found turned the choice back")
	}
}
