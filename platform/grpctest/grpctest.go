// Package grpctest starts hybridkit services in-process for tests, on loopback, with their real
// interceptors, and stops them when the test ends.
package grpctest

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/store"
)

// Logger returns a JSON logger that writes through tb.Log, so a service's logs show with the test's.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewJSONHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Store opens a fresh SQLite store in the test's temporary directory.
func Store(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+tb.TempDir()+"/hybridkit.db", store.WithLogger(Logger(tb)))
	if err != nil {
		tb.Fatalf("opening the test store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// Start runs a service's Run on a loopback listener with deps (Logger and Listener are filled in
// when empty), waits until its health reports SERVING, and returns its address. When the test ends
// it stops the service and fails the test if Run returned an error.
func Start(tb testing.TB, deps grpcserver.Deps, run func(ctx context.Context, deps grpcserver.Deps) error) string {
	tb.Helper()
	if deps.Logger == nil {
		deps.Logger = Logger(tb)
	}
	if deps.Listener == nil {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		deps.Listener = lis
	}
	addr := deps.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, deps) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("service at %s: Run returned %v", addr, err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("service at %s did not stop within 30s", addr)
		}
	})
	if err := WaitServing(ctx, addr, 20*time.Second); err != nil {
		select {
		case rerr := <-done:
			tb.Fatalf("service at %s stopped: %v", addr, rerr)
		default:
		}
		tb.Fatalf("service at %s: %v", addr, err)
	}
	return addr
}

// Dial returns a client connection to addr, closed when the test ends.
func Dial(tb testing.TB, addr string) *grpc.ClientConn {
	tb.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cc.Close() })
	return cc
}

// WaitServing polls grpc.health.v1 at addr until it reports SERVING or timeout passes.
func WaitServing(ctx context.Context, addr string, timeout time.Duration) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	hc := healthpb.NewHealthClient(cc)
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = context.DeadlineExceeded
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
