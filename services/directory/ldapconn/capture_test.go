package ldapconn_test

import (
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

var capture = flag.Bool("capture", false, "capture descriptors from the test DC into ../testdata/captured")

const capturedDir = "../testdata/captured"

// captures are the descriptors kept from the test DC, for secdesc's tests:
// name, DN relative to the domain, SD flags read with.
var captures = []struct {
	name  string
	rdn   string
	flags ldapconn.SDFlags
	what  string
}{
	{"samba-domain-root", "", ldapconn.SDFlagsRead, "the domain head"},
	{"samba-domain-root-with-sacl", "", ldapconn.SDFlagsRead | ldapconn.SDFlagsSACL, "the domain head with its SACL (audit ACEs)"},
	{"samba-adminsdholder", "CN=AdminSDHolder,CN=System", ldapconn.SDFlagsRead, "AdminSDHolder, protected, explicit ACEs only"},
	{"samba-ou-writeback-grants", "OU=Staff", ldapconn.SDFlagsRead, "OU=Staff with the three inherit-only writeback grants for MSOL_ (RID 1105)"},
	{"samba-user-inherited-grants", "CN=Alice Archer,OU=Staff", ldapconn.SDFlagsRead, "a user that inherits the grants (owner/group defaulted: 0x8407)"},
	{"samba-user-dacl-only", "CN=Alice Archer,OU=Staff", ldapconn.SDFlagsDACL, "the same user read with SD flags 4: DACL only, no owner or group"},
	{"samba-user-explicit-deny", "CN=Erin Evans,OU=Staff", ldapconn.SDFlagsRead, "a user with an explicit deny of Reset Password for MSOL_"},
	{"samba-user-inheritance-blocked", "CN=Dave Doyle,OU=Staff", ldapconn.SDFlagsRead, "a user whose inheritance was disabled (0x9404, no adminCount)"},
	{"samba-user-adminsdholder", "CN=Grace Green,OU=Staff", ldapconn.SDFlagsRead, "an adminCount=1 user with AdminSDHolder's DACL (0x9404)"},
}

// TestCapturedDescriptors checks the captured files: each parses, encodes
// back byte for byte, and gives its .sddl. With -capture it first reads them
// again from the test DC.
func TestCapturedDescriptors(t *testing.T) {
	if *capture {
		captureDescriptors(t)
	}
	for _, cp := range captures {
		t.Run(cp.name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(capturedDir, cp.name+".bin"))
			if err != nil {
				t.Fatalf("%v (regenerate with: go test ./ldapconn -run TestCapturedDescriptors -capture)", err)
			}
			golden, err := os.ReadFile(filepath.Join(capturedDir, cp.name+".sddl"))
			if err != nil {
				t.Fatal(err)
			}
			ldif, err := os.ReadFile(filepath.Join(capturedDir, cp.name+".ldif"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(ldif), "nTSecurityDescriptor:: "+base64.StdEncoding.EncodeToString(raw)+"\n") {
				t.Errorf("%s.ldif does not hold %s.bin", cp.name, cp.name)
			}
			sd, err := secdesc.Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			again, err := sd.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(raw) {
				t.Errorf("MarshalBinary differs from the capture:\n got % x\nwant % x", again, raw)
			}
			domain, err := secdesc.ParseSID(capturedDomainSID)
			if err != nil {
				t.Fatal(err)
			}
			if got := (secdesc.SDDLOptions{Domain: domain}).Format(sd); got != strings.TrimSpace(string(golden)) {
				t.Errorf("SDDL\n got %s\nwant %s", got, golden)
			}
			if (sd.SACL != nil) != (cp.flags&ldapconn.SDFlagsSACL != 0) || (sd.Owner != nil) != (cp.flags&ldapconn.SDFlagsOwner != 0) {
				t.Errorf("parts present do not match SD flags %d: owner %v, SACL %v", cp.flags, sd.Owner != nil, sd.SACL != nil)
			}
		})
	}
}

// capturedDomainSID is the test domain's fixed SID (scripts/samba-test.sh).
const capturedDomainSID = "S-1-5-21-2914541329-1306453702-1592347412"

func captureDescriptors(t *testing.T) {
	s := sambatest.Env(t)
	if s.DomainSID.String() != capturedDomainSID {
		t.Fatalf("the test DC's domain SID is %s, not %s", s.DomainSID, capturedDomainSID)
	}
	c := sambatest.Dial(t, s.Config())
	if err := os.MkdirAll(capturedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cp := range captures {
		dn := s.DN(cp.rdn)
		e, err := c.SearchOne(testContext(t), dn, []string{ldapconn.AttrSecurityDescriptor}, []ldap.Control{ldapconn.SDFlagsControl(cp.flags)})
		if err != nil {
			t.Fatal(err)
		}
		raw := e.GetEqualFoldRawAttributeValue(ldapconn.AttrSecurityDescriptor)
		sd, err := secdesc.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", dn, err)
		}
		sddl := secdesc.SDDLOptions{Domain: s.DomainSID}.Format(sd)
		ldif := fmt.Sprintf("# %s\n# Captured from a Samba AD DC (scripts/samba-test.sh) with SD flags %d.\ndn: %s\ndomainSid: %s\nnTSecurityDescriptor:: %s\n",
			cp.what, cp.flags, dn, s.DomainSID, base64.StdEncoding.EncodeToString(raw))
		for ext, data := range map[string][]byte{".bin": raw, ".sddl": []byte(sddl + "\n"), ".ldif": []byte(ldif)} {
			if err := os.WriteFile(filepath.Join(capturedDir, cp.name+ext), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
