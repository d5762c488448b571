package secdesc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// MS-DTYP 2.5.1.4: the published SDDL and its self-relative encoding.
const (
	msdtypSDDL = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)S:P(AU;FA;GR;;;WD)"
	msdtypHex  = `
01 00 14 b0 90 00 00 00 a0 00 00 00 14 00 00 00
30 00 00 00 02 00 1c 00 01 00 00 00 02 80 14 00
00 00 00 80 01 01 00 00 00 00 00 01 00 00 00 00
02 00 60 00 04 00 00 00 00 03 18 00 00 00 00 a0
01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00
00 03 18 00 00 00 00 10 01 02 00 00 00 00 00 05
20 00 00 00 20 02 00 00 00 03 14 00 00 00 00 10
01 01 00 00 00 00 00 05 12 00 00 00 00 03 14 00
00 00 00 10 01 01 00 00 00 00 00 03 00 00 00 00
01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00
01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00`
	// What SDDL() writes for it: flags come out lowest bit first (OICI).
	msdtypCanonical = "O:BAG:BAD:P(A;OICI;GRGX;;;BU)(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;GA;;;CO)S:P(AU;FA;GR;;;WD)"
)

func TestMSDTYPVector(t *testing.T) {
	t.Parallel()
	wire := unhex(t, msdtypHex)

	// SDDL -> binary gives the published bytes exactly.
	fromText, err := ParseSDDL(msdtypSDDL)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fromText.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, wire) {
		t.Errorf("ParseSDDL(vector).MarshalBinary()\n got  %x\n want %x", out, wire)
	}

	// binary -> SDDL gives the published text (in canonical flag order).
	fromWire, err := Parse(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromWire.SDDL(); got != msdtypCanonical {
		t.Errorf("Parse(vector).SDDL()\n got  %s\n want %s", got, msdtypCanonical)
	}
	if want := ControlSelfRelative | ControlDACLPresent | ControlSACLPresent | ControlDACLProtected | ControlSACLProtected; fromWire.Control != want {
		t.Errorf("Control = %v, want %v", fromWire.Control, want)
	}
	if *fromWire.Owner != SIDBuiltinAdministrators || *fromWire.Group != SIDBuiltinAdministrators {
		t.Errorf("owner %s group %s", fromWire.Owner, fromWire.Group)
	}
	if fromWire.DACL.Revision != ACLRevision || len(fromWire.DACL.ACEs) != 4 || len(fromWire.SACL.ACEs) != 1 {
		t.Errorf("DACL rev %d with %d ACEs, SACL with %d", fromWire.DACL.Revision, len(fromWire.DACL.ACEs), len(fromWire.SACL.ACEs))
	}
	if a := fromWire.SACL.ACEs[0]; a.Type != ACETypeSystemAudit || a.Flags != FlagFailedAccess || a.Mask != RightGenericRead || a.SID != SIDEveryone {
		t.Errorf("SACL ACE %+v", a)
	}
	if !fromWire.Equal(fromText) {
		t.Error("the descriptor from the text and the one from the bytes differ")
	}
	if out, _ := fromWire.MarshalBinary(); !bytes.Equal(out, wire) {
		t.Errorf("Parse(vector).MarshalBinary() = %x", out)
	}
}

// The three dsacls /I:S grants of Set-ADSyncPasswordWritebackPermissions, as
// wire bytes computed independently.
var writebackACEs = []struct{ sddl, wire string }{
	{"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + testConnector + ")",
		"050a48000001000003000000709529006d24d011a76800aa006e0529ba7a96bfe60dd011a28500aa003049e2010500000000000515000000115fb8adc6e6de4d144be95e51040000"},
	{"(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;" + testConnector + ")",
		"050a48002000000003000000bf0e6328d541d111a9c10000f80367c1ba7a96bfe60dd011a28500aa003049e2010500000000000515000000115fb8adc6e6de4d144be95e51040000"},
	{"(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;" + testConnector + ")",
		"050a480020000000030000000a7a96bfe60dd011a28500aa003049e2ba7a96bfe60dd011a28500aa003049e2010500000000000515000000115fb8adc6e6de4d144be95e51040000"},
}

