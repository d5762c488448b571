package secdesc

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// aceVectors pairs ACE wire bytes (computed independently of this package)
// with their SDDL. An SDDL starting "(0x" is the hex extension; its body is
// the wire form after the 4-byte header, so the table spells only the prefix.
var aceVectors = []struct {
	name string
	wire string
	sddl string
}{
	{"allow", "000014009400020001010000000000050b000000", "(A;;LCRPLORC;;;AU)"},
	{"deny CI", "0102140020000000010100000000000100000000", "(D;CI;WP;;;WD)"},
	{"audit SA domain SID", "0240240000010000010500000000000515000000115fb8adc6e6de4d144be95e01020000",
		"(AU;SA;CR;;;" + testDomain + "-513)"},
	{"alarm FA", "0380140000000010010100000000000512000000", "(AL;FA;GA;;;SY)"},
	{"object no GUIDs", "05001800000100000000000001010000000000050b000000", "(OA;;CR;;;AU)"},
	{"object type only", "050028000001000001000000aaf63111079cd111f79f00c04fc2dcd2010100000000000509000000",
		"(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;ED)"},
	{"inherited object type only", "050a28003000000002000000ba7a96bfe60dd011a28500aa003049e201010000000000050a000000",
		"(OA;CIIO;RPWP;;bf967aba-0de6-11d0-a285-00aa003049e2;PS)"},
	{"both GUIDs", "050a48000001000003000000709529006d24d011a76800aa006e0529ba7a96bfe60dd011a28500aa003049e2010500000000000515000000115fb8adc6e6de4d144be95e51040000",
		"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + testConnector + ")"},
	{"object deny", "0600380020000000030000000a7a96bfe60dd011a28500aa003049e2ba7a96bfe60dd011a28500aa003049e2010100000000000100000000",
		"(OD;;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;WD)"},
	{"object audit", "074238002000000003000000be3b0ef3f09fd111b6030000f80367c1a57a96bfe60dd011a28500aa003049e2010100000000000100000000",
		"(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)"},
	{"object alarm", "088028000001000001000000709529006d24d011a76800aa006e052901010000000000050b000000",
		"(OL;FA;CR;00299570-246d-11d0-a768-00aa006e0529;;AU)"},
	{"mandatory label", "1100140001000000010100000000001000300000", "(ML;;NW;;;HI)"},
	{"callback with condition", "09001c00ff011f000101000000000001000000006172747800000000", "(0x09;;"},
	{"callback without condition", "09001400ff011f00010100000000000100000000", "(XA;;0x1f01ff;;;WD)"},
	{"denied callback", "0a031800ff011f0001020000000000052000000022020000", "(XD;OICI;0x1f01ff;;;BG)"},
	{"allowed callback object", "0b0028000001000001000000709529006d24d011a76800aa006e052901010000000000050b000000",
		"(ZA;;CR;00299570-246d-11d0-a768-00aa006e0529;;AU)"},
	{"denied callback object (no SDDL code)", "0c0028000001000001000000709529006d24d011a76800aa006e052901010000000000050b000000", "(0x0c;;"},
	{"audit callback", "0dc0140000000010010100000000000100000000", "(XU;SAFA;GA;;;WD)"},
	{"alarm callback (no SDDL code)", "0e80140001000000010100000000000100000000", "(0x0e;FA;"},
	{"audit callback object (no SDDL code)", "0f40280020000000010000000a7a96bfe60dd011a28500aa003049e2010100000000000100000000", "(0x0f;SA;"},
	{"alarm callback object (no SDDL code)", "104028002000000002000000ba7a96bfe60dd011a28500aa003049e2010100000000000100000000", "(0x10;SA;"},
	{"resource attribute", "12003400000000000101000000000001000000000c00000001000000000000001000000061006200630000000100000000000000", "(0x12;;"},
	{"scoped policy", "1300140000000000010100000000001101000000", "(SP;;0x0;;;S-1-17-1)"},
	{"process trust label", "140018002000000001020000000000130002000000100000", "(TL;;WP;;;S-1-19-512-4096)"},
	{"access filter", "1500140000000000010100000000000100000000", "(FL;;0x0;;;WD)"},
	{"padding after the SID", "000018009400020001010000000000050b00000000000000", "(0x00;;"},
	{"unknown object flag", "050028000001000005000000709529006d24d011a76800aa006e052901010000000000050b000000", "(0x05;;"},
	{"every flag", "00df140001000000010100000000000100000000", "(A;OICINPIOIDSAFA;CC;;;WD)"},
	{"flag without a code", "0022140001000000010100000000000100000000", "(A;0x22;CC;;;WD)"},
	{"compound (kept raw)", "04001000aabbccdd0011223344556677", "(0x04;;"},
	{"unknown type (kept raw)", "2a020800deadbeef", "(0x2a;CI;"},
	{"unknown type, header only", "ff000400", "(0xff;;"},
}

