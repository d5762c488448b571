package sambatest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// stopTB records how Env gave up instead of ending the real test.
type stopTB struct {
	testing.TB
}

type stopped struct{ how, msg string }

func (stopTB) Helper() {}
func (stopTB) Fatalf(format string, args ...any) {
	panic(stopped{"fatal", fmt.Sprintf(format, args...)})
}
func (stopTB) Skipf(format string, args ...any) {
	panic(stopped{"skip", fmt.Sprintf(format, args...)})
}

func envOutcome(t *testing.T) (s stopped) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			var ok bool
			if s, ok = r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	sambatest.Env(stopTB{t})
	return stopped{how: "returned"}
}

// TestEnvWithoutDC: not t.Parallel, it changes the environment.
func TestEnvWithoutDC(t *testing.T) {
	for _, name := range []string{"URL", "BIND_DN", "PASSWORD", "BASE_DN"} {
		t.Setenv("HYBRIDKIT_TEST_LDAP_"+name, "")
	}
	t.Setenv("CI", "")
	if got := envOutcome(t); got.how != "skip" || !strings.Contains(got.msg, "scripts/samba-test.sh start") {
		t.Errorf("outside CI: %s %q, want a skip that says how to start the DC", got.how, got.msg)
	}
	t.Setenv("CI", "true")
	if got := envOutcome(t); got.how != "fatal" || !strings.Contains(got.msg, "CI=true") || !strings.Contains(got.msg, "scripts/samba-test.sh start") {
		t.Errorf("in CI: %s %q, want a failure", got.how, got.msg)
	}
}

func TestEnvBadDomainSID(t *testing.T) {
	t.Setenv("HYBRIDKIT_TEST_LDAP_URL", "ldaps://127.0.0.2:636")
	t.Setenv("HYBRIDKIT_TEST_LDAP_BIND_DN", "CN=Administrator,CN=Users,DC=hybrid,DC=test")
	t.Setenv("HYBRIDKIT_TEST_LDAP_PASSWORD", "x")
	t.Setenv("HYBRIDKIT_TEST_LDAP_BASE_DN", "DC=hybrid,DC=test")
	t.Setenv("HYBRIDKIT_TEST_LDAP_DOMAIN_SID", "S-1-5-21-not-a-sid")
	if got := envOutcome(t); got.how != "fatal" || !strings.Contains(got.msg, "DOMAIN_SID") {
		t.Errorf("%s %q, want a failure naming the variable", got.how, got.msg)
	}
}

// TestSeededDomain checks Users and Groups against the running DC, so that
// tests relying on them rely on the truth.
func TestSeededDomain(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	for _, u := range sambatest.Users {
		t.Run(u.SAMAccountName, func(t *testing.T) {
			e, err := c.SearchOne(ctx, s.DN(u.RDN), []string{"sAMAccountName", "adminCount"}, nil)
			if err != nil {
				t.Fatalf("%s: %v", u.RDN, err)
			}
			if got := e.GetAttributeValue("sAMAccountName"); got != u.SAMAccountName {
				t.Errorf("sAMAccountName %q, want %q", got, u.SAMAccountName)
			}
			if got := e.GetAttributeValue("adminCount") == "1"; got != u.AdminCount {
				t.Errorf("adminCount=1 is %v, want %v", got, u.AdminCount)
			}
			raw, err := c.ReadSecurityDescriptor(ctx, s.DN(u.RDN))
			if err != nil {
				t.Fatal(err)
			}
			sd, err := secdesc.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := sd.Control&secdesc.ControlDACLProtected != 0; got != u.Protected {
				t.Errorf("DACL protected is %v, want %v (control %s)", got, u.Protected, sd.Control)
			}
			if u.AdminCount && !u.Protected {
				t.Error("adminCount=1 without AdminSDHolder's protected DACL")
			}
		})
	}

	for _, g := range sambatest.Groups {
		t.Run(g.Name, func(t *testing.T) {
			e, err := c.SearchOne(ctx, s.DN(g.RDN), []string{"sAMAccountName", "member"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, m := range e.GetAttributeValues("member") {
				got = append(got, strings.ToLower(m))
			}
			for _, m := range g.Members {
				want = append(want, strings.ToLower(s.DN(m)))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("members\n got %q\nwant %q", got, want)
			}
		})
	}

	t.Run("no other seeded users", func(t *testing.T) {
		var extra []string
		err := c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, "(&(objectCategory=person)(objectClass=user))",
			[]string{"sAMAccountName"}, nil, func(e *ldap.Entry) error {
				name := e.GetAttributeValue("sAMAccountName")
				if !slices.ContainsFunc(sambatest.Users, func(u sambatest.User) bool { return u.SAMAccountName == name }) &&
					!strings.HasPrefix(name, "bulk.user") {
					extra = append(extra, name)
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if len(extra) > 0 {
			t.Errorf("users missing from sambatest.Users: %v", extra)
		}
	})

	t.Run("connector RID", func(t *testing.T) {
		e, err := c.SearchOne(ctx, s.ConnectorDN, []string{"objectSid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sid, err := secdesc.SIDFromBytes(e.GetRawAttributeValue("objectSid"))
		if err != nil {
			t.Fatal(err)
		}
		if sid != s.SID(sambatest.ConnectorRID) {
			t.Errorf("connector SID %s, want RID %d in %s", sid, sambatest.ConnectorRID, s.DomainSID)
		}
	})

	t.Run("extra users", func(t *testing.T) {
		n := 0
		err := c.Search(ctx, s.DN("OU=Bulk,OU=Staff"), ldapconn.ScopeSubtree, "(&(objectCategory=person)(objectClass=user))", []string{"1.1"}, nil,
			func(*ldap.Entry) error { n++; return nil })
		if errors.Is(err, ldapconn.ErrNoSuchObject) && s.ExtraUsers == 0 {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != s.ExtraUsers {
			t.Errorf("%d users under OU=Bulk,OU=Staff, HYBRIDKIT_TEST_LDAP_EXTRA_USERS says %s", n, strconv.Itoa(s.ExtraUsers))
		}
	})
}
