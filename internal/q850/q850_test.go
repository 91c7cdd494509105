package q850

import "testing"

func TestName(t *testing.T) {
	for cause, want := range map[int64]string{16: "normal call clearing", 17: "user busy", 19: "no answer from user (user alerted)",
		127: "interworking, unspecified", 45: "cause 45", 200: "cause 200"} {
		if got := Name(cause); got != want {
			t.Errorf("Name(%d) = %q, want %q", cause, got, want)
		}
	}
}
