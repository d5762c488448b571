package store

import (
	"testing"
)

// benchBackends are the SQLite backends; the file one pays an fsync per
// commit (synchronous=FULL).
var benchBackends = []backend{backendNamed("sqlite-file"), backendNamed("sqlite-memory")}

func backendNamed(name string) backend {
	for _, b := range backends {
		if b.name == name {
			return b
		}
	}
	panic("no backend " + name)
}

func BenchmarkAppendAudit(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := newStore(b, be)
			ctx := testContext(b)
			rec := AuditRecord{
				Actor:     "svc-deploy",
				Action:    grantMethod,
				Target:    "CN=Jane Doe,OU=Users,DC=corp,DC=example",
				Result:    AuditOK,
				Detail:    "granted Reset Password on 1 object",
				RequestID: "req-1",
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.AppendAudit(ctx, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreateRun(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := newStore(b, be)
			ctx := testContext(b)
			run := Run{Kind: "tlsanalysis.analyze", Actor: "alice", Input: []byte(`{"paths":["/logs/RECV20250101-1.LOG"],"gzip":true}`)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.CreateRun(ctx, run); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreateRunParallel(b *testing.B) {
	s := newStore(b, backendNamed("sqlite-file"))
	ctx := testContext(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateRun(ctx, Run{Kind: "k"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