// vectorSDDL completes a hex-extension SDDL from the table with the wire body.
func vectorSDDL(sddl, wire string) string {
	if strings.HasPrefix(sddl, "(0x") {
		return sddl + wire[8:] + ")"
	}
	return sddl
}

func TestACEVectors(t *testing.T) {
	t.Parallel()
	for _, v := range aceVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			wire := unhex(t, v.wire)
			want := vectorSDDL(v.sddl, v.wire)
			slab := make(guidSlab, 0, 2)
			a, n, err := decodeACE(wire, 0, "ACE", &slab)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(wire) {
				t.Errorf("AceSize = %d, want %d", n, len(wire))
			}
			if got := a.String(); got != want {
				t.Errorf("String() = %s\n                want %s", got, want)
			}
			if out, err := a.MarshalBinary(); err != nil || !bytes.Equal(out, wire) {
				t.Errorf("MarshalBinary() = %x, %v\n                      want %x", out, err, wire)
			}
			b, err := ParseACE(want)
			if err != nil {
				t.Fatalf("ParseACE(%s): %v", want, err)
			}
			if !b.Equal(&a) {
				t.Errorf("ParseACE(%s) = %+v, want %+v", want, b, a)
			}
			if out, err := b.MarshalBinary(); err != nil || !bytes.Equal(out, wire) {
				t.Errorf("ParseACE(...).MarshalBinary() = %x, %v\n                                want %x", out, err, wire)
			}
		})
	}
}

func TestACEDecodedFields(t *testing.T) {
	t.Parallel()
	slab := make(guidSlab, 0, 2)
	// The connector's Reset Password grant from the reference.
	a, _, err := decodeACE(unhex(t, "050a48000001000003000000709529006d24d011a76800aa006e0529ba7a96bfe60dd011a28500aa003049e2010500000000000515000000115fb8adc6e6de4d144be95e51040000"), 0, "ACE", &slab)
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != ACETypeAccessAllowedObject || a.Flags != FlagContainerInherit|FlagInheritOnly || a.Mask != RightControlAccess ||
		a.ObjectFlags != ObjectTypePresent|InheritedObjectTypePresent || a.SID.String() != testConnector || a.Raw != nil {
		t.Errorf("decoded %+v", a)
	}
	if a.ObjectType == nil || *a.ObjectType != GUIDResetPassword || a.InheritedObjectType == nil || *a.InheritedObjectType != GUIDUserClass {
		t.Errorf("GUIDs %v %v", a.ObjectType, a.InheritedObjectType)
	}

	cb, _, err := decodeACE(unhex(t, "09001c00ff011f000101000000000001000000006172747800000000"), 0, "ACE", &slab)
	if err != nil {
		t.Fatal(err)
	}
	if cb.SID != SIDEveryone || cb.Mask != 0x1f01ff || hex.EncodeToString(cb.Raw) != "6172747800000000" {
		t.Errorf("callback ACE %+v, Raw %x", cb, cb.Raw)
	}

	unk, _, err := decodeACE(unhex(t, "2a020800deadbeef"), 0, "ACE", &slab)
	if err != nil {
		t.Fatal(err)
	}
	if unk.Type != 0x2a || unk.Flags != FlagContainerInherit || !unk.SID.IsZero() || unk.Mask != 0 || hex.EncodeToString(unk.Raw) != "deadbeef" {
		t.Errorf("unknown ACE %+v, Raw %x", unk, unk.Raw)
	}
}

