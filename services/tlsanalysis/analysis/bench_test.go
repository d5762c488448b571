package analysis_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

var benchLog = sync.OnceValues(func() ([]byte, *loggen.Expected) {
	return loggen.Bytes(loggen.Config{Seed: 42, Hours: 2, SessionsPerHour: 12000})
})

// BenchmarkAnalyze runs a full analysis of about 165 MB of generated logs
// (receive and send, 48,000 sessions) from memory on one goroutine.
func BenchmarkAnalyze(b *testing.B) {
	data, exp := benchLog()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		a := analysis.New(analysis.Options{})
		if err := a.AddFile(context.Background(), "bench.LOG", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if res := a.Finish(); res.Sessions != exp.Sessions {
			b.Fatalf("%d sessions, want %d", res.Sessions, exp.Sessions)
		}
	}
}
