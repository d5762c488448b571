// Command gateway serves hybridkit's REST API in front of the three services.
package main

import (
	"context"
	"flag"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/platform/app"
)

func main() {
	var cfg gateway.Config
	app.Main(app.Program{
		Name:               "gateway",
		DefaultMetricsAddr: "127.0.0.1:9464",
		Flags: func(fs *flag.FlagSet) {
			cfg.Flags(fs, "")
			cfg.UpstreamFlags(fs)
			cfg.InsecureListenFlag(fs)
		},
		Run: func(ctx context.Context, rt *app.Runtime) error {
			return gateway.Run(ctx, gateway.Options{Config: cfg, Logger: rt.Logger})
		},
	})
}