func TestWritebackGrants(t *testing.T) {
	t.Parallel()
	sddl := "D:"
	// A DACL-only descriptor, as written back with SD flags 4: header, then the
	// revision-4 ACL of 8 + 3*72 bytes.
	want := unhex(t, "01 00 04 80 00000000 00000000 00000000 14000000  04 00 e0 00 03 00 00 00")
	for _, w := range writebackACEs {
		sddl += w.sddl
		want = append(want, unhex(t, w.wire)...)
	}
	sd, err := ParseSDDL(sddl)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("MarshalBinary()\n got  %x\n want %x", out, want)
	}
	back, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.SDDL(); got != sddl {
		t.Errorf("SDDL()\n got  %s\n want %s", got, sddl)
	}
	wantObjects := []GUID{GUIDResetPassword, GUIDLockoutTime, GUIDPwdLastSet}
	for i, a := range back.DACL.ACEs {
		if *a.ObjectType != wantObjects[i] || *a.InheritedObjectType != GUIDUserClass || a.SID.String() != testConnector ||
			a.Flags != FlagContainerInherit|FlagInheritOnly {
			t.Errorf("ACE %d = %s", i, a)
		}
	}
}

// testDescriptor is a small descriptor whose canonical layout the malformed
// cases below patch: header (0..19), DACL at 20 (ACE 0 at 28, 20 bytes;
// ACE 1 at 48, 72 bytes, its SID at 92), owner BA at 120, group SY at 136.
func testDescriptor(tb testing.TB) []byte {
	tb.Helper()
	sd, err := ParseSDDL("O:BAG:SYD:(A;;RP;;;AU)" + writebackACEs[0].sddl)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := sd.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	le := binary.LittleEndian
	if len(b) != 148 || le.Uint32(b[4:]) != 120 || le.Uint32(b[8:]) != 136 || le.Uint32(b[16:]) != 20 || b[28] != 0 || b[48] != 5 {
		tb.Fatalf("test descriptor layout changed: %x", b)
	}
	return b
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	type patch func(b []byte) []byte
	put32 := func(off int, v uint32) patch { return func(b []byte) []byte { le.PutUint32(b[off:], v); return b } }
	put16 := func(off int, v uint16) patch { return func(b []byte) []byte { le.PutUint16(b[off:], v); return b } }
	put8 := func(off int, v byte) patch { return func(b []byte) []byte { b[off] = v; return b } }
	cut := func(n int) patch { return func(b []byte) []byte { return b[:n] } }
	tests := []struct {
		name      string
		patches   []patch
		want      error
		component string
		offset    int
	}{
		{"empty", []patch{cut(0)}, ErrTruncated, "header", 0},
		{"short header", []patch{cut(19)}, ErrTruncated, "header", 0},
		{"revision 2", []patch{put8(0, 2)}, ErrRevision, "header", 0},
		{"absolute descriptor", []patch{put16(2, 0x0004)}, ErrNotSelfRelative, "header", 2},
		{"owner offset into the header", []patch{put32(4, 4)}, ErrOffset, "owner", 4},
		{"owner offset at the end", []patch{put32(4, 148)}, ErrOffset, "owner", 4},
		{"owner offset huge", []patch{put32(4, 0xFFFFFFFF)}, ErrOffset, "owner", 4},
		{"group offset into the header", []patch{put32(8, 19)}, ErrOffset, "group", 8},
		{"DACL offset without DACL_PRESENT", []patch{put16(2, 0x8000)}, ErrPresentFlag, "DACL", 16},
		{"SACL offset without SACL_PRESENT", []patch{put32(12, 20)}, ErrPresentFlag, "SACL", 12},
		{"owner SID truncated", []patch{cut(130)}, ErrTruncated, "owner", 120},
		{"group SID truncated", []patch{cut(147)}, ErrTruncated, "group", 136},
		{"owner with 16 sub-authorities", []patch{put8(121, 16)}, ErrSubAuthorityCount, "owner", 121},
		{"owner SID revision 3", []patch{put8(120, 3)}, ErrRevision, "owner", 120},
		{"owner and group at the same offset", []patch{put32(8, 120)}, ErrOverlap, "group", 120},
		{"owner inside the DACL", []patch{put32(4, 92)}, ErrOverlap, "owner", 92},
		{"DACL over the owner", []patch{put32(16, 116)}, ErrRevision, "DACL", 116},
		{"DACL header truncated", []patch{put32(16, 144)}, ErrTruncated, "DACL", 144},
		{"ACL revision 1", []patch{put8(20, 1)}, ErrRevision, "DACL", 20},
		{"ACL revision 5", []patch{put8(20, 5)}, ErrRevision, "DACL", 20},
		{"AclSize below the header", []patch{put16(22, 7)}, ErrACLSize, "DACL", 22},
		{"AclSize past the end", []patch{put16(22, 200)}, ErrACLSize, "DACL", 22},
		{"AclSize overlapping the owner", []patch{put16(22, 104)}, ErrOverlap, "owner", 120},
		{"AceCount too large for AclSize", []patch{put16(24, 30)}, ErrACLSize, "DACL", 24},
		{"AclSize cuts the second ACE header", []patch{put16(22, 30), put16(4, 0), put16(8, 0)}, ErrACLSize, "DACL ACE 1", 48},
		{"AceSize below the header", []patch{put16(30, 3)}, ErrACESize, "DACL ACE 0", 30},
		{"AceSize zero", []patch{put16(30, 0)}, ErrACESize, "DACL ACE 0", 30},
		{"AceSize not a multiple of 4", []patch{put16(30, 22)}, ErrACESize, "DACL ACE 0", 30},
		{"AceSize past the ACL", []patch{put16(50, 76)}, ErrACESize, "DACL ACE 1", 50},
		{"ACE too small for the mask", []patch{put16(30, 4), put16(24, 1)}, ErrTruncated, "DACL ACE 0", 28},
		{"ACE too small for its SID", []patch{put16(30, 16), put16(24, 1)}, ErrTruncated, "DACL ACE 0", 36},
		{"ACE SID with 16 sub-authorities", []patch{put8(37, 16)}, ErrSubAuthorityCount, "DACL ACE 0", 37},
		{"object ACE too small for its flags", []patch{put16(50, 8), put16(22, 36)}, ErrTruncated, "DACL ACE 1", 48},
		{"object ACE too small for its GUIDs", []patch{put16(50, 24), put16(22, 52)}, ErrTruncated, "DACL ACE 1", 60},
		{"object ACE too small for both GUIDs", []patch{put16(50, 40), put16(22, 68)}, ErrTruncated, "DACL ACE 1", 76},
		{"object flags announce a third GUID's worth of data", []patch{put32(56, 3), put16(50, 44), put16(22, 72)}, ErrTruncated, "DACL ACE 1", 92},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := testDescriptor(t)
			for _, p := range tt.patches {
				b = p(b)
			}
			sd, err := Parse(b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, %v; want %v", sd, err, tt.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Component != tt.component || fe.Offset != tt.offset {
				t.Errorf("error %q: want component %q at offset %d", err, tt.component, tt.offset)
			}
		})
	}
}

