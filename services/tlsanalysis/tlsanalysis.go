// Package tlsanalysis is the TLS analysis service: it analyses Exchange SMTP protocol logs for the
// TLS versions mail flows negotiate and keeps the results in the store.
package tlsanalysis

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/store"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// DefaultAddr is the service's default gRPC address.
const DefaultAddr = "127.0.0.1:50053"

// Config is the service's configuration.
type Config struct {
	grpcserver.Config
	// Roots are the folders server-side analyses (CreateAnalysis) may read.
	Roots []string
}

// Flags registers the configuration's flags, prefixed by prefix.
func (c *Config) Flags(fs *flag.FlagSet, prefix string) {
	c.Config.Flags(fs, prefix, DefaultAddr)
	fs.Func(prefix+"roots", "comma-separated folders whose logs CreateAnalysis may read (none: uploads only)", func(v string) error {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				c.Roots = append(c.Roots, r)
			}
		}
		return nil
	})
}

// Options are the service's configuration and dependencies.
type Options struct {
	Config
	grpcserver.Deps
	// Store keeps analyses. Required.
	Store *store.Store
}

// Run serves the service until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Store == nil {
		return errors.New("tlsanalysis: a store is required")
	}
	svc := NewService(opts.Store, opts.Logger, opts.Roots)
	svc.ops.base = ctx
	srv, err := grpcserver.New(grpcserver.Options{
		Config:     opts.Config.Config,
		Deps:       opts.Deps,
		Name:       "tlsanalysis",
		Validators: svc.Validators(),
		Ready:      opts.Store.Ping,
	})
	if err != nil {
		return err
	}
	tlsanalysisv1.RegisterTlsAnalysisServiceServer(srv.GRPC(), svc)
	err = srv.Run(ctx)
	svc.ops.wait() // background analyses see ctx end too, and record that they were cancelled
	return err
}
