// Command identity runs the identity service on its own.
package main

import (
	"context"
	"flag"

	"github.com/hybridkit/hybridkit/platform/app"
	"github.com/hybridkit/hybridkit/services/identity"
)

func main() {
	var cfg identity.Config
	app.Main(app.Program{
		Name:               "identity",
		DefaultMetricsAddr: "127.0.0.1:9465",
		Store:              true,
		Flags:              func(fs *flag.FlagSet) { cfg.Flags(fs, "") },
		Run: func(ctx context.Context, rt *app.Runtime) error {
			return identity.Run(ctx, identity.Options{Config: cfg, Deps: rt.Deps(), Store: rt.Store})
		},
	})
}