// layoutPart is one component placed by buildDescriptor.
type layoutPart struct {
	field int    // header offset field: 4 owner, 8 group, 12 SACL, 16 DACL
	data  []byte // its bytes
	gap   int    // bytes of 0xEE before it
}

// buildDescriptor lays parts out in the given order after a header with the
// given control, padding gaps with 0xEE and appending tail.
func buildDescriptor(control uint16, parts []layoutPart, tail []byte) []byte {
	b := make([]byte, 20)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], control)
	for _, p := range parts {
		b = append(b, bytes.Repeat([]byte{0xEE}, p.gap)...)
		binary.LittleEndian.PutUint32(b[p.field:], uint32(len(b)))
		b = append(b, p.data...)
	}
	return append(b, tail...)
}

// aclBytes encodes aces (SDDL ACE strings) as an ACL with slack extra bytes of
// 0xCC after the ACEs and the given Sbz1/Sbz2.
func aclBytes(tb testing.TB, rev byte, sbz1 byte, sbz2 uint16, slack int, aces string) []byte {
	tb.Helper()
	sd, err := ParseSDDL("D:" + aces)
	if err != nil {
		tb.Fatal(err)
	}
	sd.DACL.Revision = rev
	b, err := sd.DACL.appendBinary(nil)
	if err != nil {
		tb.Fatal(err)
	}
	b[1] = sbz1
	binary.LittleEndian.PutUint16(b[6:], sbz2)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(b)+slack))
	return append(b, bytes.Repeat([]byte{0xCC}, slack)...)
}

