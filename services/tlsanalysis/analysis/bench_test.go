package analysis_test

import (
	"bytes"
	"context"
	"runtime"
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

var benchFiles = sync.OnceValues(func() ([]genFile, *loggen.Expected) {
	var files []genFile
	exp, err := loggen.Generate(loggen.Config{Seed: 42, Hours: 8, SessionsPerHour: 3000}, func(name string, data []byte) error {
		files = append(files, genFile{name, data})
		return nil
	})
	if err != nil {
		panic(err)
	}
	return files, exp
})

// BenchmarkAnalyzeParallel analyses 16 hourly files of generated logs with
// one goroutine per GOMAXPROCS, the way AnalyzePaths does.
func BenchmarkAnalyzeParallel(b *testing.B) {
	files, exp := benchFiles()
	b.SetBytes(exp.Bytes)
	b.ReportAllocs()
	workers := runtime.GOMAXPROCS(0)
	for b.Loop() {
		a := analysis.New(analysis.Options{})
		next := make(chan genFile)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for f := range next {
					if err := a.AddFile(context.Background(), f.name, bytes.NewReader(f.data)); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, f := range files {
			next <- f
		}
		close(next)
		wg.Wait()
		if res := a.Finish(); res.Sessions != exp.Sessions || res.IncompleteSessions != 0 {
			b.Fatalf("%d sessions (%d incomplete), want %d", res.Sessions, res.IncompleteSessions, exp.Sessions)
		}
	}
}
