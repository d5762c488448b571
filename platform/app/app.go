// Package app runs a hybridkit program: configuration, JSON logs, the metrics listener, signal
// handling, and an orderly stop of everything it started.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/config"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/logging"
	"github.com/hybridkit/hybridkit/platform/metrics"
	"github.com/hybridkit/hybridkit/platform/store"
)

// Runtime is what a program's Run receives: the shared logger, metrics, store and authenticator.
type Runtime struct {
	Logger *slog.Logger
	// Registry is the process's Prometheus registry, served on the metrics listener.
	Registry *prometheus.Registry
	// GRPCMetrics is shared by every gRPC server of the process; it is registered on Registry.
	GRPCMetrics *grpcprom.ServerMetrics
	// Store is the state store, when the program asked for one.
	Store *store.Store
	// Auth authenticates, authorises and audits calls (API tokens in Store, OIDC); it comes with
	// the store.
	Auth *auth.Authenticator
}

// Deps returns the server dependencies a service's Run takes: with an authenticator, every call
// but health checks needs a token and a role, and refusals and writes are audited.
func (rt *Runtime) Deps() grpcserver.Deps {
	d := grpcserver.Deps{Logger: rt.Logger, Metrics: rt.GRPCMetrics}
	if rt.Auth != nil {
		d.Authenticate, d.Audit, d.LoopbackOnly = rt.Auth.AuthFunc, rt.Auth, rt.Auth.Off()
	}
	return d
}

// Program describes one runnable program.
type Program struct {
	// Name names the program in usage and logs.
	Name string
	// DefaultMetricsAddr is the default of --metrics-addr; empty disables metrics by default.
	DefaultMetricsAddr string
	// Flags registers the program's own flags.
	Flags func(fs *flag.FlagSet)
	// Store asks for the --store flag and an open store in Runtime, and with it authentication
	// (--auth, --oidc-*) and Runtime.Auth.
	Store bool
	// Run runs until ctx ends.
	Run func(ctx context.Context, rt *Runtime) error
}

// Main runs the program with the process's arguments and exits; SIGINT and SIGTERM stop it.
func Main(p Program) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := p.Execute(ctx, os.Args[1:], os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		os.Exit(1)
	}
}

// Execute parses args and runs the program until ctx ends. Logs go to logOut.
func (p Program) Execute(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	metricsAddr := fs.String("metrics-addr", p.DefaultMetricsAddr, "Prometheus /metrics listen address (empty: off)")
	var dsn string
	var authCfg auth.Config
	if p.Store {
		fs.StringVar(&dsn, "store", "sqlite:hybridkit.db", "state store: sqlite:PATH, or postgres://... (keep the password in the environment: HYBRIDKIT_STORE)")
		authCfg.Flags(fs)
	}
	if p.Flags != nil {
		p.Flags(fs)
	}
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	logger, err := logging.New(logOut, *level)
	if err != nil {
		return err
	}
	rt := &Runtime{Logger: logger, Registry: metrics.NewRegistry(), GRPCMetrics: grpcserver.NewMetrics()}
	if err := rt.Registry.Register(rt.GRPCMetrics); err != nil {
		return err
	}

	if p.Store {
		st, err := store.Open(ctx, dsn, store.WithLogger(logger))
		if err != nil {
			return err
		}
		defer st.Close()
		rt.Store = st
		a, err := auth.New(auth.Options{Mode: authCfg.Mode, Tokens: st, Audit: st, OIDC: authCfg.OIDC(), Logger: logger,
			RateLimit: authCfg.RateLimit, RateBurst: authCfg.RateBurst})
		if err != nil {
			return err
		}
		if a.Off() {
			logger.Warn("authentication is off (--auth off): every call runs as an anonymous operator; listeners are limited to loopback")
		}
		rt.Auth = a
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	if *metricsAddr != "" {
		lis, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: listen on %s: %w", *metricsAddr, err)
		}
		g.Go(func() error { return metrics.Serve(gctx, lis, rt.Registry, logger) })
	}
	g.Go(func() error {
		defer cancel() // the program ending stops the metrics listener too
		return p.Run(gctx, rt)
	})
	return g.Wait()
}