func sidBytes(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := mustParseSID(tb, s).MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestLayoutPreserved(t *testing.T) {
	t.Parallel()
	dacl := "(A;;LCRPLORC;;;AU)" + writebackACEs[1].sddl + "(0x2a;CI;deadbeef)(0x09;;ff011f000101000000000001000000006172747800000000)"
	sacl := "(AU;SA;CR;;;WD)"
	const control = 0x8c14 // Samba's: present and auto-inherited DACL and SACL
	tests := []struct {
		name  string
		parts []layoutPart
		tail  []byte
	}{
		{"Samba order: owner, group, SACL, DACL", []layoutPart{
			{field: 4, data: sidBytes(t, "S-1-5-32-544")},
			{field: 8, data: sidBytes(t, "S-1-5-32-544")},
			{field: 12, data: aclBytes(t, 4, 0, 0, 0, sacl)},
			{field: 16, data: aclBytes(t, 4, 0, 0, 0, dacl)},
		}, nil},
		{"reversed, with gaps, slack, reserved bytes and a tail", []layoutPart{
			{field: 16, data: aclBytes(t, 4, 0x55, 0x1234, 12, dacl), gap: 4},
			{field: 12, data: aclBytes(t, 2, 0, 0, 2, sacl), gap: 1},
			{field: 8, data: sidBytes(t, testDomain+"-513"), gap: 3},
			{field: 4, data: sidBytes(t, testDomain+"-512")},
		}, []byte{0xAB, 0xCD}},
		{"DACL only", []layoutPart{{field: 16, data: aclBytes(t, 4, 0, 0, 0, dacl)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctl := uint16(control)
			if len(tt.parts) == 1 {
				ctl = 0x8404
			}
			in := buildDescriptor(ctl, tt.parts, tt.tail)
			sd, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := sd.MarshalBinary()
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("unchanged descriptor not reproduced:\n got  %x\n want %x", out, in)
			}
			if got := len(sd.DACL.ACEs); got != 4 {
				t.Fatalf("DACL has %d ACEs", got)
			}
			clone := sd.Clone()
			if out, _ := clone.MarshalBinary(); !bytes.Equal(out, in) {
				t.Error("Clone does not reproduce the input")
			}

			// A change and its undoing: the input comes back.
			sd.DACL.ACEs[0].Mask |= RightWriteProperty
			changed, err := sd.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(changed, in) {
				t.Fatal("changed descriptor still encodes as the input")
			}
			if binary.LittleEndian.Uint32(changed[16:]) != 20+uint32(sacLen(sd)) {
				t.Errorf("changed descriptor is not in the canonical layout: %x", changed)
			}
			reparsed, err := Parse(changed)
			if err != nil {
				t.Fatal(err)
			}
			if !reparsed.Equal(sd) {
				t.Errorf("canonical encoding does not parse back equal:\n %s\n %s", reparsed.SDDL(), sd.SDDL())
			}
			if clone.DACL.ACEs[0].Mask&RightWriteProperty != 0 {
				t.Error("changing the descriptor changed its clone")
			}
			sd.DACL.ACEs[0].Mask &^= RightWriteProperty
			if out, _ := sd.MarshalBinary(); !bytes.Equal(out, in) {
				t.Error("undoing the change does not bring the input back")
			}

			// Adding an ACE gives the canonical layout with the ACE in it.
			if n := sd.DACL.Add(mustACE(t, writebackACEs[0].sddl)); n != 1 {
				t.Fatalf("Add = %d", n)
			}
			added, err := sd.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(added)
			if err != nil {
				t.Fatal(err)
			}
			if !back.DACL.Contains(mustACE(t, writebackACEs[0].sddl)) || len(back.DACL.ACEs) != 5 {
				t.Errorf("added ACE missing after the round trip: %s", back.SDDL())
			}
		})
	}
}

func sacLen(sd *SecurityDescriptor) int {
	if sd.SACL == nil {
		return 0
	}
	n, _ := sd.SACL.size()
	return n
}

func mustACE(tb testing.TB, s string) ACE {
	tb.Helper()
	a, err := ParseACE(s)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestNullAndAbsentParts(t *testing.T) {
	t.Parallel()
	// DACL_PRESENT with a zero offset: a NULL DACL, everyone has access.
	in := unhex(t, "01 00 04 80 00000000 00000000 00000000 00000000")
	sd, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if sd.DACL != nil || sd.Control&ControlDACLPresent == 0 || sd.Owner != nil || sd.Group != nil || sd.SACL != nil {
		t.Errorf("parsed %+v", sd)
	}
	if got := sd.SDDL(); got != "D:NO_ACCESS_CONTROL" {
		t.Errorf("SDDL() = %q", got)
	}
	text, err := ParseSDDL("D:NO_ACCESS_CONTROL")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := text.MarshalBinary(); err != nil || !bytes.Equal(out, in) {
		t.Errorf("ParseSDDL(NO_ACCESS_CONTROL).MarshalBinary() = %x, %v", out, err)
	}
	// An empty DACL is present and denies everything; it is not a NULL DACL.
	empty, err := ParseSDDL("D:")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := empty.MarshalBinary()
	if want := unhex(t, "01 00 04 80 00000000 00000000 00000000 14000000 02 00 08 00 00 00 00 00"); !bytes.Equal(out, want) {
		t.Errorf("empty DACL = %x, want %x", out, want)
	}
	// Nothing at all.
	none, err := ParseSDDL("")
	if err != nil {
		t.Fatal(err)
	}
	out, _ = none.MarshalBinary()
	if want := unhex(t, "01 00 00 80 00000000 00000000 00000000 00000000"); !bytes.Equal(out, want) {
		t.Errorf("empty descriptor = %x, want %x", out, want)
	}
}

func TestMarshalCanonical(t *testing.T) {
	t.Parallel()
	// A descriptor built in code: present bits and SELF_RELATIVE are set,
	// revision 0 is written as 1, the ACL revision is chosen.
	owner := SIDBuiltinAdministrators
	sd := &SecurityDescriptor{Owner: &owner, DACL: &ACL{ACEs: []ACE{mustACE(t, "(A;;RP;;;AU)")}}}
	out, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "01 00 04 80 30000000 00000000 00000000 14000000  02 00 1c 00 01 00 00 00  00 00 14 00 10 00 00 00 01 01 00 00 00 00 00 05 0b 00 00 00  01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00")
	if !bytes.Equal(out, want) {
		t.Errorf("MarshalBinary()\n got  %x\n want %x", out, want)
	}
	bad := []struct {
		name string
		sd   *SecurityDescriptor
	}{
		{"revision 2", &SecurityDescriptor{Revision: 2}},
		{"zero owner", &SecurityDescriptor{Owner: &SID{}}},
		{"ACE without SID", &SecurityDescriptor{DACL: &ACL{ACEs: []ACE{{Type: ACETypeAccessAllowed}}}}},
		{"SACL ACE without SID", &SecurityDescriptor{SACL: &ACL{ACEs: []ACE{{Type: ACETypeSystemAudit}}}}},
		{"ACL too large", &SecurityDescriptor{DACL: &ACL{ACEs: []ACE{{Type: 0x30, Raw: make([]byte, 0xFFF8)}}}}},
	}
	for _, tt := range bad {
		if out, err := tt.sd.MarshalBinary(); err == nil {
			t.Errorf("%s: MarshalBinary = %x, want an error", tt.name, out)
		}
	}
}

func TestControlString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    Control
		want string
	}{
		{0, "0"},
		{0x8404, "DACL_PRESENT|DACL_AUTO_INHERITED|SELF_RELATIVE"},
		{0x9404, "DACL_PRESENT|DACL_AUTO_INHERITED|DACL_PROTECTED|SELF_RELATIVE"},
		{0xb014, "DACL_PRESENT|SACL_PRESENT|DACL_PROTECTED|SACL_PROTECTED|SELF_RELATIVE"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Control(%#x).String() = %q, want %q", uint16(tt.c), got, tt.want)
		}
	}
}

