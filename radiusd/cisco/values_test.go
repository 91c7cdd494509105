package cisco

import (
	"testing"
)

func TestParseDisconnectCause(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"10", 16}, // normal clearing
		{"11", 17}, // user busy
		{"13", 19}, // no answer
		{"0", 0},
		{"1f", 31},
		{"1F", 31},
		{"7F", 127},
		{" 10 ", 16},
		{"010", 16},
	}
	for _, tt := range tests {
		got, err := ParseDisconnectCause(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDisconnectCause(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", " ", "80", "FF", "100", "0x10", "-1", "+10", "1G", "h323-disconnect-cause=10", "1_0"} {
		if got, err := ParseDisconnectCause(in); err == nil {
			t.Errorf("ParseDisconnectCause(%q) = %d, want an error", in, got)
		}
	}
}

func TestNormalizeConfID(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"931C146B 0F4411D6 AB5591F0 CBF3D765", "931C146B 0F4411D6 AB5591F0 CBF3D765", true},
		{"931c146b 0f4411d6 ab5591f0 cbf3d765", "931C146B 0F4411D6 AB5591F0 CBF3D765", true},
		{"931C146B F4411D6 AB5591F0 CBF3D765", "931C146B 0F4411D6 AB5591F0 CBF3D765", true},
		{"1 2 3 4", "00000001 00000002 00000003 00000004", true},
		{"  931C146B\t0F4411D6   AB5591F0 CBF3D765 \r\n", "931C146B 0F4411D6 AB5591F0 CBF3D765", true},
		{" 931C146B 0F4411D6 AB5591F0 ", "931C146B 0F4411D6 AB5591F0", false},
		{"931C146B 0F4411D6 AB5591F0 CBF3D765 00000000", "931C146B 0F4411D6 AB5591F0 CBF3D765 00000000", false},
		{"931C146B 0F4411D6 AB5591F0 CBF3D7650", "931C146B 0F4411D6 AB5591F0 CBF3D7650", false},
		{"931C146B 0F4411D6 AB5591F0 CBF3D76G", "931C146B 0F4411D6 AB5591F0 CBF3D76G", false},
		{"931C146B-0F4411D6-AB5591F0-CBF3D765", "931C146B-0F4411D6-AB5591F0-CBF3D765", false},
		{"h323-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765", "h323-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeConfID(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeConfID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizeConfIDCanonicalDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := NormalizeConfID("931C146B 0F4411D6 AB5591F0 CBF3D765"); !ok {
			t.Fatal("canonical id rejected")
		}
	})
	if allocs != 0 {
		t.Errorf("canonical conf id allocates %.0f times, want 0", allocs)
	}
}

func TestReturnCodeString(t *testing.T) {
	tests := []struct {
		code ReturnCode
		want string
	}{
		{Success, "success"},
		{InvalidAccount, "invalid account number"},
		{InvalidPIN, "invalid PIN"},
		{AccountInUse, "account in use"},
		{ZeroBalance, "zero balance"},
		{CardExpired, "card expired"},
		{CreditLimitReached, "credit limit reached"},
		{UserDenied, "user denied"},
		{ServiceNotAvailable, "service not available"},
		{CalledNumberBlocked, "called number blocked"},
		{RetriesExceeded, "number of retries exceeded"},
		{InvalidArgument, "invalid argument"},
		{InsufficientBalance, "insufficient balance"},
		{TollFreeAllowed, "toll-free calls allowed"},
		{InvalidCardNumber, "invalid card number"},
		{HairpinToPSTN, "hairpin to PSTN"},
		{RedirectToCalledParty, "redirect to called party"},
		{RedirectToCustomerService, "redirect to customer service"},
		{ConnectIPLeg, "connect IP leg to redirect address"},
		{15, "ReturnCode(15)"},
		{-1, "ReturnCode(-1)"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("ReturnCode(%d).String() = %q, want %q", int(tt.code), got, tt.want)
		}
	}
}

// The wire values are fixed by Cisco's debit-card applications.
func TestReturnCodeValues(t *testing.T) {
	tests := []struct {
		code ReturnCode
		wire int
	}{
		{Success, 0}, {InvalidAccount, 1}, {InvalidPIN, 2}, {AccountInUse, 3}, {ZeroBalance, 4},
		{CardExpired, 5}, {CreditLimitReached, 6}, {UserDenied, 7}, {ServiceNotAvailable, 8},
		{CalledNumberBlocked, 9}, {RetriesExceeded, 10}, {InvalidArgument, 11}, {InsufficientBalance, 12},
		{TollFreeAllowed, 13}, {InvalidCardNumber, 14}, {HairpinToPSTN, 50}, {RedirectToCalledParty, 51},
		{RedirectToCustomerService, 52}, {ConnectIPLeg, 53},
	}
	for _, tt := range tests {
		if int(tt.code) != tt.wire {
			t.Errorf("%v = %d, want %d", tt.code, int(tt.code), tt.wire)
		}
	}
}
