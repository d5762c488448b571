package secdesc

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	update         = flag.Bool("update", false, "rewrite the testdata/descriptors/*.sddl golden files from the .ldif fixtures")
	genConstructed = flag.Bool("gen-constructed", false, "rewrite testdata/descriptors/constructed-*.ldif from their .sddl files")
)

const fixtureDir = "testdata/descriptors"

// fixture is one descriptor in LDIF as ldapsearch prints it.
type fixture struct {
	name   string
	sd     []byte // nTSecurityDescriptor
	domain SID    // from domainSid, or derived from objectSid
}

// readLDIF reads the subset of LDIF the fixtures use: comments, folded lines,
// "attr: value" and "attr:: base64". It takes nTSecurityDescriptor, objectSid
// and a domainSid line (text SID) that captures may add by hand.
func readLDIF(path string) (fixture, error) {
	f := fixture{name: strings.TrimSuffix(filepath.Base(path), ".ldif")}
	data, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, " ") && len(lines) > 0:
			lines[len(lines)-1] += line[1:]
		default:
			lines = append(lines, line)
		}
	}
	var objectSid []byte
	for _, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var raw []byte
		if strings.HasPrefix(value, ":") {
			if raw, err = base64.StdEncoding.DecodeString(strings.TrimSpace(value[1:])); err != nil {
				return f, fmt.Errorf("%s: %s: %w", path, name, err)
			}
		}
		switch strings.ToLower(name) {
		case "ntsecuritydescriptor":
			f.sd = raw
		case "objectsid":
			objectSid = raw
		case "domainsid":
			if f.domain, err = ParseSID(strings.TrimSpace(value)); err != nil {
				return f, fmt.Errorf("%s: domainSid: %w", path, err)
			}
		}
	}
	if f.sd == nil {
		return f, fmt.Errorf("%s: no nTSecurityDescriptor:: line", path)
	}
	if f.domain.IsZero() && objectSid != nil {
		sid, err := SIDFromBytes(objectSid)
		if err != nil {
			return f, fmt.Errorf("%s: objectSid: %w", path, err)
		}
		// A domain root's objectSid is the domain; an account's is domain-RID.
		if subs := sid.SubAuthorities(); len(subs) == 4 && subs[0] == 21 {
			f.domain = sid
		} else if p, ok := sid.Parent(); ok {
			f.domain = p
		}
	}
	return f, nil
}

