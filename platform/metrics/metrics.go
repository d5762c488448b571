// Package metrics holds hybridkit's Prometheus registry and the listener that serves it, apart
// from the API ports.
package metrics

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hybridkit/hybridkit/platform/httpserve"
)

// NewRegistry returns a registry with the Go runtime and process collectors registered.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the registry's metrics at /metrics.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

// Serve serves /metrics on lis until ctx ends.
func Serve(ctx context.Context, lis net.Listener, g prometheus.Gatherer, logger *slog.Logger) error {
	srv := &http.Server{Handler: Handler(g), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("metrics listening", "addr", lis.Addr().String())
	return httpserve.Serve(ctx, srv, lis, 5*time.Second)
}
