// Package gatewaytest starts the REST gateway in-process for tests, in front of services started
// with grpctest, and stops it when the test ends.
package gatewaytest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/platform/grpctest"
)

// Start runs the gateway on a loopback port with cfg (service addresses must be set; other zero
// fields take their defaults) and returns its base URL, such as http://127.0.0.1:41234.
func Start(tb testing.TB, cfg gateway.Config) string {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Options{Config: cfg, Logger: grpctest.Logger(tb), Listener: lis, Version: "test"})
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("gateway: Run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Error("gateway did not stop within 30s")
		}
	})
	base := "http://" + lis.Addr().String()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + gateway.HealthzPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gateway at %s not healthy: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
