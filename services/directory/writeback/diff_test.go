package writeback

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestPlanGolden: the plan of a grant on an OU like the seeded OU=Staff
// before Entra Connect's grants, as SDDL lines and a unified diff.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	domain, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412")
	opts := secdesc.SDDLOptions{Domain: domain}
	before, err := opts.Parse("O:DAG:DAD:AI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)" +
		"(OA;;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;AO)(A;;LCRPLORC;;;AU)(A;;LCRPLORC;;;ED)" +
		"(OA;CIIOID;RP;4c164200-20c0-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;RU)" +
		"(OA;CIID;RPWPCR;91e647de-d96f-4b70-9557-d63ff4f3ccd8;;PS)(A;CIID;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)(A;CIID;LC;;;RU)")
	if err != nil {
		t.Fatal(err)
	}
	connector, _ := domain.Child(1105)
	after := before.Clone()
	for _, r := range []Right{ResetPassword, WriteLockoutTime, WritePwdLastSet} {
		after.DACL.Add(ScopeACE(r, connector))
	}
	got := unifiedDiff("OU=Staff (before)", "OU=Staff (after)", sddlLines(before, opts), sddlLines(after, opts))
	golden(t, "grant-plan.diff", got)

	// Explicit ACEs only are written; inherited ones stay with the DC.
	w := explicitOnly(after)
	if len(w.DACL.ACEs) != 8 || w.Control != after.Control {
		t.Errorf("explicitOnly kept %d ACEs", len(w.DACL.ACEs))
	}
	if unifiedDiff("a", "b", sddlLines(before, opts), sddlLines(before, opts)) != "" {
		t.Error("a diff of equal descriptors is not empty")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestUnifiedDiffApplies: applying the diff's hunks to a gives b, for random
// edits of random line lists.
func TestUnifiedDiffApplies(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a := make([]string, rng.IntN(30))
		for k := range a {
			a[k] = "l" + strconv.Itoa(rng.IntN(12))
		}
		b := append([]string(nil), a...)
		for range rng.IntN(6) {
			switch pos := rng.IntN(len(b) + 1); {
			case rng.IntN(2) == 0 || len(b) == 0 || pos == len(b):
				b = append(b[:pos], append([]string{"n" + strconv.Itoa(rng.IntN(5))}, b[pos:]...)...)
			default:
				b = append(b[:pos], b[pos+1:]...)
			}
		}
		d := unifiedDiff("a", "b", a, b)
		if got := applyDiff(t, a, d); strings.Join(got, "\n") != strings.Join(b, "\n") {
			t.Fatalf("case %d: applying\n%s\nto %q gives %q, want %q", i, d, a, got, b)
		}
	}
}

// applyDiff applies a unified diff to a, checking context lines.
func applyDiff(t *testing.T, a []string, d string) []string {
	t.Helper()
	if d == "" {
		return a
	}
	lines := strings.Split(strings.TrimSuffix(d, "\n"), "\n")[2:]
	var out []string
	next := 0 // next line of a to copy
	for _, l := range lines {
		if strings.HasPrefix(l, "@@ ") {
			var as, al, bs, bl int
			if _, err := fmtSscanf(l, &as, &al, &bs, &bl); err != nil {
				t.Fatalf("bad hunk header %q", l)
			}
			start := as - 1
			if al == 0 {
				start = as
			}
			out = append(out, a[next:start]...)
			next = start
			continue
		}
		switch l[0] {
		case ' ':
			if a[next] != l[1:] {
				t.Fatalf("context %q, a has %q", l[1:], a[next])
			}
			out = append(out, l[1:])
			next++
		case '-':
			if a[next] != l[1:] {
				t.Fatalf("removing %q, a has %q", l[1:], a[next])
			}
			next++
		case '+':
			out = append(out, l[1:])
		}
	}
	return append(out, a[next:]...)
}

func fmtSscanf(l string, as, al, bs, bl *int) (int, error) {
	return fmt.Sscanf(l, "@@ -%d,%d +%d,%d @@", as, al, bs, bl)
}
