// Command tlsanalysis runs the TLS analysis service on its own.
package main

import (
	"context"
	"flag"

	"github.com/hybridkit/hybridkit/platform/app"
	"github.com/hybridkit/hybridkit/services/tlsanalysis"
)

func main() {
	var cfg tlsanalysis.Config
	app.Main(app.Program{
		Name:               "tlsanalysis",
		DefaultMetricsAddr: "127.0.0.1:9467",
		Store:              true,
		Flags:              func(fs *flag.FlagSet) { cfg.Flags(fs, "") },
		Run: func(ctx context.Context, rt *app.Runtime) error {
			return tlsanalysis.Run(ctx, tlsanalysis.Options{Config: cfg, Deps: rt.Deps(), Store: rt.Store})
		},
	})
}
