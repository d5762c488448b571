package exlog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

type fuzzSummary struct {
	stats exlog.Stats
	recs  []string
	bad   []exlog.Malformed
}

func summarize(t *testing.T, r *exlog.Reader) fuzzSummary {
	var s fuzzSummary
	prev := int64(0)
	for r.Next() {
		x := r.Record()
		switch x.Event {
		case '+', '-', '<', '>', '*':
		default:
			t.Fatalf("line %d: event %q", x.Line, x.Event)
		}
		if x.Sequence < -1 || len(x.SessionID) == 0 || x.Line <= prev {
			t.Fatalf("line %d: sequence %d, session-id %q, previous line %d", x.Line, x.Sequence, x.SessionID, prev)
		}
		prev = x.Line
		s.recs = append(s.recs, strings.Join([]string{x.DateTime.String(), string(x.Connector), string(x.SessionID),
			string(x.Local), string(x.Remote), string(x.Event), string(x.Data), string(x.Context)}, "|"))
	}
	if r.Err() != nil {
		t.Fatalf("Err() = %v", r.Err())
	}
	s.stats = r.Stats()
	s.bad = append(s.bad, r.Malformed()...)
	return s
}

// FuzzReader checks that any input is read without panic, every line is
// accounted for exactly once, and the result does not depend on how the
// input is cut into reads.
func FuzzReader(f *testing.F) {
	matches, _ := filepath.Glob("testdata/*.LOG")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	gen, _ := loggen.Bytes(loggen.Config{Seed: 7, Hours: 1, SessionsPerHour: 3, RestartEvery: 20, ReorderOnRestart: true, MalformedEvery: 9})
	f.Add(gen)
	f.Add([]byte("\xef\xbb\xbf#Fields: event,session-id,date-time\r\n+,1,2024-03-04T10:00:00.000Z\r\n"))
	f.Add([]byte(`2024-03-04T10:00:00.000Z,"a""b",1,0,,,*,"x""","y\r\n"`))
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxLine = 1024
		opts := exlog.Options{MaxLineBytes: maxLine, MaxMalformed: 5}
		a := summarize(t, exlog.NewReaderOptions(bytes.NewReader(in), "f.LOG", opts))
		st := a.stats
		if st.Lines != st.Records+st.HeaderLines+st.BlankLines+st.MalformedLines {
			t.Fatalf("line accounting: %+v", st)
		}
		if st.Bytes != int64(len(in)) {
			t.Fatalf("Bytes = %d, want %d", st.Bytes, len(in))
		}
		wantLines := int64(bytes.Count(in, []byte{'\n'}))
		if len(in) > 0 && in[len(in)-1] != '\n' {
			wantLines++
		}
		if st.Lines != wantLines {
			t.Fatalf("Lines = %d, want %d", st.Lines, wantLines)
		}
		if len(a.bad) > 5 || int64(len(a.bad)) > st.MalformedLines {
			t.Fatalf("%d malformed in detail of %d", len(a.bad), st.MalformedLines)
		}
		for i, m := range a.bad {
			if m.Line < 1 || m.Line > st.Lines || (i > 0 && m.Line <= a.bad[i-1].Line) || m.Reason == "" {
				t.Fatalf("malformed detail %+v", m)
			}
		}
		b := summarize(t, exlog.NewReaderOptions(iotest.OneByteReader(bytes.NewReader(in)), "f.LOG", opts))
		if b.stats != a.stats || len(b.recs) != len(a.recs) {
			t.Fatalf("one byte at a time: %+v, want %+v", b.stats, a.stats)
		}
		for i := range a.recs {
			if a.recs[i] != b.recs[i] {
				t.Fatalf("record %d differs when read one byte at a time:\n%q\n%q", i, a.recs[i], b.recs[i])
			}
		}
	})
}
