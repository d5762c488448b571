package secdesc

import (
	"errors"
	"strings"
	"testing"
)

func TestSDDLCanonicalForm(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"O:BAG:SYD:PAI(A;;GA;;;SY)", "O:BAG:SYD:PAI(A;;GA;;;SY)"},
		{"D:(A;;GA;;;WD)O:BA", "O:BAD:(A;;GA;;;WD)"},
		{"S:(AU;SA;CR;;;WD)D:AI", "D:AIS:(AU;SA;CR;;;WD)"},
		{"D:AIARP", "D:PARAI"},
		{"D:PNO_ACCESS_CONTROL", "D:PNO_ACCESS_CONTROL"},
		{"D:NO_ACCESS_CONTROLS:NO_ACCESS_CONTROL", "D:NO_ACCESS_CONTROLS:NO_ACCESS_CONTROL"},
		{"S:PARAI", "S:PARAI"},
		{"D:", "D:"},
		{"", ""},
		{"O:S-1-5-32-544", "O:BA"},
		{"O:S-1-0x000100000000D:", "O:S-1-0x000100000000D:"},
		{"O:s-1-5-21-1-2-3-512", "O:S-1-5-21-1-2-3-512"},
		{"D:(A;CIOI;0x100;;;S-1-5-11)", "D:(A;OICI;CR;;;AU)"},
		{"D:(A;;0200000;;;AU)(A;;256;;;AU)", "D:(A;;SD;;;AU)(A;;CR;;;AU)"},
		{"D:(A;;FA;;;AU)", "D:(A;;0x1f01ff;;;AU)"},
		{"D:(A;;GXGR;;;AU)", "D:(A;;GRGX;;;AU)"},
		{"D:(OA;;CR;00299570-246D-11D0-A768-00AA006E0529;;AU)", "D:(OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;AU)"},
		{"D:(OA;;CR;;;AU)", "D:(OA;;CR;;;AU)"},
		{"D:(0x00;;9400020001010000000000050b000000)", "D:(A;;LCRPLORC;;;AU)"},
		{"D:(0X2A;CI;DEADBEEF)", "D:(0x2a;CI;deadbeef)"},
		{"D:(0x2a;;)", "D:(0x2a;;)"},
		{"S:(ML;;NWNR;;;LW)", "S:(ML;;NWNR;;;LW)"},
	}
	for _, tt := range tests {
		sd, err := ParseSDDL(tt.in)
		if err != nil {
			t.Errorf("ParseSDDL(%q): %v", tt.in, err)
			continue
		}
		got := sd.SDDL()
		if got != tt.want {
			t.Errorf("ParseSDDL(%q).SDDL() = %q, want %q", tt.in, got, tt.want)
		}
		again, err := ParseSDDL(got)
		if err != nil || again.SDDL() != got {
			t.Errorf("output %q does not parse back to itself: %v", got, err)
		}
	}
}

func TestSDDLControlAndRevision(t *testing.T) {
	t.Parallel()
	sd, err := ParseSDDL("D:PAIAR(A;;RP;;;AU)S:PAI(AU;SA;CR;;;WD)")
	if err != nil {
		t.Fatal(err)
	}
	want := ControlSelfRelative | ControlDACLPresent | ControlDACLProtected | ControlDACLAutoInherited | ControlDACLAutoInheritReq |
		ControlSACLPresent | ControlSACLProtected | ControlSACLAutoInherited
	if sd.Control != want || sd.Revision != 1 {
		t.Errorf("Control = %v, revision %d; want %v", sd.Control, sd.Revision, want)
	}
	if sd.DACL.Revision != ACLRevision || sd.SACL.Revision != ACLRevision {
		t.Errorf("ACL revisions %d %d, want 2 without object ACEs", sd.DACL.Revision, sd.SACL.Revision)
	}
	obj, err := ParseSDDL("D:(A;;RP;;;AU)(OA;;CR;;;AU)")
	if err != nil {
		t.Fatal(err)
	}
	if obj.DACL.Revision != ACLRevisionDS {
		t.Errorf("ACL revision %d, want 4 with an object ACE", obj.DACL.Revision)
	}
	if a := obj.DACL.ACEs[1]; a.Type != ACETypeAccessAllowedObject || a.ObjectFlags != 0 || a.ObjectType != nil {
		t.Errorf("OA without GUIDs parsed as %+v", a)
	}
}

