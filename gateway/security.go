package gateway

import (
	"crypto/tls"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// requestIDHeader carries a request's ID both ways: a client's well-formed X-Request-Id reaches
// the services (and their audit log); the services' ID comes back in the answer.
const requestIDHeader = "X-Request-Id"

// incomingHeader forwards X-Request-Id besides grpc-gateway's defaults (Authorization is always
// forwarded as "authorization").
func incomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, requestIDHeader) {
		return "x-request-id", true
	}
	return defaultIncomingHeader(key)
}

// outgoingHeader answers the services' x-request-id as X-Request-Id, other metadata as
// Grpc-Metadata-*.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, requestIDHeader) {
		return requestIDHeader, true
	}
	return defaultOutgoingHeader(key)
}

// authHeaders adds what RFC 6750 and RFC 9110 ask of 401 and 429 answers: a WWW-Authenticate
// challenge, and Retry-After from the status's google.rpc.RetryInfo. It returns the writer to
// answer with.
func authHeaders(w http.ResponseWriter, r *http.Request, err error) http.ResponseWriter {
	st, ok := status.FromError(err)
	if !ok {
		return w
	}
	switch st.Code() {
	case codes.Unauthenticated:
		v := `Bearer realm="hybridkit"`
		if r.Header.Get("Authorization") != "" {
			v += `, error="invalid_token"`
		}
		// grpc-gateway puts the status message in WWW-Authenticate; the challenge replaces it.
		return &challengeWriter{ResponseWriter: w, challenge: v}
	case codes.ResourceExhausted, codes.Unavailable:
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				secs := int(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			}
		}
	}
	return w
}

// challengeWriter sets WWW-Authenticate as the header is written.
type challengeWriter struct {
	http.ResponseWriter
	challenge string
	wrote     bool
}

func (c *challengeWriter) WriteHeader(code int) {
	if !c.wrote {
		c.wrote = true
		c.Header().Set("WWW-Authenticate", c.challenge)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *challengeWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// securityHeaders sets the headers every answer carries: the API serves JSON and files, never
// pages to frame or scripts to run. HSTS only over TLS.
func securityHeaders(next http.Handler, overTLS bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if overTLS {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers cross-origin requests from the configured origins only; with none configured it
// adds nothing, and browsers keep other sites' scripts out.
func cors(next http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin == "" || !(slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, WWW-Authenticate, Content-Disposition")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// certReloader serves the certificate in a pair of PEM files and reads them again when they
// change, so a renewed certificate is picked up without a restart.
type certReloader struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

// certCheckInterval is how often the files are looked at, at most.
const certCheckInterval = 10 * time.Second

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) load() error {
	st, err := os.Stat(c.certFile)
	if err != nil {
		return fmt.Errorf("gateway: TLS certificate: %w", err)
	}
	kst, err := os.Stat(c.keyFile)
	if err != nil {
		return fmt.Errorf("gateway: TLS key: %w", err)
	}
	mod := st.ModTime()
	if kst.ModTime().After(mod) {
		mod = kst.ModTime()
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("gateway: TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.modTime, c.checked = &cert, mod, time.Now()
	return nil
}

// getCertificate is tls.Config.GetCertificate. A failed reload keeps the certificate in use.
func (c *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) >= certCheckInterval {
		c.checked = time.Now()
		st, err1 := os.Stat(c.certFile)
		kst, err2 := os.Stat(c.keyFile)
		if err1 == nil && err2 == nil && (st.ModTime().After(c.modTime) || kst.ModTime().After(c.modTime)) {
			old := c.cert
			if err := c.load(); err != nil {
				c.cert = old
			}
		}
	}
	return c.cert, nil
}

// serverTLS returns the gateway's TLS configuration: TLS 1.2 or later, the reloading certificate.
func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	r, err := newCertReloader(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate, NextProtos: []string{"h2", "http/1.1"}}, nil
}
