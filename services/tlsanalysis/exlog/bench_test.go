package exlog_test

import (
	"bytes"
	"flag"
	"os"
	"sync"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

var benchLog = sync.OnceValues(func() ([]byte, *loggen.Expected) {
	return loggen.Bytes(loggen.Config{Seed: 42, Hours: 2, SessionsPerHour: 12000})
})

var benchFile = flag.String("benchfile", "", "write the benchmark log to this file, e.g. to time grep -c SP_PROT_ on it")

// TestWriteBenchLog writes the log the benchmarks read:
//
//	go test -run WriteBenchLog ./exlog -args -benchfile /tmp/bench.log
func TestWriteBenchLog(t *testing.T) {
	if *benchFile == "" {
		t.Skip("no -benchfile")
	}
	data, exp := benchLog()
	if err := os.WriteFile(*benchFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes, %d lines, %d sessions", *benchFile, len(data), exp.Lines, exp.Sessions)
}

// BenchmarkReader reads about 165 MB of generated logs (receive and send,
// 48,000 sessions) from memory.
func BenchmarkReader(b *testing.B) {
	data, exp := benchLog()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	src := bytes.NewReader(data)
	r := exlog.NewReader(src, "bench.LOG")
	for b.Loop() {
		src.Reset(data)
		r.Reset(src, "bench.LOG")
		n := int64(0)
		for r.Next() {
			n++
		}
		if n != exp.Records {
			b.Fatalf("%d records, want %d", n, exp.Records)
		}
	}
}
