package secdesc

import (
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

// unhex decodes hex that may contain spaces and newlines.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func mustParseSID(tb testing.TB, s string) SID {
	tb.Helper()
	sid, err := ParseSID(s)
	if err != nil {
		tb.Fatalf("ParseSID(%q): %v", s, err)
	}
	return sid
}

// testDomain is the made-up domain SID of the test fixtures; 1105 is the
// connector account MSOL_0123456789ab in them.
const (
	testDomain    = "S-1-5-21-2914541329-1306453702-1592347412"
	testConnector = testDomain + "-1105"
)

func TestSIDBinary(t *testing.T) {
	t.Parallel()
	// objectSid of the test connector account, as LDAP returns it.
	wire := unhex(t, "01 05 00 00 00 00 00 05 15 00 00 00 11 5f b8 ad c6 e6 de 4d 14 4b e9 5e 51 04 00 00")
	sid, err := SIDFromBytes(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got := sid.String(); got != testConnector {
		t.Errorf("String() = %q, want %q", got, testConnector)
	}
	if got, want := sid.SubAuthorities(), []uint32{21, 2914541329, 1306453702, 1592347412, 1105}; !slices.Equal(got, want) {
		t.Errorf("SubAuthorities() = %v, want %v", got, want)
	}
	if sid.Authority() != 5 || sid.Revision() != 1 || sid.Len() != 28 || sid.SubAuthorityCount() != 5 {
		t.Errorf("authority %d revision %d len %d count %d, want 5 1 28 5", sid.Authority(), sid.Revision(), sid.Len(), sid.SubAuthorityCount())
	}
	if rid, ok := sid.RID(); !ok || rid != 1105 {
		t.Errorf("RID() = %d, %v, want 1105, true", rid, ok)
	}
	dom, ok := sid.Parent()
	if !ok || dom.String() != testDomain {
		t.Errorf("Parent() = %s, %v, want %s", dom, ok, testDomain)
	}
	back, err := dom.Child(1105)
	if err != nil || back != sid {
		t.Errorf("Parent().Child(1105) = %s, %v, want %s", back, err, sid)
	}
	out, err := sid.MarshalBinary()
	if err != nil || hex.EncodeToString(out) != hex.EncodeToString(wire) {
		t.Errorf("MarshalBinary() = %x, %v, want %x", out, err, wire)
	}
	var u SID
	if err := u.UnmarshalBinary(wire); err != nil || u != sid {
		t.Errorf("UnmarshalBinary = %s, %v", u, err)
	}
}

func TestSIDFromBytesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
		at   int
	}{
		{"empty", "", ErrTruncated, 0},
		{"short header", "01 01 00 00 00 00 00", ErrTruncated, 0},
		{"revision 2", "02 01 00 00 00 00 00 05 12 00 00 00", ErrRevision, 0},
		{"16 sub-authorities", "01 10 00 00 00 00 00 05" + strings.Repeat(" 01 00 00 00", 16), ErrSubAuthorityCount, 1},
		{"count beyond data", "01 02 00 00 00 00 00 05 12 00 00 00", ErrTruncated, 0},
		{"trailing byte", "01 01 00 00 00 00 00 05 12 00 00 00 00", ErrTrailingData, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := SIDFromBytes(unhex(t, tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Offset != tt.at {
				t.Errorf("err = %#v, want a FormatError at offset %d", err, tt.at)
			}
		})
	}
}