func TestSDDLAliases(t *testing.T) {
	t.Parallel()
	// Fixed aliases, against SIDs written out independently.
	fixed := map[string]string{
		"WD": "S-1-1-0", "CO": "S-1-3-0", "CG": "S-1-3-1", "OW": "S-1-3-4", "NU": "S-1-5-2", "IU": "S-1-5-4",
		"SU": "S-1-5-6", "AN": "S-1-5-7", "ED": "S-1-5-9", "PS": "S-1-5-10", "AU": "S-1-5-11", "RC": "S-1-5-12",
		"SY": "S-1-5-18", "LS": "S-1-5-19", "NS": "S-1-5-20", "WR": "S-1-5-33", "BA": "S-1-5-32-544",
		"BU": "S-1-5-32-545", "BG": "S-1-5-32-546", "PU": "S-1-5-32-547", "AO": "S-1-5-32-548", "SO": "S-1-5-32-549",
		"PO": "S-1-5-32-550", "BO": "S-1-5-32-551", "RE": "S-1-5-32-552", "RU": "S-1-5-32-554", "RD": "S-1-5-32-555",
		"NO": "S-1-5-32-556", "MU": "S-1-5-32-558", "LU": "S-1-5-32-559", "IS": "S-1-5-32-568", "CY": "S-1-5-32-569",
		"ER": "S-1-5-32-573", "CD": "S-1-5-32-574", "RA": "S-1-5-32-575", "ES": "S-1-5-32-576", "MS": "S-1-5-32-577",
		"HA": "S-1-5-32-578", "AA": "S-1-5-32-579", "RM": "S-1-5-32-580", "UD": "S-1-5-84-0-0-0-0-0",
		"AC": "S-1-15-2-1", "LW": "S-1-16-4096", "ME": "S-1-16-8192", "MP": "S-1-16-8448", "HI": "S-1-16-12288",
		"SI": "S-1-16-16384", "AS": "S-1-18-1", "SS": "S-1-18-2",
	}
	for code, sid := range fixed {
		sd, err := ParseSDDL("O:" + code)
		if err != nil || sd.Owner.String() != sid {
			t.Errorf("O:%s = %v, %v; want %s", code, sd, err, sid)
			continue
		}
		if out := sd.SDDL(); out != "O:"+code {
			t.Errorf("SID %s is written %q, want O:%s", sid, out, code)
		}
	}
	// Domain-relative aliases, with EA/SA/RO/EK in the forest root.
	relative := map[string]uint32{
		"LA": 500, "LG": 501, "DA": 512, "DU": 513, "DG": 514, "DC": 515, "DD": 516, "CA": 517, "PA": 520,
		"CN": 522, "AP": 525, "KA": 526, "RS": 553,
	}
	rootRelative := map[string]uint32{"RO": 498, "SA": 518, "EA": 519, "EK": 527}
	domain := mustParseSID(t, testDomain)
	root := mustParseSID(t, "S-1-5-21-1-2-3")
	opts := SDDLOptions{Domain: domain, ForestRoot: root}
	check := func(code string, base SID, rid uint32) {
		want, _ := base.Child(rid)
		if _, err := ParseSDDL("O:" + code); err == nil || !strings.Contains(err.Error(), "relative to the") {
			t.Errorf("ParseSDDL(O:%s) without a domain: %v", code, err)
		}
		sd, err := opts.Parse("O:" + code)
		if err != nil || *sd.Owner != want {
			t.Errorf("O:%s = %v, %v; want %s", code, sd, err, want)
			return
		}
		if out := opts.Format(sd); out != "O:"+code {
			t.Errorf("Format(%s) = %q, want O:%s", want, out, code)
		}
		if out := sd.SDDL(); out != "O:"+want.String() {
			t.Errorf("SDDL() without a domain = %q, want the SID", out)
		}
	}
	for code, rid := range relative {
		check(code, domain, rid)
	}
	for code, rid := range rootRelative {
		check(code, root, rid)
	}
	// -519 of a child domain is not EA and is written as a SID.
	childEA, _ := domain.Child(519)
	sd := &SecurityDescriptor{Owner: &childEA}
	if out := opts.Format(sd); out != "O:"+testDomain+"-519" {
		t.Errorf("Format(child domain -519) = %q", out)
	}
	// With one domain it is its own forest root.
	single, err := ParseSDDLWithDomain("O:EAG:DAD:(A;;GA;;;DU)", domain)
	if err != nil {
		t.Fatal(err)
	}
	if single.Owner.String() != testDomain+"-519" || single.Group.String() != testDomain+"-512" || single.DACL.ACEs[0].SID.String() != testDomain+"-513" {
		t.Errorf("ParseSDDLWithDomain = %s", single.SDDL())
	}
	if out := (SDDLOptions{Domain: domain}).Format(single); out != "O:EAG:DAD:(A;;GA;;;DU)" {
		t.Errorf("Format with one domain = %q", out)
	}
	// Every alias code and every fixed SID appears once.
	codes, sids := map[string]bool{}, map[SID]bool{}
	for _, a := range sddlAliases {
		if codes[a.code] || (!a.sid.IsZero() && sids[a.sid]) {
			t.Errorf("alias %s is listed twice", a.code)
		}
		codes[a.code], sids[a.sid] = true, true
	}
	if len(codes) != len(fixed)+len(relative)+len(rootRelative) {
		t.Errorf("%d aliases, %d tested", len(codes), len(fixed)+len(relative)+len(rootRelative))
	}
}

