package secdesc

import (
	"strings"
	"testing"
)

func aclFromSDDL(tb testing.TB, aces string) *ACL {
	tb.Helper()
	sd, err := ParseSDDL("D:" + aces)
	if err != nil {
		tb.Fatal(err)
	}
	return sd.DACL
}

func aclSDDL(l *ACL) string {
	var b strings.Builder
	for _, a := range l.ACEs {
		b.WriteString(a.String())
	}
	return b.String()
}

func TestCanonicalOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want  string
		canonical bool
	}{
		{"(D;;WP;;;WD)(A;;RP;;;AU)(A;ID;RP;;;WD)", "(D;;WP;;;WD)(A;;RP;;;AU)(A;ID;RP;;;WD)", true},
		{"", "", true},
		{"(A;;RP;;;AU)(D;;WP;;;WD)", "(D;;WP;;;WD)(A;;RP;;;AU)", false},
		// Inherited ACEs keep their own order (deny after allow from another
		// generation is legitimate); explicit ones move ahead of them.
		{"(A;ID;RP;;;WD)(D;ID;WP;;;AU)(OD;;CR;;;AU)(A;;LC;;;AU)(OA;;CR;;;AU)(D;;SD;;;WD)",
			"(OD;;CR;;;AU)(D;;SD;;;WD)(A;;LC;;;AU)(OA;;CR;;;AU)(A;ID;RP;;;WD)(D;ID;WP;;;AU)", false},
		{"(A;ID;RP;;;WD)(A;;RP;;;AU)", "(A;;RP;;;AU)(A;ID;RP;;;WD)", false},
	}
	for _, tt := range tests {
		l := aclFromSDDL(t, tt.in)
		if got := l.IsCanonical(); got != tt.canonical {
			t.Errorf("IsCanonical(%s) = %v", tt.in, got)
		}
		l.Canonicalize()
		if got := aclSDDL(l); got != tt.want {
			t.Errorf("Canonicalize(%s)\n got  %s\n want %s", tt.in, got, tt.want)
		}
		if !l.IsCanonical() {
			t.Errorf("not canonical after Canonicalize: %s", aclSDDL(l))
		}
	}
}

func TestACLAdd(t *testing.T) {
	t.Parallel()
	l := aclFromSDDL(t, "(D;;WP;;;WD)(A;;RP;;;AU)(A;CIID;LC;;;AU)")
	l.Revision = ACLRevision
	grants := make([]ACE, len(writebackACEs))
	for i, w := range writebackACEs {
		grants[i] = mustACE(t, w.sddl)
	}
	if n := l.Add(grants...); n != 3 {
		t.Fatalf("Add = %d, want 3", n)
	}
	want := "(D;;WP;;;WD)(A;;RP;;;AU)" + writebackACEs[0].sddl + writebackACEs[1].sddl + writebackACEs[2].sddl + "(A;CIID;LC;;;AU)"
	if got := aclSDDL(l); got != want {
		t.Errorf("after Add\n got  %s\n want %s", got, want)
	}
	if l.Revision != ACLRevisionDS {
		t.Errorf("Revision = %d after adding object ACEs, want 4", l.Revision)
	}
	if n := l.Add(grants...); n != 0 {
		t.Errorf("second Add = %d, want 0", n)
	}
	// The same ACE twice in one call is added once.
	if n := l.Add(mustACE(t, "(A;;CR;;;BA)"), mustACE(t, "(A;;CR;;;BA)")); n != 1 {
		t.Errorf("Add of a duplicate pair = %d, want 1", n)
	}
	// Deny goes after the explicit denies, inherited at the end.
	l.Add(mustACE(t, "(D;;SD;;;AU)"), mustACE(t, "(A;CIID;RP;;;WD)"))
	want = "(D;;WP;;;WD)(D;;SD;;;AU)(A;;RP;;;AU)" + writebackACEs[0].sddl + writebackACEs[1].sddl + writebackACEs[2].sddl +
		"(A;;CR;;;BA)(A;CIID;LC;;;AU)(A;CIID;RP;;;WD)"
	if got := aclSDDL(l); got != want {
		t.Errorf("after more Adds\n got  %s\n want %s", got, want)
	}
	if !l.IsCanonical() {
		t.Error("Add broke canonical order")
	}
	for _, g := range grants {
		if !l.Contains(g) {
			t.Errorf("Contains(%s) = false", g)
		}
	}
	// Added ACEs are copies.
	*grants[0].ObjectType = GUIDChangePassword
	if !l.Contains(mustACE(t, writebackACEs[0].sddl)) {
		t.Error("changing the caller's ACE changed the ACL")
	}
	// Revision 0 stays "choose when encoding".
	auto := &ACL{}
	auto.Add(mustACE(t, writebackACEs[0].sddl))
	if auto.Revision != 0 || auto.revision() != ACLRevisionDS {
		t.Errorf("Revision %d, encoding revision %d", auto.Revision, auto.revision())
	}
}

func TestACLRemoveAndContains(t *testing.T) {
	t.Parallel()
	l := aclFromSDDL(t, "(A;;RP;;;AU)"+writebackACEs[0].sddl+"(A;;RP;;;AU)"+writebackACEs[1].sddl)
	if l.Contains(mustACE(t, "(A;;RP;;;WD)")) {
		t.Error("Contains an ACE that is not there")
	}
	if n := l.Remove(mustACE(t, "(A;;RP;;;AU)")); n != 2 {
		t.Errorf("Remove = %d, want 2", n)
	}
	if got, want := aclSDDL(l), writebackACEs[0].sddl+writebackACEs[1].sddl; got != want {
		t.Errorf("after Remove %s", got)
	}
	// Same grant with the inherited flag is a different ACE.
	if l.Contains(mustACE(t, strings.Replace(writebackACEs[0].sddl, "CIIO", "CIIOID", 1))) {
		t.Error("Contains ignores flags")
	}
	if n := l.Remove(mustACE(t, "(A;;RP;;;WD)")); n != 0 {
		t.Errorf("Remove of an absent ACE = %d", n)
	}
}

func TestACLEqualAndClone(t *testing.T) {
	t.Parallel()
	var nilACL *ACL
	empty := &ACL{Revision: 2}
	if !nilACL.Equal(nil) || nilACL.Equal(empty) || empty.Equal(nil) {
		t.Error("nil and empty ACLs compare wrongly")
	}
	l := aclFromSDDL(t, writebackACEs[0].sddl+"(A;;RP;;;AU)")
	c := l.Clone()
	if !c.Equal(l) {
		t.Fatal("Clone is not Equal")
	}
	c.ACEs[0].InheritedObjectType = nil
	if c.Equal(l) || l.ACEs[0].InheritedObjectType == nil {
		t.Error("Clone shares ACEs")
	}
	c = l.Clone()
	c.Revision = 2
	if c.Equal(l) {
		t.Error("Equal ignores the revision")
	}
	if nilACL.Clone() != nil {
		t.Error("Clone of nil is not nil")
	}
}
