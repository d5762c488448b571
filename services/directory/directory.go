// Package directory is the directory service: it audits and grants the Active Directory permissions
// that Entra Connect password writeback needs.
package directory

import (
	"context"
	"errors"
	"flag"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
)

// DefaultAddr is the service's default gRPC address.
const DefaultAddr = "127.0.0.1:50052"

// Config is the service's configuration.
type Config struct {
	grpcserver.Config
}

// Flags registers the configuration's flags, prefixed by prefix.
func (c *Config) Flags(fs *flag.FlagSet, prefix string) {
	c.Config.Flags(fs, prefix, DefaultAddr)
}

// Options are the service's configuration and dependencies.
type Options struct {
	Config
	grpcserver.Deps
	// Store keeps descriptor backups and audit records. Required.
	Store *store.Store
}

// Run serves the service until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Store == nil {
		return errors.New("directory: a store is required")
	}
	svc := NewService(opts.Logger)
	srv, err := grpcserver.New(grpcserver.Options{
		Config:     opts.Config.Config,
		Deps:       opts.Deps,
		Name:       "directory",
		Validators: svc.Validators(),
		Ready:      opts.Store.Ping,
	})
	if err != nil {
		return err
	}
	directoryv1.RegisterDirectoryServiceServer(srv.GRPC(), svc)
	return srv.Run(ctx)
}
