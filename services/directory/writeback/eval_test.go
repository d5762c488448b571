package writeback

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

const (
	tReset   = "00299570-246d-11d0-a768-00aa006e0529"
	tChange  = "ab721a53-1e2f-11d0-9819-00aa0040529b"
	tUnexp   = "ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"
	tLockout = "28630ebf-41d5-11d1-a9c1-0000f80367c1"
	tPwdLast = "bf967a0a-0de6-11d0-a285-00aa003049e2"
	tUAR     = "4c164200-20c0-11d0-a768-00aa006e0529"
	tUser    = "bf967aba-0de6-11d0-a285-00aa003049e2"
	tInetOrg = "4828cc14-1437-45bc-9b07-ad6f015e5f28"
	tConn    = "S-1-5-21-1-2-3-1105"
	tGroup   = "S-1-5-21-1-2-3-1200"
	tOther   = "S-1-5-21-1-2-3-999"
)

func testPrincipal(t testing.TB) *Principal {
	t.Helper()
	sid, err := secdesc.ParseSID(tConn)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := secdesc.ParseSID(tGroup)
	return &Principal{DN: "CN=MSOL_test,CN=Users,DC=example,DC=com", SID: sid, Groups: []secdesc.SID{g}}
}

func parseSD(t testing.TB, sddl string) *secdesc.SecurityDescriptor {
	t.Helper()
	sd, err := secdesc.ParseSDDL(sddl)
	if err != nil {
		t.Fatalf("ParseSDDL(%s): %v", sddl, err)
	}
	return sd
}

