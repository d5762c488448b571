// Package gateway serves hybridkit's REST API: every RPC through grpc-gateway over one gRPC client
// connection per service, the OpenAPI document, /healthz backed by the services' health, and raw
// log uploads for scripts.
package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hybridkit/hybridkit/platform/httpserve"
	"github.com/hybridkit/hybridkit/platform/listen"
	hkproto "github.com/hybridkit/hybridkit/proto"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// Paths served besides the API.
const (
	HealthzPath = "/healthz"
	OpenAPIPath = "/openapi.json"
	UploadPath  = "/v1/analyses:upload"
)

// Config is the gateway's configuration.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string
	// IdentityAddr, DirectoryAddr and TLSAnalysisAddr are the services' gRPC addresses.
	IdentityAddr, DirectoryAddr, TLSAnalysisAddr string
	// MaxBodyBytes bounds a JSON request body.
	MaxBodyBytes int64
	// MaxUploadBytes bounds a raw log upload (0: no limit).
	MaxUploadBytes int64
	// ShutdownTimeout bounds the drain of requests in flight.
	ShutdownTimeout time.Duration
	// TLSCertFile and TLSKeyFile, when set, serve HTTPS with this PEM certificate and key (read
	// again when the files change).
	TLSCertFile, TLSKeyFile string
	// InsecureListen allows plain HTTP on an address other than loopback (for example behind a
	// TLS-terminating proxy); without it the gateway refuses to start there.
	InsecureListen bool
	// CORSOrigins lists the browser origins allowed to call the API (comma-separated; "*" for any).
	// Empty: no cross-origin access.
	CORSOrigins string
}

// DefaultAddr is the gateway's default listen address.
const DefaultAddr = "127.0.0.1:8080"

// UpstreamFlags registers the services' addresses (the separate gateway binary needs them;
// `hybridkit serve` wires them itself).
func (c *Config) UpstreamFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.IdentityAddr, "identity-addr", "127.0.0.1:50051", "identity service gRPC address")
	fs.StringVar(&c.DirectoryAddr, "directory-addr", "127.0.0.1:50052", "directory service gRPC address")
	fs.StringVar(&c.TLSAnalysisAddr, "tlsanalysis-addr", "127.0.0.1:50053", "tlsanalysis service gRPC address")
}

// Flags registers the HTTP side's flags, prefixed by prefix.
func (c *Config) Flags(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&c.Addr, prefix+"addr", DefaultAddr, "REST gateway listen address")
	fs.Int64Var(&c.MaxBodyBytes, prefix+"max-body-bytes", 1<<20, "largest JSON request body, in bytes")
	fs.Int64Var(&c.MaxUploadBytes, prefix+"max-upload-bytes", 0, "largest raw log upload, in bytes (0: no limit)")
	fs.DurationVar(&c.ShutdownTimeout, prefix+"shutdown-timeout", 15*time.Second, "longest drain of requests in flight")
	fs.StringVar(&c.TLSCertFile, prefix+"tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; reloaded when it changes")
	fs.StringVar(&c.TLSKeyFile, prefix+"tls-key", "", "PEM private key of --"+prefix+"tls-cert")
	fs.StringVar(&c.CORSOrigins, prefix+"cors-origins", "", "browser origins allowed to call the API, comma-separated (empty: none)")
}

// InsecureListenFlag registers --insecure-listen (the separate gateway binary's; `hybridkit serve`
// has one for all its listeners).
func (c *Config) InsecureListenFlag(fs *flag.FlagSet) {
	fs.BoolVar(&c.InsecureListen, "insecure-listen", false, "allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy)")
}

// Options are the gateway's configuration and dependencies.
type Options struct {
	Config
	// Logger is required.
	Logger *slog.Logger
	// Version is reported in the OpenAPI document.
	Version string
	// DialOptions replace the default (plaintext) transport options of the service connections.
	DialOptions []grpc.DialOption
	// Listener, when set, is used instead of listening on Addr.
	Listener net.Listener
}

// Gateway is the REST front of the services.
type Gateway struct {
	opts    Options
	conns   map[string]*grpc.ClientConn
	handler http.Handler
	mux     *runtime.ServeMux
	tls     tlsanalysisv1.TlsAnalysisServiceClient
	openapi []byte
}

var marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false, UseProtoNames: true},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}

// New connects to the services (lazily: grpc.NewClient does not block) and builds the handler.
func New(ctx context.Context, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		return nil, errors.New("gateway: a logger is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	dial := opts.DialOptions
	if dial == nil {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	g := &Gateway{opts: opts, conns: map[string]*grpc.ClientConn{}}
	for name, addr := range map[string]string{"identity": opts.IdentityAddr, "directory": opts.DirectoryAddr, "tlsanalysis": opts.TLSAnalysisAddr} {
		if addr == "" {
			return nil, fmt.Errorf("gateway: no address for the %s service", name)
		}
		cc, err := grpc.NewClient(addr, dial...)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("gateway: %s service at %s: %w", name, addr, err)
		}
		g.conns[name] = cc
	}
	g.mux = runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: marshaler}),
		runtime.WithErrorHandler(g.errorHandler),
		runtime.WithForwardResponseOption(fileResponse),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
	)
	if err := identityv1.RegisterIdentityServiceHandler(ctx, g.mux, g.conns["identity"]); err != nil {
		return nil, err
	}
	if err := directoryv1.RegisterDirectoryServiceHandler(ctx, g.mux, g.conns["directory"]); err != nil {
		return nil, err
	}
	if err := tlsanalysisv1.RegisterTlsAnalysisServiceHandler(ctx, g.mux, g.conns["tlsanalysis"]); err != nil {
		return nil, err
	}
	g.tls = tlsanalysisv1.NewTlsAnalysisServiceClient(g.conns["tlsanalysis"])
	doc, err := openAPIDocument(opts.Version)
	if err != nil {
		return nil, err
	}
	g.openapi = doc

	root := http.NewServeMux()
	root.HandleFunc("GET "+HealthzPath, g.healthz)
	root.HandleFunc("GET "+OpenAPIPath, g.serveOpenAPI)
	root.Handle("/", g.limitBody(g.mux))
	g.handler = securityHeaders(cors(g.routeUploads(root), splitList(opts.CORSOrigins)), opts.TLSCertFile != "")
	return g, nil
}

