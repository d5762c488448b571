package exlog_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

var benchLog = sync.OnceValues(func() ([]byte, *loggen.Expected) {
	return loggen.Bytes(loggen.Config{Seed: 42, Hours: 2, SessionsPerHour: 12000})
})

// BenchmarkReader reads about 64 MB of generated logs from memory.
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
