package ldapconn_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// BenchmarkUsersDACL reads sAMAccountName, adminCount and the DACL (SD flags
// 4) of every user in pages of 500, what the coverage audit reads, and
// reports ldapsearch doing the same for comparison ("ldapsearch-ns/op" and
// "x-ldapsearch", our time over its). For a large directory:
//
//	scripts/samba-test.sh start --users 10000; eval "$(scripts/samba-test.sh env)"
//	go test ./ldapconn -run '^$' -bench UsersDACL -benchtime 10x
func BenchmarkUsersDACL(b *testing.B) {
	s := sambatest.Env(b)
	cfg := s.Config()
	cfg.PageSize = 500
	c := sambatest.Dial(b, cfg)
	ctx := context.Background()
	attrs := []string{"sAMAccountName", "adminCount", ldapconn.AttrSecurityDescriptor}
	controls := []ldap.Control{ldapconn.SDFlagsControl(ldapconn.SDFlagsDACL)}
	want := len(sambatest.Users) + s.ExtraUsers

	for _, bc := range []struct {
		name  string
		parse bool
	}{{"search", false}, {"search+parse", true}} {
		b.Run(bc.name, func(b *testing.B) {
			n, iterations := 0, 0
			start := time.Now()
			for b.Loop() {
				n = 0
				err := c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, usersFilter, attrs, controls, func(e *ldap.Entry) error {
					n++
					raw := e.GetRawAttributeValue(ldapconn.AttrSecurityDescriptor)
					if len(raw) == 0 {
						b.Fatalf("%s: no nTSecurityDescriptor", e.DN)
					}
					if bc.parse {
						if _, err := secdesc.Parse(raw); err != nil {
							b.Fatalf("%s: %v", e.DN, err)
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				iterations++
			}
			perOp := time.Since(start) / time.Duration(iterations)
			if n != want {
				b.Fatalf("read %d users, want %d", n, want)
			}
			b.ReportMetric(float64(n), "users/op")
			if ls, ok := timeLDAPSearch(b, s, want); ok {
				b.ReportMetric(float64(ls.Nanoseconds()), "ldapsearch-ns/op")
				b.ReportMetric(float64(perOp)/float64(ls), "x-ldapsearch")
			}
		})
	}
}

// timeLDAPSearch runs OpenLDAP's ldapsearch for the same read as the
// benchmark (scripts/samba-test.sh bench runs the same command) and returns
// its best time of three.
func timeLDAPSearch(b *testing.B, s sambatest.Settings, want int) (time.Duration, bool) {
	b.Helper()
	path, err := exec.LookPath("ldapsearch")
	if err != nil {
		b.Logf("no ldapsearch to compare with: %v", err)
		return 0, false
	}
	best := time.Duration(0)
	for range 3 {
		cmd := exec.Command(path, "-LLL", "-x", "-H", s.URL, "-D", s.BindDN, "-y", passwordFile(b, s.Password),
			"-b", s.BaseDN, "-E", "pr=500/noprompt", "-E", "!1.2.840.113556.1.4.801=::MAMCAQQ=",
			usersFilter, "sAMAccountName", "adminCount", "nTSecurityDescriptor")
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile, "LDAPTLS_REQCERT=demand")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("ldapsearch: %v: %s", err, errOut.String())
		}
		d := time.Since(t0)
		n := 0
		for sc := bufio.NewScanner(&out); sc.Scan(); {
			if bytes.HasPrefix(sc.Bytes(), []byte("dn: ")) {
				n++
			}
		}
		if n != want {
			b.Fatalf("ldapsearch read %d users, want %d", n, want)
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best, true
}

// passwordFile keeps the password off ldapsearch's command line.
func passwordFile(b *testing.B, password string) string {
	b.Helper()
	f, err := os.CreateTemp(b.TempDir(), "pw")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(password); err != nil {
		b.Fatal(err)
	}
	return f.Name()
}