// TestEvaluate runs the access check on small DACLs. want gives, for each of
// AllRights in order, the decision and the index of the deciding ACE:
// "a0" allowed by ACE 0, "d1" denied by ACE 1, "-" missing.
func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dacl  string
		self  bool
		class secdesc.GUID
		want  [5]string // Reset, Change, lockoutTime, pwdLastSet, Unexpire
	}{
		{"reset for the account", "(OA;;CR;" + tReset + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "-", "-", "-", "-"}},
		{"deny of a group before the allow", "(OD;;CR;" + tReset + ";;" + tGroup + ")(OA;;CR;" + tReset + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"d0", "-", "-", "-", "-"}},
		{"allow before deny wins (order as in the DACL)", "(OA;;CR;" + tReset + ";;" + tConn + ")(OD;;CR;" + tReset + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "-", "-", "-", "-"}},
		{"inherit-only takes no part", "(OA;CIIO;CR;" + tReset + ";" + tUser + ";" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
		{"inherited and effective", "(A;;RC;;;AU)(OA;CIID;CR;" + tReset + ";" + tUser + ";" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a1", "-", "-", "-", "-"}},
		{"property set holds pwdLastSet, not lockoutTime", "(OA;;WP;" + tUAR + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "a0", "-"}},
		{"deny of the property set, allow of the attribute", "(OD;;WP;" + tUAR + ";;" + tConn + ")(OA;;WP;" + tPwdLast + ";;" + tConn + ")(OA;;WP;" + tLockout + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "a2", "d0", "-"}},
		{"write property without object type", "(A;;RPWP;;;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "a0", "a0", "-"}},
		{"all extended rights", "(A;;CR;;;" + tGroup + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "a0", "-", "-", "a0"}},
		{"object ACE without GUIDs", "(OA;;CR;;;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "a0", "-", "-", "a0"}},
		{"GenericAll", "(A;;GA;;;" + tGroup + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "a0", "a0", "a0", "a0"}},
		{"GenericWrite writes, grants no extended right", "(A;;GW;;;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "a0", "a0", "-"}},
		{"Everyone and Authenticated Users", "(OA;;CR;" + tChange + ";;WD)(OA;;CR;" + tUnexp + ";;AU)", false, secdesc.GUIDUserClass, [5]string{"-", "a0", "-", "-", "a1"}},
		{"Self, not the account itself", "(OA;;CR;" + tChange + ";;PS)", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
		{"Self, the account itself", "(OA;;CR;" + tChange + ";;PS)", true, secdesc.GUIDUserClass, [5]string{"-", "a0", "-", "-", "-"}},
		{"someone else", "(A;;GA;;;" + tOther + ")(OA;;CR;" + tReset + ";;BA)", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
		{"the object's class as object type", "(OA;;CRWP;" + tUser + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a0", "a0", "a0", "a0", "a0"}},
		{"another class as object type", "(OA;;CRWP;" + tInetOrg + ";;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
		{"deny of one right leaves the others", "(OD;;CR;" + tChange + ";;" + tConn + ")(OA;;CR;;;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"a1", "d0", "-", "-", "a1"}},
		{"read property grants no write", "(A;;RPCCDCLC;;;" + tConn + ")", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
		{"empty DACL", "", false, secdesc.GUIDUserClass, [5]string{"-", "-", "-", "-", "-"}},
	}
	p := testPrincipal(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sd := parseSD(t, "D:"+tt.dacl)
			got := Evaluate(sd, p.SIDs(tt.self), tt.class, AllRights, secdesc.SDDLOptions{})
			for k, v := range got {
				if v.Right != AllRights[k] {
					t.Fatalf("verdict %d is for %s", k, v.Right)
				}
				var code string
				switch v.Decision {
				case Missing:
					code = "-"
					if v.ACE != "" || v.Index != -1 || v.Description != "" {
						t.Errorf("%s: missing with ACE %q index %d", v.Right, v.ACE, v.Index)
					}
				case Allowed:
					code = "a" + string(rune('0'+v.Index))
				case Denied:
					code = "d" + string(rune('0'+v.Index))
				}
				if code != tt.want[k] {
					t.Errorf("%s: %s, want %s (%v)", v.Right, code, tt.want[k], v)
				}
				if v.Decision != Missing {
					if want := (secdesc.SDDLOptions{}).FormatACE(sd.DACL.ACEs[v.Index]); v.ACE != want {
						t.Errorf("%s: ACE %s, want %s", v.Right, v.ACE, want)
					}
					if v.Inherited != sd.DACL.ACEs[v.Index].IsInherited() || v.Description == "" {
						t.Errorf("%s: inherited %v, description %q", v.Right, v.Inherited, v.Description)
					}
				}
			}
		})
	}
}

func TestEvaluateNullDACL(t *testing.T) {
	t.Parallel()
	sd := &secdesc.SecurityDescriptor{Control: secdesc.ControlDACLPresent | secdesc.ControlSelfRelative}
	for _, v := range Evaluate(sd, testPrincipal(t).SIDs(false), secdesc.GUIDUserClass, AllRights, secdesc.SDDLOptions{}) {
		if v.Decision != Allowed || v.Index != -1 || !strings.Contains(v.Description, "NULL DACL") {
			t.Errorf("NULL DACL: %+v", v)
		}
	}
}

func TestInheritToChild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, parent string
		want         []string // SDDL of the child's effective copies
	}{
		{"inherit-only for users", "(OA;CIIO;CR;" + tReset + ";" + tUser + ";" + tConn + ")",
			[]string{"(OA;CIID;CR;" + tReset + ";" + tUser + ";" + tConn + ")"}},
		{"for another class", "(OA;CIIO;CR;" + tReset + ";" + tInetOrg + ";" + tConn + ")", nil},
		{"not inheritable", "(OA;;CR;" + tReset + ";;" + tConn + ")", nil},
		{"object-inherit only", "(A;OI;CR;;;" + tConn + ")", nil},
		{"no-propagate reaches the child, not further", "(OA;CINP;CR;" + tReset + ";;" + tConn + ")",
			[]string{"(OA;ID;CR;" + tReset + ";;" + tConn + ")"}},
		{"inherited by the parent, passed on", "(A;CIID;GA;;;" + tGroup + ")", []string{"(A;CIID;GA;;;" + tGroup + ")"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			aces, from := inheritToChild(parseSD(t, "D:"+tt.parent).DACL, secdesc.GUIDUserClass)
			var got []string
			for _, a := range aces {
				got = append(got, a.String())
			}
			if strings.Join(got, "") != strings.Join(tt.want, "") || len(from) != len(aces) {
				t.Errorf("child gets %q, want %q", got, tt.want)
			}
		})
	}
}

// TestChildEntriesSource: an ACE a scope inherited is attributed to the
// ancestor that holds it explicitly.
func TestChildEntriesSource(t *testing.T) {
	t.Parallel()
	grant := "(OA;CIIO;CR;" + tReset + ";" + tUser + ";" + tConn + ")"
	chain := []string{"OU=B,OU=A,DC=x", "OU=A,DC=x", "DC=x"}
	dacls := []*secdesc.ACL{
		parseSD(t, "D:(A;;RC;;;AU)(A;CI;LC;;;"+tOther+")(OA;CIIOID;CR;"+tReset+";"+tUser+";"+tConn+")").DACL,
		parseSD(t, "D:(A;;RC;;;AU)"+grant).DACL,
		parseSD(t, "D:(A;;RC;;;AU)").DACL,
	}
	got := childEntries(chain, dacls)
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	if e := got[0]; e.source != chain[0] || e.index != 1 || e.level != 0 {
		t.Errorf("explicit CI ACE of the scope: %+v", e)
	}
	if e := got[1]; e.source != chain[1] || e.index != 1 || e.level != 1 || e.ace.String() != "(OA;CIID;CR;"+tReset+";"+tUser+";"+tConn+")" {
		t.Errorf("inherited ACE: %+v", e)
	}
}

func TestAdminSDHolderVerdict(t *testing.T) {
	t.Parallel()
	p := testPrincipal(t)
	sd := parseSD(t, "D:PAI(OA;CIIO;CR;"+tReset+";"+tUser+";"+tConn+")(OA;;WP;"+tLockout+";;"+tConn+")(OA;;CR;"+tChange+";;WD)(A;;RC;;;AU)")
	a := adminSDHolderVerdict("CN=AdminSDHolder,CN=System,DC=x", sd, p, secdesc.SDDLOptions{})
	if a.Works || len(a.InheritOnly) != 1 || a.InheritOnly[0] != "(OA;CIIO;CR;"+tReset+";"+tUser+";"+tConn+")" {
		t.Errorf("%+v", a)
	}
	if a.Rights[0].Decision != Missing || !a.Rights[1].OK() || !a.Rights[2].OK() || a.Rights[3].Decision != Missing {
		t.Errorf("rights %v", a.Rights)
	}
	// The "this object only" form works.
	for _, r := range UserRights {
		sd.DACL.Add(ObjectACE(r, p.SID))
	}
	if a := adminSDHolderVerdict("x", sd, p, secdesc.SDDLOptions{}); !a.Works {
		t.Errorf("with ObjectACEs: %+v", a.Rights)
	}
}

func TestGrantACEs(t *testing.T) {
	t.Parallel()
	sid, _ := secdesc.ParseSID(tConn)
	want := map[Right][2]string{
		ResetPassword:    {"(OA;CIIO;CR;" + tReset + ";" + tUser + ";" + tConn + ")", "(OA;;CR;" + tReset + ";;" + tConn + ")"},
		ChangePassword:   {"(OA;CIIO;CR;" + tChange + ";" + tUser + ";" + tConn + ")", "(OA;;CR;" + tChange + ";;" + tConn + ")"},
		WriteLockoutTime: {"(OA;CIIO;WP;" + tLockout + ";" + tUser + ";" + tConn + ")", "(OA;;WP;" + tLockout + ";;" + tConn + ")"},
		WritePwdLastSet:  {"(OA;CIIO;WP;" + tPwdLast + ";" + tUser + ";" + tConn + ")", "(OA;;WP;" + tPwdLast + ";;" + tConn + ")"},
		UnexpirePassword: {"(OA;;CR;" + tUnexp + ";;" + tConn + ")", "(OA;;CR;" + tUnexp + ";;" + tConn + ")"},
	}
	for r, w := range want {
		if got := ScopeACE(r, sid).String(); got != w[0] {
			t.Errorf("ScopeACE(%s) = %s, want %s", r, got, w[0])
		}
		if got := ObjectACE(r, sid).String(); got != w[1] {
			t.Errorf("ObjectACE(%s) = %s, want %s", r, got, w[1])
		}
		// What the grant writes is what the audit counts as granting.
		a := ObjectACE(r, sid)
		if !r.matches(&a, secdesc.GUIDUserClass) {
			t.Errorf("%s: its own ACE does not match it", r)
		}
	}
	for _, r := range AllRights {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Right
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("%s: text round trip gives %v, %v", r, back, err)
		}
	}
	if _, err := Right(0).MarshalText(); err == nil {
		t.Error("Right(0) marshals")
	}
}

