package ldapconn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
)

func TestValidateDN(t *testing.T) {
	t.Parallel()
	valid := []string{
		"DC=example,DC=com",
		"CN=Jane Doe,OU=Staff,DC=example,DC=com",
		`CN=Doe\, Jane,OU=Staff,DC=example,DC=com`,
		`CN=Bob Baker (admin),OU=Admins,DC=hybrid,DC=test`,
		"CN=MSOL_0123456789ab,CN=Users,DC=hybrid,DC=test",
		"cn=lower,dc=case",
		"CN=a+sAMAccountName=b,DC=multi,DC=valued",
		"2.5.4.3=oid type,DC=example",
		`CN=\23hash\2Bplus,DC=example`,
		"CN=Åsa Ölund,OU=Staff,DC=example,DC=com",
	}
	for _, dn := range valid {
		if err := ldapconn.ValidateDN(dn); err != nil {
			t.Errorf("ValidateDN(%q) = %v, want valid", dn, err)
		}
	}
	invalid := []struct{ dn, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"not a dn", ""},
		{"CN=foo,,DC=example", ""},
		{"CN=foo,DC=example,", ""},
		{"=foo,DC=example", ""},
		{"CN=,DC=example", "has no value"},
		{"CN=foo\\", ""},
		{"CN=a,DC=ex\x00ample", "NUL"},
		{"C N=a,DC=example", "neither a name nor an OID"},
		{"1.2..3=a,DC=example", "neither a name nor an OID"},
		{"CN=\xff\xfe,DC=example", "UTF-8"},
		{"*)(objectClass=*", ""},
	}
	for _, tt := range invalid {
		err := ldapconn.ValidateDN(tt.dn)
		if err == nil {
			t.Errorf("ValidateDN(%q) accepted a malformed DN", tt.dn)
			continue
		}
		if !errors.Is(err, ldapconn.ErrInvalidDN) {
			t.Errorf("ValidateDN(%q) = %v, not ErrInvalidDN", tt.dn, err)
		}
		var de *ldapconn.DNError
		if !errors.As(err, &de) || de.DN != tt.dn {
			t.Errorf("ValidateDN(%q) = %#v, want a *DNError naming the DN", tt.dn, err)
		}
		if !strings.Contains(err.Error(), "invalid DN") || (tt.why != "" && !strings.Contains(err.Error(), tt.why)) {
			t.Errorf("ValidateDN(%q) = %q, want it to say %q", tt.dn, err, tt.why)
		}
	}
}

func TestChildDN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attr, value, parent string
		want                string
	}{
		{"CN", "Jane Doe", "OU=Staff,DC=example,DC=com", "CN=Jane Doe,OU=Staff,DC=example,DC=com"},
		{"CN", "Doe, Jane", "OU=Staff,DC=example,DC=com", `CN=Doe\, Jane,OU=Staff,DC=example,DC=com`},
		{"CN", "a+b=c", "DC=example", `CN=a\+b=c,DC=example`},
		{"OU", " leading and trailing ", "DC=example", `OU=\ leading and trailing\ ,DC=example`},
		{"CN", "#hash", "DC=example", `CN=\#hash,DC=example`},
		{"CN", `back\slash"quote`, "DC=example", `CN=back\\slash\"quote,DC=example`},
	}
	for _, tt := range tests {
		got, err := ldapconn.ChildDN(tt.attr, tt.value, tt.parent)
		if err != nil {
			t.Errorf("ChildDN(%q, %q, %q): %v", tt.attr, tt.value, tt.parent, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ChildDN(%q, %q, %q) = %q, want %q", tt.attr, tt.value, tt.parent, got, tt.want)
		}
		// The value survives a parse: the escaping is exact, not lossy.
		parsed, err := ldap.ParseDN(got)
		if err != nil {
			t.Errorf("ParseDN(%q): %v", got, err)
			continue
		}
		if v := parsed.RDNs[0].Attributes[0].Value; v != tt.value {
			t.Errorf("ChildDN(%q) parses back to %q", tt.value, v)
		}
	}
	for _, bad := range []struct{ attr, value, parent string }{
		{"CN", "x", "DC=example,,DC=com"},
		{"CN", "", "DC=example"},
		{"C N", "x", "DC=example"},
		{"CN", "x", ""},
	} {
		if _, err := ldapconn.ChildDN(bad.attr, bad.value, bad.parent); !errors.Is(err, ldapconn.ErrInvalidDN) {
			t.Errorf("ChildDN(%q, %q, %q) = %v, want ErrInvalidDN", bad.attr, bad.value, bad.parent, err)
		}
	}
}

func TestEqualityFilter(t *testing.T) {
	t.Parallel()
	tests := []struct{ attr, value, want string }{
		{"sAMAccountName", "svc-aadconnect", "(sAMAccountName=svc-aadconnect)"},
		{"sAMAccountName", "*", `(sAMAccountName=\2a)`},
		{"sAMAccountName", "*)(objectClass=*", `(sAMAccountName=\2a\29\28objectClass=\2a)`},
		{"cn", `a\b`, `(cn=a\5cb)`},
		{"cn", "nul\x00", `(cn=nul\00)`},
	}
	for _, tt := range tests {
		got := ldapconn.EqualityFilter(tt.attr, tt.value)
		if got != tt.want {
			t.Errorf("EqualityFilter(%q, %q) = %q, want %q", tt.attr, tt.value, got, tt.want)
		}
		f, err := ldap.CompileFilter(got)
		if err != nil {
			t.Errorf("%q does not compile: %v", got, err)
			continue
		}
		// One equality match, whatever the value held.
		if f.Tag != ldap.FilterEqualityMatch {
			t.Errorf("%q compiles to filter tag %d, want one equality match", got, f.Tag)
		}
	}
}
