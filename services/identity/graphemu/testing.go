package graphemu

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// DefaultTestRequestLimit bounds the requests a [Start]ed emulator answers unless the options
// say otherwise.
const DefaultTestRequestLimit = 1000

// TestServer is an emulator listening on a loopback port for the duration of a test.
type TestServer struct {
	*Server
	// URL is the root, e.g. http://127.0.0.1:41235; BaseURL appends /v1.0.
	URL string
}

// BaseURL is the Graph v1.0 root clients are configured with.
func (ts *TestServer) BaseURL() string { return ts.URL + "/v1.0" }

// Start serves tenant on a loopback port until the test ends. Error responses are logged through
// tb.Log; more than DefaultTestRequestLimit requests (or the WithRequestLimit given) fail the
// test.
func Start(tb testing.TB, tenant *Tenant, opts ...Option) *TestServer {
	tb.Helper()
	base := []Option{
		WithRequestLimit(DefaultTestRequestLimit),
		WithLogger(slog.New(&tbHandler{tb: tb})),
	}
	s := NewServer(append(base, opts...)...)
	s.opts.onLimit = func(limit int) { tb.Errorf("graphemu: more than %d requests; is a client looping?", limit) }
	if tenant != nil {
		if err := s.AddTenant(tenant); err != nil {
			tb.Fatal(err)
		}
	}
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	return &TestServer{Server: s, URL: hs.URL}
}

// tbHandler is a minimal slog handler writing Info and above through tb.Log.
type tbHandler struct {
	tb    testing.TB
	attrs []slog.Attr
}

func (h *tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *tbHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	for _, a := range h.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	h.tb.Log(line)
	return nil
}

func (h *tbHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &tbHandler{tb: h.tb, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *tbHandler) WithGroup(string) slog.Handler { return h }