// TestCapturedDescriptors evaluates descriptors captured from the Samba DC
// (../testdata/captured, see its README) without a DC: the verdicts for the
// MSOL_ connector are the ones the seeded domain documents.
func TestCapturedDescriptors(t *testing.T) {
	t.Parallel()
	domain, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412")
	conn, _ := domain.Child(1105)
	users, _ := domain.Child(513)
	p := &Principal{SID: conn, Groups: []secdesc.SID{users, secdesc.SIDBuiltinUsers}}
	tests := []struct {
		file string
		want [4]Decision // UserRights
		at   [4]int      // deciding ACE positions, -1 when missing
	}{
		{"samba-user-inherited-grants", [4]Decision{Allowed, Allowed, Allowed, Allowed}, [4]int{24, 18, 25, 26}},
		{"samba-user-dacl-only", [4]Decision{Allowed, Allowed, Allowed, Allowed}, [4]int{24, 18, 25, 26}},
		{"samba-user-explicit-deny", [4]Decision{Denied, Allowed, Allowed, Allowed}, [4]int{0, 19, 26, 27}},
		{"samba-user-inheritance-blocked", [4]Decision{Missing, Allowed, Missing, Missing}, [4]int{-1, 18, -1, -1}},
		{"samba-user-adminsdholder", [4]Decision{Missing, Allowed, Missing, Missing}, [4]int{-1, 5, -1, -1}},
		{"samba-adminsdholder", [4]Decision{Missing, Allowed, Missing, Missing}, [4]int{-1, 5, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("..", "testdata", "captured", tt.file+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			sd, err := secdesc.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range Evaluate(sd, p.SIDs(false), secdesc.GUIDUserClass, UserRights, secdesc.SDDLOptions{Domain: domain}) {
				if v.Decision != tt.want[k] || v.Index != tt.at[k] {
					t.Errorf("%s: %s at %d, want %s at %d (%s)", v.Right, v.Decision, v.Index, tt.want[k], tt.at[k], v.ACE)
				}
			}
		})
	}
}