func TestSDDLErrors(t *testing.T) {
	t.Parallel()
	big := "D:" + strings.Repeat(writebackACEs[0].sddl, 911)
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"X:BA", 0, `expected "O:", "G:", "D:" or "S:"`},
		{"O", 0, `expected "O:"`},
		{"O:BAO:SY", 4, "O: appears twice"},
		{"O:ZZ", 2, `unknown SID alias "ZZ"`},
		{"O:B", 2, "expected a SID"},
		{"O:", 2, "expected a SID"},
		{"O:DA", 2, "alias DA is relative to the domain"},
		{"O:EA", 2, "alias EA is relative to the forest root domain"},
		{"O:S-1-5-", 7, `expected "O:"`},
		{"O:S-2-5", 4, "SID revision must be 1"},
		{"O:BA ", 4, `expected "O:"`},
		{"D:(A;;GA;;;WD", 2, `not closed by ")"`},
		{"D:(XA;;FA;;;WD;(Member_of {SID(BA)}))", 2, "conditional expressions"},
		{"D:(A;;GA;;WD)", 3, "6 fields"},
		{"D:(A;;GA;;;WD;)", 3, "6 fields"},
		{"D:(Q;;GA;;;WD)", 3, `unknown ACE type "Q"`},
		{"D:(A;XX;GA;;;WD)", 5, `unknown ACE flag "XX"`},
		{"D:(A;C;GA;;;WD)", 5, `bad ACE flags "C"`},
		{"D:(A;0x100;GA;;;WD)", 5, `bad ACE flags "0x100"`},
		{"D:(A;;QQ;;;WD)", 6, `unknown access right "QQ"`},
		{"D:(A;;0x1ffffffff;;;WD)", 6, "bad numeric access mask"},
		{"D:(A;;GA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", 9, "takes no object GUIDs"},
		{"D:(OA;;GA;;not-a-guid;WD)", 11, `"not-a-guid" is not a GUID`},
		{"D:(OA;;GA;{bf967aba-0de6-11d0-a285-00aa003049e2};;WD)", 10, "is not a GUID"},
		{"D:(A;;GA;;;S-1-5-18x)", 19, "unexpected characters after the SID"},
		{"D:(A;;GA;;;)", 11, "expected a SID"},
		{"D:NO_ACCESS_CONTROL(A;;GA;;;WD)", 19, "cannot have ACEs"},
		{"D:(0x2a;;abc)", 9, "bad hex ACE body"},
		{"D:(0x2a;;aabb)", 9, "multiple of 4"},
		{"D:(0x00;;00000000)", 9, "bad ACE body"},
		{"D:(0x100;;)", 3, `bad ACE type "0x100"`},
		{"D:(0xzz;;)", 3, `bad ACE type "0xzz"`},
		{"D:(0x2a;)", 3, "3 fields"},
		{big, len(big), "more than AclSize can hold"},
	}
	for _, tt := range tests {
		_, err := ParseSDDL(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseSDDL(%.60q) = %v, want a SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseSDDL(%.60q): offset %d %q; want offset %d and %q", tt.in, se.Offset, se.Msg, tt.offset, tt.msg)
		}
	}
	if _, err := ParseACE("(A;;GA;;;WD)x"); err == nil || !strings.Contains(err.Error(), "after the ACE") {
		t.Errorf("ParseACE with trailing text: %v", err)
	}
	if _, err := ParseACE("A;;GA;;;WD"); err == nil {
		t.Error("ParseACE without parentheses succeeded")
	}
}

func TestSDDLBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	// Text -> binary -> text is the identity on canonical text, including the
	// hex extension and every ACE type with an SDDL code.
	var b strings.Builder
	b.WriteString("O:" + testDomain + "-512G:" + testDomain + "-513D:PAI")
	for _, v := range aceVectors {
		if a := vectorSDDL(v.sddl, v.wire); !strings.HasPrefix(a, "(AU;") && !strings.HasPrefix(a, "(AL;") {
			b.WriteString(a)
		}
	}
	b.WriteString("S:AI(AU;SA;CR;;;WD)(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)")
	text := b.String()
	sd, err := ParseSDDL(text)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.SDDL(); got != text {
		t.Errorf("round trip\n got  %s\n want %s", got, text)
	}
	if !back.Equal(sd) {
		t.Error("binary round trip is not Equal")
	}
}
