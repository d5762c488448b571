// Package grpcserver is the gRPC server every hybridkit service runs on: health (NOT_SERVING until
// ready), reflection, the interceptor chain, and a graceful shutdown sequence.
package grpcserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/listen"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
)

// Config is the part of a service's configuration that concerns its gRPC listener.
type Config struct {
	// Addr is the host:port to listen on.
	Addr string
	// ShutdownDelay is how long health reports NOT_SERVING before the server stops accepting, so
	// that load balancers take it out first.
	ShutdownDelay time.Duration
	// ShutdownTimeout bounds the graceful drain; calls still running after it are cancelled.
	ShutdownTimeout time.Duration
	// MaxRecvMsgBytes bounds one received message.
	MaxRecvMsgBytes int
}

// Flags registers the configuration's flags, each name prefixed by prefix (for example
// "tlsanalysis-" when several services share a flag set).
func (c *Config) Flags(fs *flag.FlagSet, prefix, defaultAddr string) {
	fs.StringVar(&c.Addr, prefix+"addr", defaultAddr, "gRPC listen address")
	fs.DurationVar(&c.ShutdownDelay, prefix+"shutdown-delay", time.Second, "how long health fails before the gRPC server stops accepting")
	fs.DurationVar(&c.ShutdownTimeout, prefix+"shutdown-timeout", 15*time.Second, "longest graceful drain of gRPC calls")
	fs.IntVar(&c.MaxRecvMsgBytes, prefix+"max-recv-msg-bytes", 8<<20, "largest gRPC message accepted, in bytes")
}

// Validator checks one request message and returns an InvalidArgument error (see rpcerr.BadRequest)
// that says what is wrong, or nil.
type Validator func(req any) error

// Deps are the dependencies every service passes through to its server unchanged.
type Deps struct {
	// Logger receives the access log and errors. Required.
	Logger *slog.Logger
	// Metrics is the gRPC server metrics collector; share one between servers of one process.
	// When nil, one is made and registered on Registerer.
	Metrics *grpcprom.ServerMetrics
	// Registerer receives Metrics when the server makes them; nil means no registration.
	Registerer prometheus.Registerer
	// Authenticate checks a call's credentials and returns the context handlers see. Nil allows every
	// call. Health checks never reach it.
	Authenticate auth.AuthFunc
	// Audit, when set, wraps Authenticate and everything after it for every call but health checks,
	// so that it sees the calls Authenticate refuses as well as the outcome of the others.
	Audit Auditor
	// Listener, when set, is used instead of listening on Addr (tests use 127.0.0.1:0).
	Listener net.Listener
	// LoopbackOnly makes Run refuse to serve on an address that is not loopback; it is set when
	// authentication is off.
	LoopbackOnly bool
}

// Auditor records calls: it gets interceptors that run just outside authentication.
type Auditor interface {
	UnaryServerInterceptor() grpc.UnaryServerInterceptor
	StreamServerInterceptor() grpc.StreamServerInterceptor
}

// Options are a Server's configuration and dependencies.
type Options struct {
	Config
	Deps
	// Name names the service in logs.
	Name string
	// Validators check requests by full method name (/package.Service/Method).
	Validators map[string]Validator
	// Ready, when set, must succeed before health reports SERVING.
	Ready func(context.Context) error
}

// Server is a gRPC server with hybridkit's interceptors, health and reflection.
type Server struct {
	opts   Options
	grpc   *grpc.Server
	health *health.Server
}

// NewMetrics returns the gRPC server metrics hybridkit records (with handling-time histograms).
func NewMetrics() *grpcprom.ServerMetrics {
	return grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
}

