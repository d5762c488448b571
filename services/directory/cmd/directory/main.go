// Command directory runs the directory service on its own.
package main

import (
	"context"
	"flag"

	"github.com/hybridkit/hybridkit/platform/app"
	"github.com/hybridkit/hybridkit/services/directory"
)

func main() {
	var cfg directory.Config
	app.Main(app.Program{
		Name:               "directory",
		DefaultMetricsAddr: "127.0.0.1:9466",
		Store:              true,
		Flags:              func(fs *flag.FlagSet) { cfg.Flags(fs, "") },
		Run: func(ctx context.Context, rt *app.Runtime) error {
			return directory.Run(ctx, directory.Options{Config: cfg, Deps: rt.Deps(), Store: rt.Store})
		},
	})
}