func TestSIDText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" means the input is refused
	}{
		{"S-1-5-18", "S-1-5-18"},
		{"s-1-1-0", "S-1-1-0"},
		{"S-1-5", "S-1-5"},
		{"S-1-5-32-544", "S-1-5-32-544"},
		{"S-1-5-21-4294967295-0-1-512", "S-1-5-21-4294967295-0-1-512"},
		{"S-1-4294967295-1", "S-1-4294967295-1"},
		{"S-1-4294967296-1", "S-1-0x000100000000-1"},
		{"S-1-0x000100000000-7", "S-1-0x000100000000-7"},
		{"S-1-0xffffffffffff-7", "S-1-0xFFFFFFFFFFFF-7"},
		{"S-1-0x5-32-544", "S-1-5-32-544"},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", ""},
		{"S-1-5-4294967296", ""},
		{"S-1-0x1000000000000-1", ""},
		{"S-2-5-18", ""},
		{"S-1--5", ""},
		{"S-1-5-", ""},
		{"S-1-5-18 ", ""},
		{"X-1-5-18", ""},
		{"S-1-", ""},
		{"", ""},
	}
	for _, tt := range tests {
		sid, err := ParseSID(tt.in)
		if tt.want == "" {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("ParseSID(%q) = %s, %v; want a SyntaxError", tt.in, sid, err)
			}
			continue
		}
		if err != nil || sid.String() != tt.want {
			t.Errorf("ParseSID(%q) = %q, %v; want %q", tt.in, sid, err, tt.want)
			continue
		}
		text, _ := sid.MarshalText()
		var u SID
		if err := u.UnmarshalText(text); err != nil || u != sid {
			t.Errorf("text round trip of %s = %s, %v", sid, u, err)
		}
	}
}

func TestSIDZeroAndLimits(t *testing.T) {
	t.Parallel()
	var z SID
	if !z.IsZero() || z.String() != "" || z.Len() != 0 {
		t.Errorf("zero SID: IsZero %v String %q Len %d", z.IsZero(), z.String(), z.Len())
	}
	if _, err := z.MarshalBinary(); err == nil {
		t.Error("MarshalBinary of the zero SID succeeded")
	}
	if _, ok := z.Parent(); ok {
		t.Error("Parent of the zero SID succeeded")
	}
	if _, err := NewSID(1<<48, 1); err == nil {
		t.Error("NewSID accepted a 49-bit authority")
	}
	if _, err := NewSID(5, make([]uint32, 16)...); !errors.Is(err, ErrSubAuthorityCount) {
		t.Errorf("NewSID with 16 sub-authorities: %v", err)
	}
	full, _ := NewSID(5, make([]uint32, 15)...)
	if _, err := full.Child(1); !errors.Is(err, ErrSubAuthorityCount) {
		t.Errorf("Child of a 15-sub-authority SID: %v", err)
	}
	if SIDEveryone != mustParseSID(t, "S-1-1-0") || SIDLocalSystem != mustParseSID(t, "S-1-5-18") {
		t.Error("well-known SID variables do not match their text")
	}
}

func TestSIDNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ sid, name string }{
		{"S-1-1-0", "Everyone"},
		{"S-1-5-11", "Authenticated Users"},
		{"S-1-5-18", "SYSTEM"},
		{"S-1-5-10", "Self"},
		{"S-1-3-0", "Creator Owner"},
		{"S-1-5-9", "Enterprise Domain Controllers"},
		{"S-1-5-7", "Anonymous Logon"},
		{"S-1-5-32-544", "Administrators"},
		{"S-1-5-32-548", "Account Operators"},
		{"S-1-5-32-554", "Pre-Windows 2000 Compatible Access"},
		{"S-1-5-32-560", "Windows Authorization Access Group"},
		{testDomain + "-512", "Domain Admins"},
		{testDomain + "-519", "Enterprise Admins"},
		{testDomain + "-518", "Schema Admins"},
		{testDomain + "-516", "Domain Controllers"},
		{testDomain + "-498", "Enterprise Read-only Domain Controllers"},
		{testDomain + "-526", "Key Admins"},
		{testDomain + "-553", "RAS and IAS Servers"},
		{"S-1-5-21-1-2-3-500", "Administrator"},
		{"S-1-16-12288", "High Mandatory Level"},
		{testConnector, ""},            // an ordinary account
		{testDomain, ""},               // the domain itself
		{"S-1-5-21-1-2-512", ""},       // not a domain account: too few sub-authorities
		{"S-1-5-32-512", ""},           // BUILTIN has no -512
		{"S-1-5-80-1-2-3-4-5", ""},     // a service SID
		{"S-1-5-21-1-2-3-4-512", ""},   // too many sub-authorities
		{"S-1-5-21-1-2-3-1000000", ""}, // unknown RID
		{"S-1-5-84-0-0-0-0-0", "User-Mode Drivers"},
	}
	for _, tt := range tests {
		if got := mustParseSID(t, tt.sid).Name(); got != tt.name {
			t.Errorf("Name(%s) = %q, want %q", tt.sid, got, tt.name)
		}
	}
}