func TestLayoutChangeDetection(t *testing.T) {
	t.Parallel()
	// Samba order, so that any change moves to the canonical layout.
	in := buildDescriptor(0x8c14, []layoutPart{
		{field: 4, data: sidBytes(t, testDomain+"-512")},
		{field: 8, data: sidBytes(t, testDomain+"-513")},
		{field: 12, data: aclBytes(t, 4, 0, 0, 0, "(AU;SA;CR;;;WD)")},
		{field: 16, data: aclBytes(t, 4, 0, 0, 0, "(A;;RP;;;AU)(A;;RP;;;WD)")},
	}, nil)
	changes := map[string]func(sd *SecurityDescriptor){
		"owner":                  func(sd *SecurityDescriptor) { o := SIDBuiltinAdministrators; sd.Owner = &o },
		"owner in place":         func(sd *SecurityDescriptor) { *sd.Owner, _ = sd.Owner.Parent() },
		"group removed":          func(sd *SecurityDescriptor) { sd.Group = nil },
		"Sbz1":                   func(sd *SecurityDescriptor) { sd.Sbz1 = 1 },
		"control bit":            func(sd *SecurityDescriptor) { sd.Control |= ControlDACLProtected },
		"SACL revision":          func(sd *SecurityDescriptor) { sd.SACL.Revision = ACLRevision },
		"SACL removed":           func(sd *SecurityDescriptor) { sd.SACL = nil; sd.Control &^= ControlSACLPresent },
		"ACE removed":            func(sd *SecurityDescriptor) { sd.DACL.ACEs = sd.DACL.ACEs[:1] },
		"ACE of the same size":   func(sd *SecurityDescriptor) { sd.DACL.ACEs[1].SID = SIDAuthenticatedUsers },
		"ACE flags":              func(sd *SecurityDescriptor) { sd.DACL.ACEs[0].Flags = FlagContainerInherit },
		"DACL emptied, not nil":  func(sd *SecurityDescriptor) { sd.DACL.ACEs = nil },
		"DACL made NULL":         func(sd *SecurityDescriptor) { sd.DACL = nil },
		"ACE padded through Raw": func(sd *SecurityDescriptor) { sd.DACL.ACEs[0].Raw = []byte{0, 0, 0, 0} },
	}
	for name, change := range changes {
		sd, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		change(sd)
		out, err := sd.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(out, in) {
			t.Errorf("%s: the change was not noticed", name)
			continue
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !back.Equal(sd) {
			t.Errorf("%s: canonical output parses to %s, want %s", name, back.SDDL(), sd.SDDL())
		}
	}
}

func TestACEFlagsString(t *testing.T) {
	t.Parallel()
	for f, want := range map[ACEFlags]string{
		0: "", FlagContainerInherit | FlagInheritOnly: "CIIO", FlagObjectInherit | FlagInherited: "OIID",
		FlagSuccessfulAccess | FlagFailedAccess: "SAFA", 0x20: "0x20", 0xff: "0xff",
	} {
		if got := f.String(); got != want {
			t.Errorf("ACEFlags(%#x).String() = %q, want %q", uint8(f), got, want)
		}
	}
}