func defaultIncomingHeader(key string) (string, bool) { return runtime.DefaultHeaderMatcher(key) }

func defaultOutgoingHeader(key string) (string, bool) {
	return runtime.MetadataHeaderPrefix + key, true
}

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close closes the service connections.
func (g *Gateway) Close() {
	for _, cc := range g.conns {
		_ = cc.Close()
	}
}

// Run serves the gateway until ctx ends. Without TLS it refuses an address other than loopback
// unless InsecureListen is set.
func Run(ctx context.Context, opts Options) error {
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return errors.New("gateway: give both a TLS certificate and its key, or neither")
	}
	if opts.Listener == nil && opts.TLSCertFile == "" {
		if err := listen.CheckPlaintext("gateway", opts.Addr, opts.InsecureListen); err != nil {
			return err
		}
	}
	g, err := New(ctx, opts)
	if err != nil {
		return err
	}
	defer g.Close()
	var tlsCfg *tls.Config
	if opts.TLSCertFile != "" {
		if tlsCfg, err = serverTLS(opts.TLSCertFile, opts.TLSKeyFile); err != nil {
			return err
		}
	}
	lis := opts.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", opts.Addr); err != nil {
			return fmt.Errorf("gateway: listen on %s: %w", opts.Addr, err)
		}
	} else if tlsCfg == nil {
		if err := listen.CheckPlaintext("gateway", lis.Addr().String(), opts.InsecureListen); err != nil {
			return err
		}
	}
	if tlsCfg != nil {
		lis = tls.NewListener(lis, tlsCfg)
	}
	srv := &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	opts.Logger.Info("gateway listening", "addr", lis.Addr().String(), "tls", tlsCfg != nil)
	err = httpserve.Serve(ctx, srv, lis, timeout)
	opts.Logger.Info("gateway stopped")
	return err
}

// fileResponse gives responses that carry a file (a google.api.HttpBody in response_body) the
// file's content type and a download name, so curl -OJ and browsers save it as it should be.
func fileResponse(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	f, ok := m.(interface {
		GetBody() *httpbody.HttpBody
		GetFileName() string
	})
	if !ok || f.GetBody() == nil {
		return nil
	}
	if ct := f.GetBody().GetContentType(); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if n := f.GetFileName(); n != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": n}))
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return nil
}

// errorHandler writes google.rpc.Status JSON with the documented code→HTTP mapping (Unauthenticated
// 401 with WWW-Authenticate, PermissionDenied 403, ResourceExhausted 429 with Retry-After), and
// 413 for a body over the limit.
func (g *Gateway) errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	w = authHeaders(w, r, err)
	var mbe *http.MaxBytesError
	// Generated handlers report a tripped MaxBytesReader as InvalidArgument with this text.
	if errors.As(err, &mbe) || (status.Code(err) == codes.InvalidArgument && status.Convert(err).Message() == "http: request body too large") {
		err = &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge,
			Err: status.Errorf(codes.ResourceExhausted, "request body is larger than %d bytes", g.opts.MaxBodyBytes)}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// limitBody refuses bodies over MaxBodyBytes: at once when Content-Length says so, else when
// reading passes the limit.
func (g *Gateway) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > g.opts.MaxBodyBytes {
			g.writeError(w, r, &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge,
				Err: status.Errorf(codes.ResourceExhausted, "request body is larger than %d bytes", g.opts.MaxBodyBytes)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, g.opts.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	g.errorHandler(r.Context(), g.mux, marshaler, w, r, err)
}

// healthz asks every service's grpc.health.v1 and answers 200 only when all are SERVING.
func (g *Gateway) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	type result struct {
		Status   string            `json:"status"`
		Services map[string]string `json:"services"`
	}
	res := result{Status: "SERVING", Services: map[string]string{}}
	for name, cc := range g.conns {
		st := "UNREACHABLE"
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			st = resp.GetStatus().String()
		}
		res.Services[name] = st
		if st != "SERVING" {
			res.Status = "NOT_SERVING"
		}
	}
	code := http.StatusOK
	if res.Status != "SERVING" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(res)
}

func (g *Gateway) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(g.openapi)))
	_, _ = w.Write(g.openapi)
}

// openAPIDocument returns the generated document with the product's title and version.
func openAPIDocument(version string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(hkproto.OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("gateway: embedded OpenAPI document: %w", err)
	}
	if version == "" {
		version = "dev"
	}
	doc["info"] = map[string]any{
		"title":       "hybridkit API",
		"version":     version,
		"description": "Checks and fixes hybrid Microsoft 365 estates: Entra ID identity, AD permissions for password writeback, Exchange TLS.",
	}
	return json.MarshalIndent(doc, "", "  ")
}