func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.ldif"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures in %s: %v", fixtureDir, err)
	}
	var out []fixture
	for _, p := range paths {
		f, err := readLDIF(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func loadFixture(tb testing.TB, name string) fixture {
	tb.Helper()
	f, err := readLDIF(filepath.Join(fixtureDir, name+".ldif"))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// sddlEquivalent compares what SDDL carries: owner, group, ACEs, presence and
// the P/AI/AR control bits.
func sddlEquivalent(a, b *SecurityDescriptor) bool {
	// The P/AI/AR bits of an absent ACL have nowhere to go in SDDL.
	visible := func(c Control) Control {
		v := c & (ControlDACLPresent | ControlSACLPresent)
		if c&ControlDACLPresent != 0 {
			v |= c & (ControlDACLProtected | ControlDACLAutoInherited | ControlDACLAutoInheritReq)
		}
		if c&ControlSACLPresent != 0 {
			v |= c & (ControlSACLProtected | ControlSACLAutoInherited | ControlSACLAutoInheritReq)
		}
		return v
	}
	aclEq := func(x, y *ACL) bool {
		if x == nil || y == nil {
			return x == y
		}
		x, y = x.Clone(), y.Clone()
		x.Revision, y.Revision = 0, 0
		return x.Equal(y)
	}
	return visible(a.Control) == visible(b.Control) && sidPtrEqual(a.Owner, b.Owner) && sidPtrEqual(a.Group, b.Group) &&
		aclEq(a.DACL, b.DACL) && aclEq(a.SACL, b.SACL)
}

func TestFixtures(t *testing.T) {
	if *genConstructed {
		writeConstructedFixtures(t)
	}
	for _, f := range loadFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			sd, err := Parse(f.sd)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := sd.MarshalBinary(); err != nil || !bytes.Equal(out, f.sd) {
				t.Fatalf("MarshalBinary does not reproduce the fixture: %v", err)
			}
			opts := SDDLOptions{Domain: f.domain}
			text := opts.Format(sd)
			golden := filepath.Join(fixtureDir, f.name+".sddl")
			if *update {
				if err := os.WriteFile(golden, []byte(text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if text != strings.TrimSuffix(string(want), "\n") {
				t.Errorf("SDDL differs from %s (run with -update if the change is right)\n got  %s", golden, text)
			}
			// SDDL -> binary gives the same descriptor, as far as SDDL goes.
			fromText, err := opts.Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			if !sddlEquivalent(fromText, sd) {
				t.Errorf("SDDL round trip changed the descriptor:\n %s\n %s", opts.Format(fromText), text)
			}
			// The canonical layout carries everything but the layout.
			canon := sd.Clone()
			canon.layout = nil
			b, err := canon.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(sd) {
				t.Error("canonical encoding does not parse back Equal")
			}
			if sd.DACL != nil && !sd.DACL.IsCanonical() {
				t.Error("DACL is not in canonical order")
			}
		})
	}
}

// The connector account's grants, as an audit would list them.
func TestFixtureDomainRootAudit(t *testing.T) {
	t.Parallel()
	f := loadFixture(t, "constructed-samba-domain-root")
	sd, err := Parse(f.sd)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Control != 0x8c14 || sd.Owner.Name() != "Administrators" || len(sd.DACL.ACEs) < 50 {
		t.Fatalf("control %v, owner %s, %d ACEs", sd.Control, sd.Owner, len(sd.DACL.ACEs))
	}
	connector := mustParseSID(t, testConnector)
	var got []string
	for _, a := range sd.DACL.ACEs {
		if a.SID == connector {
			got = append(got, a.Describe())
		}
	}
	c := testConnector
	want := []string{
		"Allow " + c + ": Control access (DS-Replication-Get-Changes) on this object only",
		"Allow " + c + ": Control access (DS-Replication-Get-Changes-All) on this object only",
		"Allow " + c + ": Control access (Reset Password) on descendant user objects",
		"Allow " + c + ": Write property (lockoutTime) on descendant user objects",
		"Allow " + c + ": Write property (pwdLastSet) on descendant user objects",
		"Allow " + c + ": Control access (Unexpire Password) on this object and descendant objects",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("connector grants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range writebackACEs {
		if !sd.DACL.Contains(mustACE(t, w.sddl)) {
			t.Errorf("domain root lacks %s", w.sddl)
		}
	}
	// Granting again changes nothing, so the descriptor is written back as read.
	if n := sd.DACL.Add(mustACE(t, writebackACEs[0].sddl)); n != 0 {
		t.Errorf("Add of an existing grant = %d", n)
	}
	if out, _ := sd.MarshalBinary(); !bytes.Equal(out, f.sd) {
		t.Error("descriptor changed by a no-op grant")
	}
}

// The protected account: the inherit-only grants on the domain root never
// reach it.
func TestFixtureProtectedUser(t *testing.T) {
	t.Parallel()
	f := loadFixture(t, "constructed-samba-protected-user")
	sd, err := Parse(f.sd)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Control != 0x9404 || sd.Owner != nil || sd.Group != nil || sd.SACL != nil {
		t.Fatalf("control %v owner %v group %v", sd.Control, sd.Owner, sd.Group)
	}
	for _, a := range sd.DACL.ACEs {
		if a.IsInherited() {
			t.Errorf("protected DACL holds an inherited ACE: %s", a)
		}
		if a.ObjectType != nil && *a.ObjectType == GUIDResetPassword {
			t.Errorf("protected DACL grants Reset Password: %s", a)
		}
	}
	user := loadFixture(t, "constructed-samba-user")
	usd, err := Parse(user.sd)
	if err != nil {
		t.Fatal(err)
	}
	// On a normal user the grant arrives inherited and effective (CIID).
	inherited := mustACE(t, strings.Replace(writebackACEs[0].sddl, "CIIO", "CIID", 1))
	if !usd.DACL.Contains(inherited) {
		t.Errorf("user lacks the inherited grant %s", inherited)
	}
}

// constructedLayouts says how -gen-constructed lays each fixture out; the
// default is Samba's order (owner, group, SACL, DACL) without gaps.
var constructedLayouts = map[string]struct {
	order []int // header offset fields in layout order
	gaps  []int
	slack int
	sbz   bool
	tail  []byte
}{
	"constructed-odd-layout": {order: []int{16, 12, 8, 4}, gaps: []int{4, 1, 3, 0}, slack: 12, sbz: true, tail: []byte{0xAB, 0xCD}},
}

// writeConstructedFixtures builds constructed-*.ldif from constructed-*.sddl.
func writeConstructedFixtures(t *testing.T) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "constructed-*.sddl"))
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".sddl")
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		domain := mustParseSID(t, testDomain)
		sd, err := ParseSDDLWithDomain(strings.TrimSpace(string(text)), domain)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		lay, ok := constructedLayouts[name]
		if !ok {
			lay.order = []int{4, 8, 12, 16}
		}
		b := make([]byte, 20)
		b[0], b[1] = 1, sd.Sbz1
		binary.LittleEndian.PutUint16(b[2:], uint16(sd.Control))
		for i, field := range lay.order {
			var part []byte
			switch field {
			case 4, 8:
				sid := sd.Owner
				if field == 8 {
					sid = sd.Group
				}
				if sid == nil {
					continue
				}
				part = sid.appendBinary(nil)
			case 12, 16:
				acl := sd.SACL
				if field == 16 {
					acl = sd.DACL
				}
				if acl == nil {
					continue
				}
				if part, err = acl.appendBinary(nil); err != nil {
					t.Fatal(err)
				}
				if lay.sbz {
					part[1] = 0x55
					binary.LittleEndian.PutUint16(part[6:], 0x1234)
				}
				binary.LittleEndian.PutUint16(part[2:], uint16(len(part)+lay.slack))
				part = append(part, bytes.Repeat([]byte{0xCC}, lay.slack)...)
			}
			if i < len(lay.gaps) {
				b = append(b, bytes.Repeat([]byte{0xEE}, lay.gaps[i])...)
			}
			binary.LittleEndian.PutUint32(b[field:], uint32(len(b)))
			b = append(b, part...)
		}
		b = append(b, lay.tail...)

		var out strings.Builder
		fmt.Fprintf(&out, "# Constructed by 'go test -run TestFixtures -gen-constructed' from %s.sddl. Not a capture.\n", name)
		if ok {
			out.WriteString("# Deliberately odd layout (see constructedLayouts).\n")
		} else {
			out.WriteString("# Laid out as Samba writes nTSecurityDescriptor: owner, group, SACL, DACL.\n")
		}
		fmt.Fprintf(&out, "dn: %s\ndomainSid: %s\n", "CN="+name+",DC=samba,DC=example", domain)
		// Folded as ldapsearch does: 76 columns, continuation lines start
		// with a space.
		enc := "nTSecurityDescriptor:: " + base64.StdEncoding.EncodeToString(b)
		for width := 76; len(enc) > width; width = 75 {
			out.WriteString(enc[:width] + "\n ")
			enc = enc[width:]
		}
		out.WriteString(enc + "\n")
		if err := os.WriteFile(filepath.Join(fixtureDir, name+".ldif"), []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
