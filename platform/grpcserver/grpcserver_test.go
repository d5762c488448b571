package grpcserver

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hybridkit/hybridkit/platform/rpcerr"
)

// A test service with three methods: Echo (validated), Panic, and Slow (for the drain).
const svcName = "hybridkit.test.v1.TestService"

type testServer struct {
	release chan struct{}
	started chan struct{}
}

func handler(fn func(ctx context.Context, in *wrapperspb.StringValue) (any, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		name := ctx.Value(methodKey{}).(string)
		if icpt == nil {
			return fn(ctx, in)
		}
		return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + svcName + "/" + name}, func(ctx context.Context, req any) (any, error) {
			return fn(ctx, req.(*wrapperspb.StringValue))
		})
	}
}

type methodKey struct{}

func (ts *testServer) desc() *grpc.ServiceDesc {
	method := func(name string, fn func(ctx context.Context, in *wrapperspb.StringValue) (any, error)) grpc.MethodDesc {
		h := handler(fn)
		return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			return h(srv, context.WithValue(ctx, methodKey{}, name), dec, icpt)
		}}
	}
	return &grpc.ServiceDesc{
		ServiceName: svcName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			method("Echo", func(_ context.Context, in *wrapperspb.StringValue) (any, error) { return in, nil }),
			method("Panic", func(context.Context, *wrapperspb.StringValue) (any, error) { panic("secret panic detail") }),
			method("Slow", func(ctx context.Context, in *wrapperspb.StringValue) (any, error) {
				close(ts.started)
				<-ts.release
				return in, nil
			}),
		},
	}
}

func invoke(ctx context.Context, cc *grpc.ClientConn, method, in string) (string, error) {
	out := new(wrapperspb.StringValue)
	err := cc.Invoke(ctx, "/"+svcName+"/"+method, wrapperspb.String(in), out)
	return out.GetValue(), err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServerLifecycle(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	readyGate := make(chan struct{})
	ts := &testServer{release: make(chan struct{}), started: make(chan struct{})}
	srv, err := New(Options{
		Config: Config{ShutdownDelay: 200 * time.Millisecond, ShutdownTimeout: 5 * time.Second},
		Name:   "test",
		Deps:   Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Registerer: reg, Listener: lis},
		Validators: map[string]Validator{"/" + svcName + "/Echo": func(req any) error {
			if req.(*wrapperspb.StringValue).GetValue() == "" {
				return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "value", Description: "must not be empty"})
			}
			return nil
		}},
		Ready: func(ctx context.Context) error {
			<-readyGate
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.GRPC().RegisterService(ts.desc(), ts)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hc := healthpb.NewHealthClient(cc)
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		t.Helper()
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer ccancel()
		resp, err := hc.Check(cctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		return resp.GetStatus()
	}

	if got := check(""); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("before ready: health %v, want NOT_SERVING", got)
	}
	close(readyGate)
	deadline := time.Now().Add(5 * time.Second)
	for check(svcName) != healthpb.HealthCheckResponse_SERVING {
		if time.Now().After(deadline) {
			t.Fatal("never became SERVING")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A good call, a call the validator refuses, and a panic that must not leak.
	if got, err := invoke(ctx, cc, "Echo", "hello"); err != nil || got != "hello" {
		t.Fatalf("Echo = %q, %v", got, err)
	}
	_, err = invoke(ctx, cc, "Echo", "")
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "invalid value: must not be empty" {
		t.Fatalf("validation: %v", err)
	}
	_, err = invoke(ctx, cc, "Panic", "x")
	st := status.Convert(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "secret") || !strings.Contains(st.Message(), "reference") {
		t.Fatalf("panic answer: %v", err)
	}
	if !strings.Contains(logs.String(), "secret panic detail") {
		t.Error("the panic was not logged")
	}

	// Reflection lists the service.
	rc, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	rr, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rr.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !strings.Contains(strings.Join(names, ","), svcName) {
		t.Errorf("reflection lists %v", names)
	}
	_ = rc.CloseSend()

	// Metrics counted the calls by code.
	if n := handledTotal(t, reg, "Echo", "InvalidArgument"); n != 1 {
		t.Errorf("InvalidArgument Echo calls counted: %v", n)
	}

	// Shutdown: a call in flight finishes, health fails first.
	slow := make(chan error, 1)
	go func() {
		_, err := invoke(context.Background(), cc, "Slow", "drain me")
		slow <- err
	}()
	<-ts.started
	cancel()
	time.Sleep(50 * time.Millisecond)
	if got := check(""); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("during shutdown delay: health %v, want NOT_SERVING", got)
	}
	close(ts.release)
	if err := <-slow; err != nil {
		t.Errorf("call in flight was cut: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func handledTotal(t *testing.T, g prometheus.Gatherer, method, code string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "grpc_server_handled_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["grpc_method"] == method && labels["grpc_code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no grpc_server_handled_total{grpc_method=%q,grpc_code=%q}", method, code)
	return 0
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, wantErr := range map[string]bool{"127.0.0.1:0": false, "0.0.0.0:0": true} {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Options{Name: "test", Deps: Deps{Logger: slog.New(slog.DiscardHandler), Listener: lis, LoopbackOnly: true}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		if !wantErr {
			cancel()
		}
		select {
		case err := <-done:
			if wantErr != (err != nil) || (wantErr && !strings.Contains(err.Error(), "--auth off")) {
				t.Errorf("LoopbackOnly on %s: Run = %v, want error %v", addr, err, wantErr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("LoopbackOnly on %s: Run did not return", addr)
		}
		cancel()
	}
}
