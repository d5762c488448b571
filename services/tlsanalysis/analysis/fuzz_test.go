package analysis_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

// FuzzAnalysis checks that any input is analysed without panic and that the
// aggregates agree with each other: every session is counted once in the
// totals, per connector, per remote and per day, and every line once.
func FuzzAnalysis(f *testing.F) {
	matches, _ := filepath.Glob("testdata/*/*.LOG")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false, 0)
	}
	gen, _ := loggen.Bytes(loggen.Config{Seed: 3, Hours: 1, SessionsPerHour: 4, RestartEvery: 30, ReorderOnRestart: true, MalformedEvery: 11})
	f.Add(gen, true, len(gen)/2)
	f.Fuzz(func(t *testing.T, in []byte, send bool, cut int) {
		name := "RECV2024030410-1.LOG"
		if send {
			name = "SEND2024030410-1.LOG"
		}
		// Cut the input in two files at a line boundary.
		first, second := in, []byte(nil)
		if cut > 0 && cut < len(in) {
			if i := bytes.IndexByte(in[cut:], '\n'); i >= 0 {
				first, second = in[:cut+i+1], in[cut+i+1:]
			}
		}
		var reported int64
		a := analysis.New(analysis.Options{MaxOpenSessions: 8, MaxMalformed: 3, MaxLineBytes: 2048,
			OnSession: func(*analysis.Session) { reported++ }})
		for _, part := range [][]byte{first, second} {
			if err := a.AddFile(context.Background(), name, bytes.NewReader(part)); err != nil {
				t.Fatal(err)
			}
		}
		res := a.Finish()
		if res.Lines != res.Records+res.HeaderLines+res.BlankLines+res.MalformedLines {
			t.Fatalf("line accounting: %+v", res)
		}
		wantLines := int64(0)
		for _, part := range [][]byte{first, second} {
			wantLines += int64(bytes.Count(part, []byte{'\n'}))
			if len(part) > 0 && part[len(part)-1] != '\n' {
				wantLines++
			}
		}
		if res.Lines != wantLines || res.Bytes != int64(len(in)) {
			t.Fatalf("%d lines, %d bytes; want %d, %d", res.Lines, res.Bytes, wantLines, len(in))
		}
		if len(res.Malformed) > 3 || int64(len(res.Malformed)) > res.MalformedLines {
			t.Fatalf("%d malformed listed of %d", len(res.Malformed), res.MalformedLines)
		}
		var totals, conns, remotes, days, tls int64
		var none int64
		for _, c := range res.Totals {
			totals += c.Total()
			none += c[analysis.OutcomeNone]
		}
		for _, g := range res.Connectors {
			conns += g.Counts.Total()
			if g.StartTLS+g.AnonymousTLS > g.Counts.Total() || g.Weak > g.Counts.Total() {
				t.Fatalf("connector %+v", g)
			}
		}
		for _, r := range res.Remotes {
			remotes += r.Counts.Total()
			if r.FirstSeen.After(r.LastSeen) || len(r.Names) > 16 {
				t.Fatalf("remote %+v", r)
			}
		}
		for _, d := range res.Days {
			days += d.Counts.Total()
		}
		for _, c := range res.Ciphers {
			tls += c.Sessions
		}
		for _, n := range res.Failures {
			tls += n
		}
		if totals != res.Sessions || conns != res.Sessions || remotes != res.Sessions || days != res.Sessions ||
			reported != res.Sessions || tls != res.Sessions-none {
			t.Fatalf("sessions %d: totals %d, connectors %d, remotes %d, days %d, reported %d, with TLS %d (none %d)",
				res.Sessions, totals, conns, remotes, days, reported, tls, none)
		}
		if res.EvictedSessions > res.Sessions || res.IncompleteSessions > res.Sessions {
			t.Fatalf("evicted %d incomplete %d of %d", res.EvictedSessions, res.IncompleteSessions, res.Sessions)
		}
	})
}