func TestACEEncodeErrors(t *testing.T) {
	t.Parallel()
	g := GUIDUserClass
	tests := []struct {
		name string
		ace  ACE
		want string
	}{
		{"no SID", ACE{Type: ACETypeAccessAllowed, Mask: 1}, "no SID"},
		{"unknown type with a mask", ACE{Type: 0x30, Mask: 1}, "kept raw"},
		{"unknown type with a SID", ACE{Type: 0x30, SID: SIDEveryone}, "kept raw"},
		{"GUID on a plain ACE", ACE{Type: ACETypeAccessAllowed, SID: SIDEveryone, ObjectType: &g}, "no object part"},
		{"object flags on a plain ACE", ACE{Type: ACETypeAccessDenied, SID: SIDEveryone, ObjectFlags: 1}, "no object part"},
		{"unaligned Raw", ACE{Type: ACETypeAccessAllowed, SID: SIDEveryone, Raw: []byte{1, 2}}, "multiple of 4"},
		{"oversized Raw", ACE{Type: 0x30, Raw: make([]byte, 0x10000)}, "more than AceSize"},
	}
	for _, tt := range tests {
		if _, err := tt.ace.MarshalBinary(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestACEEqual(t *testing.T) {
	t.Parallel()
	g1, g2 := GUIDResetPassword, GUIDResetPassword
	a := ACE{Type: ACETypeAccessAllowedObject, Mask: RightControlAccess, ObjectType: &g1, ObjectFlags: ObjectTypePresent, SID: SIDAuthenticatedUsers}
	b := ACE{Type: ACETypeAccessAllowedObject, Mask: RightControlAccess, ObjectType: &g2, SID: SIDAuthenticatedUsers, Raw: []byte{}}
	if !a.Equal(&b) {
		t.Error("ACEs differing only in presence bits, GUID pointers and nil/empty Raw are not Equal")
	}
	variants := []func(*ACE){
		func(c *ACE) { c.Flags |= FlagInherited },
		func(c *ACE) { c.Mask |= RightReadProperty },
		func(c *ACE) { c.ObjectType = nil },
		func(c *ACE) { g := GUIDUserClass; c.InheritedObjectType = &g },
		func(c *ACE) { c.SID = SIDEveryone },
		func(c *ACE) { c.ObjectFlags |= 4 },
		func(c *ACE) { c.Raw = []byte{0, 0, 0, 0} },
		func(c *ACE) { c.Type = ACETypeAccessDeniedObject },
	}
	for i, change := range variants {
		c := a.clone()
		change(&c)
		if a.Equal(&c) || c.Equal(&a) {
			t.Errorf("variant %d: Equal despite a difference", i)
		}
	}
	// clone shares nothing.
	c := a.clone()
	*c.ObjectType = GUIDUserClass
	if *a.ObjectType != GUIDResetPassword {
		t.Error("clone shares the ObjectType GUID")
	}
}

func TestACEFlagHelpers(t *testing.T) {
	t.Parallel()
	writeback, err := ParseACE("(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;AU)")
	if err != nil {
		t.Fatal(err)
	}
	if writeback.IsInherited() || writeback.AppliesToThisObject() {
		t.Error("CIIO grant: IsInherited or AppliesToThisObject")
	}
	if !writeback.InheritsTo(GUIDUserClass) || writeback.InheritsTo(GUIDInetOrgPersonClass) || writeback.InheritsTo(GUIDComputerClass) {
		t.Error("InheritsTo should be true for user only")
	}
	// A structural class plus an auxiliary class: either may match.
	aux := mustGUID("11111111-2222-3333-4444-555555555555")
	if !writeback.InheritsTo(aux, GUIDUserClass) || writeback.InheritsTo(aux) || writeback.InheritsTo() {
		t.Error("InheritsTo with several classes is wrong")
	}
	any, _ := ParseACE("(OA;CI;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;AU)")
	if !any.AppliesToThisObject() || !any.InheritsTo(GUIDComputerClass) {
		t.Error("CI grant without inherited object type should apply here and reach every class")
	}
	here, _ := ParseACE("(A;;RP;;;AU)")
	if !here.AppliesToThisObject() || here.InheritsTo(GUIDUserClass) {
		t.Error("an ACE without CI must not be inherited")
	}
	oiOnly, _ := ParseACE("(A;OI;RP;;;AU)")
	if oiOnly.InheritsTo(GUIDUserClass) {
		t.Error("OI alone does not propagate in the directory")
	}
	inherited, _ := ParseACE("(A;CIID;RP;;;AU)")
	if !inherited.IsInherited() {
		t.Error("ID ACE not IsInherited")
	}
	for _, tc := range []struct {
		t                          ACEType
		allow, deny, audit, object bool
	}{
		{ACETypeAccessAllowed, true, false, false, false},
		{ACETypeAccessAllowedObject, true, false, false, true},
		{ACETypeAccessAllowedCallbackObject, true, false, false, true},
		{ACETypeAccessDenied, false, true, false, false},
		{ACETypeAccessDeniedCallbackObject, false, true, false, true},
		{ACETypeSystemAuditObject, false, false, true, true},
		{ACETypeSystemAlarmCallback, false, false, true, false},
		{ACETypeMandatoryLabel, false, false, false, false},
		{0x30, false, false, false, false},
	} {
		if tc.t.IsAllow() != tc.allow || tc.t.IsDeny() != tc.deny || tc.t.IsAudit() != tc.audit || tc.t.IsObject() != tc.object {
			t.Errorf("type %s: allow %v deny %v audit %v object %v", tc.t, tc.t.IsAllow(), tc.t.IsDeny(), tc.t.IsAudit(), tc.t.IsObject())
		}
	}
	if ACETypeAccessAllowedCompound.Decoded() || ACEType(0x16).Decoded() || !ACETypeAccessFilter.Decoded() {
		t.Error("Decoded() is wrong")
	}
}

func TestACEDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct{ sddl, want string }{
		{"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;AU)",
			"Allow Authenticated Users: Control access (Reset Password) on descendant user objects"},
		{"(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;" + testConnector + ")",
			"Allow " + testConnector + ": Write property (pwdLastSet) on descendant user objects"},
		{"(OA;CI;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;" + testDomain + "-512)",
			"Allow Domain Admins: Control access (Unexpire Password) on this object and descendant objects"},
		{"(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)", "Allow SYSTEM: Full control on this object only"},
		{"(OD;CIID;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;;WD)",
			"Deny Everyone: Write property (pwdLastSet) on this object and descendant objects (inherited)"},
		{"(OA;CIIONP;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;bf967a86-0de6-11d0-a285-00aa003049e2;PS)",
			"Allow Self: Self write (Validated-SPN) on child computer objects"},
		{"(OA;CIIO;RPWP;f3a64788-5306-11d1-a9c5-0000f80367c1;;PS)",
			"Allow Self: Read property, Write property (servicePrincipalName) on descendant objects"},
		{"(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;RU)",
			"Allow Pre-Windows 2000 Compatible Access: Read property (User-Account-Restrictions) on this object only"},
		{"(OA;CI;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;AO)",
			"Allow Account Operators: Create child, Delete child (user) on this object and descendant objects"},
		{"(A;CINP;LC;;;RU)", "Allow Pre-Windows 2000 Compatible Access: List contents on this object and child objects"},
		{"(A;IO;RP;;;WD)", "Allow Everyone: Read property on nothing (inherit-only without container inherit)"},
		{"(OA;;RP;11111111-2222-3333-4444-555555555555;;AU)",
			"Allow Authenticated Users: Read property (11111111-2222-3333-4444-555555555555) on this object only"},
		{"(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)",
			"Audit success of Everyone: Write property (gPLink) on this object and descendant organizationalUnit objects"},
		{"(AU;SAFA;GA;;;WD)", "Audit success and failure of Everyone: Generic all on this object only"},
		{"(AL;FA;CR;;;AU)", "Alarm on failure of Authenticated Users: Control access on this object only"},
		{"(AU;;RP;;;AU)", "Audit (no success or failure flag) Authenticated Users: Read property on this object only"},
		{"(ML;;NWNR;;;HI)", "Mandatory label High Mandatory Level: No write up, No read up on this object only"},
		{"(A;;0x0;;;WD)", "Allow Everyone: no rights on this object only"},
		{"(0x09;;ff011f000101000000000001000000006172747800000000)",
			"Allow Everyone: Create child, Delete child, List contents, Self write, Read property, Write property, Delete tree, List object, Control access, Delete, Read control, Write DACL, Write owner, Synchronize on this object only when its condition holds"},
		{"(0x2a;CIID;deadbeef)", "Unknown ACE type 0x2a (4 bytes of data) (inherited)"},
		{"(SP;;0x0;;;S-1-17-1)", "Scoped policy S-1-17-1: no rights on this object only"},
	}
	for _, tt := range tests {
		a, err := ParseACE(tt.sddl)
		if err != nil {
			t.Fatalf("ParseACE(%s): %v", tt.sddl, err)
		}
		if got := a.Describe(); got != tt.want {
			t.Errorf("Describe(%s)\n got  %s\n want %s", tt.sddl, got, tt.want)
		}
	}
}