// New builds the server. Register services on GRPC() before calling Run.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		return nil, errors.New("grpcserver: a logger is required")
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
		if opts.Registerer != nil {
			if err := opts.Registerer.Register(opts.Metrics); err != nil {
				return nil, fmt.Errorf("grpcserver: registering metrics: %w", err)
			}
		}
	}
	if opts.MaxRecvMsgBytes <= 0 {
		opts.MaxRecvMsgBytes = 8 << 20
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	logger := opts.Logger.With("service", opts.Name)
	opts.Logger = logger

	authFn := opts.Authenticate
	if authFn == nil {
		authFn = func(ctx context.Context) (context.Context, error) { return ctx, nil }
	}
	notHealth := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
		return c.Service != healthpb.Health_ServiceDesc.ServiceName
	})
	recoverOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		ref := rpcerr.Reference()
		logger.ErrorContext(ctx, "panic in handler", "ref", ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return status.Errorf(codes.Internal, "internal error (reference %s)", ref)
	})
	accessLog := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		logger.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}
	auditUnary, auditStream := passUnary, passStream
	if opts.Audit != nil {
		auditUnary = selector.UnaryServerInterceptor(opts.Audit.UnaryServerInterceptor(), notHealth)
		auditStream = selector.StreamServerInterceptor(opts.Audit.StreamServerInterceptor(), notHealth)
	}

	// The chain, outermost first:
	//  1. metrics see every call, including the ones later stages reject;
	//  2. the access log records the final code and duration of every call;
	//  3. audit records what auth refuses and the outcome of writes (health is exempt);
	//  4. auth rejects unauthenticated and unauthorised calls before any input is looked at (health
	//     is exempt);
	//  5. validation turns bad input into InvalidArgument before handlers run;
	//  6. recovery, innermost, turns a handler panic into Internal with a reference, never panic text.
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(opts.MaxRecvMsgBytes),
		grpc.ChainUnaryInterceptor(
			opts.Metrics.UnaryServerInterceptor(),
			logging.UnaryServerInterceptor(accessLog, logOpts...),
			auditUnary,
			selector.UnaryServerInterceptor(auth.UnaryServerInterceptor(authFn), notHealth),
			validateUnary(opts.Validators),
			recovery.UnaryServerInterceptor(recoverOpt),
		),
		grpc.ChainStreamInterceptor(
			opts.Metrics.StreamServerInterceptor(),
			logging.StreamServerInterceptor(accessLog, logOpts...),
			auditStream,
			selector.StreamServerInterceptor(auth.StreamServerInterceptor(authFn), notHealth),
			validateStream(opts.Validators),
			recovery.StreamServerInterceptor(recoverOpt),
		),
	)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	return &Server{opts: opts, grpc: srv, health: hs}, nil
}

// GRPC returns the underlying server, to register services on.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Run serves until ctx ends, then shuts down in order: 1. health reports NOT_SERVING; 2. wait
// ShutdownDelay; 3. GracefulStop; 4. Stop if the drain outlasts ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	lis := s.opts.Listener
	if lis == nil {
		var err error
		if lis, err = net.Listen("tcp", s.opts.Addr); err != nil {
			return fmt.Errorf("%s: listen on %s: %w", s.opts.Name, s.opts.Addr, err)
		}
	}
	if addr := lis.Addr().String(); s.opts.LoopbackOnly && !listen.Loopback(addr) {
		_ = lis.Close()
		return fmt.Errorf("%s: authentication is off (--auth off): refusing to serve on %s; listen on a loopback address or turn authentication on", s.opts.Name, addr)
	}
	s.opts.Metrics.InitializeMetrics(s.grpc)
	errc := make(chan error, 1)
	go func() { errc <- s.grpc.Serve(lis) }()
	s.opts.Logger.Info("gRPC listening", "addr", lis.Addr().String())

	if s.opts.Ready != nil {
		if err := s.opts.Ready(ctx); err != nil {
			s.grpc.Stop()
			<-errc
			return fmt.Errorf("%s: not ready: %w", s.opts.Name, err)
		}
	}
	s.setServing(healthpb.HealthCheckResponse_SERVING)

	select {
	case err := <-errc:
		s.health.Shutdown()
		return fmt.Errorf("%s: serve: %w", s.opts.Name, err)
	case <-ctx.Done():
	}
	s.opts.Logger.Info("shutting down", "delay", s.opts.ShutdownDelay.String(), "timeout", s.opts.ShutdownTimeout.String())
	s.health.Shutdown()
	if s.opts.ShutdownDelay > 0 {
		time.Sleep(s.opts.ShutdownDelay)
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(s.opts.ShutdownTimeout):
		s.opts.Logger.Warn("graceful drain timed out; cancelling calls still running")
		s.grpc.Stop()
		<-stopped
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("%s: serve: %w", s.opts.Name, err)
	}
	s.opts.Logger.Info("stopped")
	return nil
}

func (s *Server) setServing(st healthpb.HealthCheckResponse_ServingStatus) {
	s.health.SetServingStatus("", st)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, st)
	}
}

func passUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(ctx, req)
}

func passStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, ss)
}

func validateUnary(v map[string]Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if fn := v[info.FullMethod]; fn != nil {
			if err := fn(req); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

func validateStream(v map[string]Validator) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if fn := v[info.FullMethod]; fn != nil {
			ss = &validatingStream{ServerStream: ss, fn: fn}
		}
		return handler(srv, ss)
	}
}

type validatingStream struct {
	grpc.ServerStream
	fn Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.fn(m)
}
