package secdesc

import (
	"encoding/hex"
	"testing"
)

func TestGUIDWireOrder(t *testing.T) {
	t.Parallel()
	// The reference's example: Data1..Data3 little-endian, Data4 as is.
	wire := unhex(t, "70 95 29 00 6d 24 d0 11 a7 68 00 aa 00 6e 05 29")
	g, err := GUIDFromBytes(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != "00299570-246d-11d0-a768-00aa006e0529" {
		t.Errorf("String() = %s", got)
	}
	if g != GUIDResetPassword {
		t.Errorf("GUIDFromBytes = %x, want GUIDResetPassword %x", g[:], GUIDResetPassword[:])
	}
	if hex.EncodeToString(GUIDResetPassword[:]) != hex.EncodeToString(wire) {
		t.Errorf("GUIDResetPassword wire form = %x, want %x", GUIDResetPassword[:], wire)
	}
	if _, err := GUIDFromBytes(wire[:15]); err == nil {
		t.Error("GUIDFromBytes accepted 15 bytes")
	}
}

func TestParseGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" means refused
	}{
		{"bf967aba-0de6-11d0-a285-00aa003049e2", "bf967aba-0de6-11d0-a285-00aa003049e2"},
		{"BF967ABA-0DE6-11D0-A285-00AA003049E2", "bf967aba-0de6-11d0-a285-00aa003049e2"},
		{"{bf967aba-0de6-11d0-a285-00aa003049e2}", "bf967aba-0de6-11d0-a285-00aa003049e2"},
		{"bf967aba0de611d0a28500aa003049e2", ""},
		{"bf967aba-0de6-11d0-a285-00aa003049e", ""},
		{"bf967aba-0de6-11d0-a285-00aa003049eg", ""},
		{"bf967aba+0de6-11d0-a285-00aa003049e2", ""},
		{"00000000-0000-0000-0000-0000000000-0", ""}, // a dash among the last digits (found by fuzzing)
		{"0000000-00000-0000-0000-000000000000", ""},
		{"{bf967aba-0de6-11d0-a285-00aa003049e2", ""},
		{"", ""},
	}
	for _, tt := range tests {
		g, err := ParseGUID(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseGUID(%q) = %s, want an error", tt.in, g)
		case tt.want != "" && (err != nil || g.String() != tt.want):
			t.Errorf("ParseGUID(%q) = %s, %v; want %s", tt.in, g, err, tt.want)
		}
	}
	var u GUID
	if err := u.UnmarshalText([]byte("28630ebf-41d5-11d1-a9c1-0000f80367c1")); err != nil || u != GUIDLockoutTime {
		t.Errorf("UnmarshalText = %s, %v", u, err)
	}
	if text, _ := GUIDPwdLastSet.MarshalText(); string(text) != "bf967a0a-0de6-11d0-a285-00aa003049e2" {
		t.Errorf("MarshalText = %s", text)
	}
	if !(GUID{}).IsZero() || GUIDUserClass.IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestGUIDNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		guid, name string
		kind       GUIDKind
	}{
		// The reference's table.
		{"00299570-246d-11d0-a768-00aa006e0529", "Reset Password", KindExtendedRight},
		{"ab721a53-1e2f-11d0-9819-00aa0040529b", "Change Password", KindExtendedRight},
		{"ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501", "Unexpire Password", KindExtendedRight},
		{"28630ebf-41d5-11d1-a9c1-0000f80367c1", "lockoutTime", KindAttribute},
		{"bf967a0a-0de6-11d0-a285-00aa003049e2", "pwdLastSet", KindAttribute},
		{"4c164200-20c0-11d0-a768-00aa006e0529", "User-Account-Restrictions", KindPropertySet},
		{"bf967aba-0de6-11d0-a285-00aa003049e2", "user", KindClass},
		// Common ones.
		{"bf967a86-0de6-11d0-a285-00aa003049e2", "computer", KindClass},
		{"bf967a9c-0de6-11d0-a285-00aa003049e2", "group", KindClass},
		{"bf967aa5-0de6-11d0-a285-00aa003049e2", "organizationalUnit", KindClass},
		{"4828cc14-1437-45bc-9b07-ad6f015e5f28", "inetOrgPerson", KindClass},
		{"bf9679c0-0de6-11d0-a285-00aa003049e2", "member", KindAttribute},
		{"77b5b886-944a-11d1-aebd-0000f80367c1", "Personal-Information", KindPropertySet},
		{"e48d0154-bcf8-11d1-8702-00c04fb96050", "Public-Information", KindPropertySet},
		{"59ba2f42-79a2-11d0-9020-00c04fc2d3cf", "General-Information", KindPropertySet},
		{"f3a64788-5306-11d1-a9c5-0000f80367c1", "servicePrincipalName", KindAttribute},
		{"1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "DS-Replication-Get-Changes", KindExtendedRight},
		{"1131f6ad-9c07-11d1-f79f-00c04fc2dcd2", "DS-Replication-Get-Changes-All", KindExtendedRight},
		{"9b026da6-0d3c-465c-8bee-5199d7165cba", "DS-Validated-Write-Computer", KindValidatedWrite},
	}
	for _, tt := range tests {
		g, err := ParseGUID(tt.guid)
		if err != nil {
			t.Fatal(err)
		}
		if got := GUIDName(g); got != tt.name {
			t.Errorf("GUIDName(%s) = %q, want %q", tt.guid, got, tt.name)
		}
		if k, ok := GUIDKindOf(g); !ok || k != tt.kind {
			t.Errorf("GUIDKindOf(%s) = %d, %v, want %d", tt.guid, k, ok, tt.kind)
		}
	}
	unknown := GUID{1}
	if GUIDName(unknown) != "" {
		t.Errorf("GUIDName of an unknown GUID = %q", GUIDName(unknown))
	}
	if _, ok := GUIDKindOf(unknown); ok {
		t.Error("GUIDKindOf of an unknown GUID succeeded")
	}
	// A GUID with two meanings answers by the kind asked for.
	spn := mustGUID("f3a64788-5306-11d1-a9c5-0000f80367c1")
	if got := guidNameFor(spn, KindValidatedWrite); got != "Validated-SPN" {
		t.Errorf("guidNameFor(SPN, validated write) = %q", got)
	}
	if got := guidNameFor(unknown, KindClass); got != unknown.String() {
		t.Errorf("guidNameFor(unknown) = %q", got)
	}
}

func TestKnownGUIDTableIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]GUID{}
	for g, names := range knownGUIDs {
		if len(names) == 0 {
			t.Errorf("%s has no name", g)
		}
		for _, n := range names {
			if other, dup := seen[n.name]; dup {
				t.Errorf("name %q is given to %s and %s", n.name, g, other)
			}
			seen[n.name] = g
			if n.kind < KindAttribute || n.kind > KindValidatedWrite {
				t.Errorf("%s (%s) has kind %d", g, n.name, n.kind)
			}
		}
		// Every key round-trips through its text form.
		if back := mustGUID(g.String()); back != g {
			t.Errorf("%s does not round-trip", g)
		}
	}
}
