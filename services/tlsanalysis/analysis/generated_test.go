package analysis_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

type genFile struct {
	name string
	data []byte
}

func generate(t testing.TB, cfg loggen.Config) ([]genFile, *loggen.Expected) {
	t.Helper()
	var files []genFile
	exp, err := loggen.Generate(cfg, func(name string, data []byte) error {
		files = append(files, genFile{name, data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, exp
}

// checkExpected compares a Result with what the generator wrote.
func checkExpected(t *testing.T, res *analysis.Result, exp *loggen.Expected) {
	t.Helper()
	eq := func(what string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	eq("Files", res.Files, exp.Files)
	eq("Bytes", res.Bytes, exp.Bytes)
	eq("Lines", res.Lines, exp.Lines)
	eq("Records", res.Records, exp.Records)
	eq("HeaderLines", res.HeaderLines, exp.HeaderLines)
	eq("MalformedLines", res.MalformedLines, exp.MalformedLines)
	eq("Sessions", res.Sessions, exp.Sessions)
	eq("IncompleteSessions", res.IncompleteSessions, 0)
	eq("EvictedSessions", res.EvictedSessions, 0)

	for _, d := range []analysis.Direction{analysis.DirectionReceive, analysis.DirectionSend} {
		c := res.Totals[d]
		for o := range analysis.NumOutcomes {
			var got int64
			if c != nil {
				got = c[o]
			}
			eq("Totals["+d.String()+"]["+o.String()+"]", got, exp.Outcomes[loggen.Key{Direction: d.String(), Outcome: o.String()}])
		}
	}

	gotConn := map[loggen.ConnectorKey]int64{}
	var start, anon, must, weak = map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, g := range res.Connectors {
		for o, n := range g.Counts {
			if n != 0 {
				gotConn[loggen.ConnectorKey{Direction: g.Direction.String(), Connector: g.Connector, Outcome: analysis.Outcome(o).String()}] = n
			}
		}
		start[g.Direction.String()] += g.StartTLS
		anon[g.Direction.String()] += g.AnonymousTLS
		must[g.Direction.String()] += g.MustIssueStartTLS
		weak[g.Direction.String()] += g.Weak
	}
	sameMap(t, "connector counts", gotConn, exp.Connectors)
	sameMap(t, "STARTTLS sessions", start, exp.StartTLS)
	sameMap(t, "X-ANONYMOUSTLS sessions", anon, exp.AnonymousTLS)
	sameMap(t, "451 5.7.3 sessions", must, exp.MustIssueStartTLS)
	sameMap(t, "weak sessions", weak, exp.Weak)
	sameMap(t, "unknown protocols", res.UnknownProtocols, exp.UnknownProtocols)
	sameMap(t, "failures", res.Failures, exp.Failures)

	if len(res.Remotes) != len(exp.Remotes) {
		t.Errorf("%d remotes, want %d", len(res.Remotes), len(exp.Remotes))
	}
	for i, r := range res.Remotes {
		want := exp.Remotes[loggen.RemoteKey{Direction: r.Direction.String(), IP: r.IP}]
		if want == nil {
			t.Errorf("unexpected remote %s %s", r.Direction, r.IP)
			continue
		}
		if r.Counts.Total() != want.Sessions || r.Counts.Legacy() != want.Legacy {
			t.Errorf("remote %s %s: %d sessions (%d legacy), want %d (%d)", r.Direction, r.IP, r.Counts.Total(), r.Counts.Legacy(), want.Sessions, want.Legacy)
		}
		if len(r.Names) != 1 || r.Names[0] != want.Name {
			t.Errorf("remote %s %s: names %q, want [%q]", r.Direction, r.IP, r.Names, want.Name)
		}
		if i > 0 && res.Remotes[i-1].Counts.Legacy() < r.Counts.Legacy() {
			t.Errorf("remotes not sorted by legacy sessions at %d", i)
		}
	}

	gotDays := map[string]map[loggen.Key]int64{}
	for _, d := range res.Days {
		day := d.Day.Format("2006-01-02")
		if gotDays[day] == nil {
			gotDays[day] = map[loggen.Key]int64{}
		}
		for o, n := range d.Counts {
			if n != 0 {
				gotDays[day][loggen.Key{Direction: d.Direction.String(), Outcome: analysis.Outcome(o).String()}] = n
			}
		}
	}
	if len(gotDays) != len(exp.Days) {
		t.Errorf("%d days, want %d", len(gotDays), len(exp.Days))
	}
	for day, want := range exp.Days {
		sameMap(t, "day "+day, gotDays[day], want)
	}

	gotCerts := map[string]int64{}
	for _, c := range res.Certificates {
		gotCerts[c.Thumbprint] += c.Sessions
	}
	sameMap(t, "certificates", gotCerts, exp.Certificates)
}

func sameMap[K comparable](t *testing.T, what string, got, want map[K]int64) {
	t.Helper()
	for k, w := range want {
		if w != 0 && got[k] != w {
			t.Errorf("%s[%v] = %d, want %d", what, k, got[k], w)
		}
	}
	for k, g := range got {
		if g != 0 && want[k] == 0 {
			t.Errorf("%s[%v] = %d, want 0", what, k, g)
		}
	}
}

func TestGeneratedLogs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  loggen.Config
	}{
		{"SE hourly", loggen.Config{Seed: 1, Hours: 3, SessionsPerHour: 400}},
		{"SE restarts with reordered fields and garbage", loggen.Config{Seed: 2, Hours: 2, SessionsPerHour: 300, RestartEvery: 500, ReorderOnRestart: true, MalformedEvery: 97}},
		{"Exchange 2010 daily", loggen.Config{Seed: 3, Hours: 30, SessionsPerHour: 40, Exchange2010: true}},
		{"long sessions across files", loggen.Config{Seed: 4, Hours: 4, SessionsPerHour: 100, LongSessions: 0.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, exp := generate(t, tc.cfg)
			if exp.SplitSessions == 0 && tc.cfg.LongSessions > 0 {
				t.Fatalf("generator wrote no session across files")
			}
			a := analysis.New(analysis.Options{})
			for _, f := range files {
				if err := a.AddFile(context.Background(), f.name, bytes.NewReader(f.data)); err != nil {
					t.Fatal(err)
				}
			}
			checkExpected(t, a.Finish(), exp)
		})
	}
}

// TestGeneratedLogsAnyOrder reads the files in shuffled order on several
// goroutines: the sessions split across files must still be stitched back.
func TestGeneratedLogsAnyOrder(t *testing.T) {
	t.Parallel()
	files, exp := generate(t, loggen.Config{Seed: 5, Hours: 6, SessionsPerHour: 200, LongSessions: 0.3})
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	var mu sync.Mutex
	var progress []int64
	a := analysis.New(analysis.Options{Progress: func(n int64) {
		mu.Lock()
		progress = append(progress, n)
		mu.Unlock()
	}})
	var wg sync.WaitGroup
	work := make(chan genFile)
	for range max(runtime.GOMAXPROCS(0), 2) {
		wg.Go(func() {
			for f := range work {
				if err := a.AddFile(context.Background(), f.name, bytes.NewReader(f.data)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	checkExpected(t, a.Finish(), exp)
	if !sort.SliceIsSorted(progress, func(i, j int) bool { return progress[i] < progress[j] }) || len(progress) == 0 || progress[len(progress)-1] != exp.Bytes {
		t.Errorf("progress reports %v, want increasing up to %d", progress, exp.Bytes)
	}
}

// TestAnalyzePaths writes generated logs to disk the way a server keeps them
// (plain hourly files, some gzipped, older ones zipped) and analyses the folder
// with several workers.
func TestAnalyzePaths(t *testing.T) {
	t.Parallel()
	files, exp := generate(t, loggen.Config{Seed: 11, Hours: 6, SessionsPerHour: 150, LongSessions: 0.2})
	root := t.TempDir()
	dir := filepath.Join(root, "TransportRoles", "Logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for i, f := range files {
		var err error
		switch i % 3 {
		case 0:
			err = os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644)
		case 1:
			var b bytes.Buffer
			gw := gzip.NewWriter(&b)
			gw.Write(f.data)
			gw.Close()
			err = os.WriteFile(filepath.Join(dir, f.name+".gz"), b.Bytes(), 0o644)
		case 2:
			var w io.Writer
			if w, err = zw.Create("old/" + f.name); err == nil {
				_, err = w.Write(f.data)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "older.zip"), zbuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := analysis.AnalyzePaths(context.Background(), analysis.Options{}, input.Options{Workers: 3}, []string{root}, []string{"TransportRoles"})
	if err != nil {
		t.Fatal(err)
	}
	checkExpected(t, res, exp)

	_, err = analysis.AnalyzePaths(context.Background(), analysis.Options{}, input.Options{}, []string{root}, []string{"../etc"})
	if !errors.Is(err, input.ErrOutsideRoots) {
		t.Errorf("escape: %v", err)
	}
}
