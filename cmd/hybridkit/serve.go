package main

import (
	"context"
	"flag"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/platform/app"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/listen"
	"github.com/hybridkit/hybridkit/services/directory"
	"github.com/hybridkit/hybridkit/services/identity"
	"github.com/hybridkit/hybridkit/services/tlsanalysis"
)

// serveProgram runs the three services, each on its own gRPC port, and the gateway in front of them
// over real gRPC connections, in one process with one metrics listener. The services authenticate
// every call (the gateway forwards the Authorization header); --auth off is for loopback only.
func serveProgram() app.Program {
	var (
		idCfg  identity.Config
		dirCfg directory.Config
		tlsCfg tlsanalysis.Config
		gwCfg  gateway.Config
		// insecure allows plaintext listeners on addresses other than loopback.
		insecure bool
	)
	return app.Program{
		Name:               "hybridkit serve",
		DefaultMetricsAddr: "127.0.0.1:9464",
		Store:              true,
		Flags: func(fs *flag.FlagSet) {
			idCfg.Flags(fs, "identity-")
			dirCfg.Flags(fs, "directory-")
			tlsCfg.Flags(fs, "tlsanalysis-")
			gwCfg.Flags(fs, "gateway-")
			fs.BoolVar(&insecure, "insecure-listen", false, "allow plaintext (the gRPC ports; the gateway without --gateway-tls-cert) on addresses other than loopback")
		},
		Run: func(ctx context.Context, rt *app.Runtime) error {
			if rt.Auth.Off() {
				for _, addr := range []string{gwCfg.Addr, idCfg.Addr, dirCfg.Addr, tlsCfg.Addr} {
					if !listen.Loopback(addr) {
						return fmt.Errorf("authentication is off (--auth off): refusing to listen on %s; listen on loopback addresses only, or turn authentication on", addr)
					}
				}
			}
			// The gRPC ports have no TLS yet: like the gateway without a certificate, they stay on
			// loopback unless told otherwise.
			gwCfg.InsecureListen = insecure
			for name, addr := range map[string]string{"identity": idCfg.Addr, "directory": dirCfg.Addr, "tlsanalysis": tlsCfg.Addr} {
				if err := listen.CheckPlaintext(name, addr, insecure); err != nil {
					return err
				}
			}
			if gwCfg.TLSCertFile == "" {
				if err := listen.CheckPlaintext("gateway", gwCfg.Addr, insecure); err != nil {
					return err
				}
			}
			// Listen on every port first: a port in use fails the start before anything serves.
			var lis [3]net.Listener
			for i, addr := range []string{idCfg.Addr, dirCfg.Addr, tlsCfg.Addr} {
				l, err := net.Listen("tcp", addr)
				if err != nil {
					for _, o := range lis[:i] {
						_ = o.Close()
					}
					return fmt.Errorf("listen on %s: %w", addr, err)
				}
				lis[i] = l
			}
			gwCfg.IdentityAddr, gwCfg.DirectoryAddr, gwCfg.TLSAnalysisAddr = lis[0].Addr().String(), lis[1].Addr().String(), lis[2].Addr().String()
			if idCfg.DirectoryAddr == "" {
				idCfg.DirectoryAddr = gwCfg.DirectoryAddr // the writeback readiness check calls the directory in-process
			}
			deps := func(l net.Listener) grpcserver.Deps {
				d := rt.Deps()
				d.Listener = l
				return d
			}
			g, gctx := errgroup.WithContext(ctx)
			g.Go(func() error {
				return identity.Run(gctx, identity.Options{Config: idCfg, Deps: deps(lis[0]), Store: rt.Store})
			})
			g.Go(func() error {
				return directory.Run(gctx, directory.Options{Config: dirCfg, Deps: deps(lis[1]), Store: rt.Store})
			})
			g.Go(func() error {
				return tlsanalysis.Run(gctx, tlsanalysis.Options{Config: tlsCfg, Deps: deps(lis[2]), Store: rt.Store})
			})
			g.Go(func() error {
				return gateway.Run(gctx, gateway.Options{Config: gwCfg, Logger: rt.Logger, Version: version})
			})
			return g.Wait()
		},
	}
}
