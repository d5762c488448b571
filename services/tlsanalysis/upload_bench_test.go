package tlsanalysis_test

import (
	"context"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

// BenchmarkUploadLogs measures the gRPC upload path on loopback: client-streaming 1 MiB chunks of a
// generated log into the service, which analyses and stores it. b.SetBytes makes it report MB/s.
func BenchmarkUploadLogs(b *testing.B) {
	data, exp := loggen.Bytes(loggen.Config{Seed: 7, Hours: 1, SessionsPerHour: 20000})
	c := startTLS(b)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		an, err := upload(ctx, c, "bench", 1<<20, file{"RECV2024030400-1.LOG", data})
		if err != nil {
			b.Fatal(err)
		}
		if an.GetSessions() != exp.Sessions {
			b.Fatalf("sessions %d, want %d", an.GetSessions(), exp.Sessions)
		}
	}
}
