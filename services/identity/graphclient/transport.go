package graphclient

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
)

// maxRetryWait is the longest single Retry-After the client waits out; beyond it the throttling
// error is returned so the caller can decide (Graph asks for minutes only under sustained abuse).
const maxRetryWait = 2 * time.Minute

// Stats counts a Client's traffic since it was created.
type Stats struct {
	// Requests is every HTTP request sent, retries included.
	Requests int64
	// Retries is how many of them were retries of a 429, 503 or 504.
	Retries int64
	// Throttled is how many 429, 503 or 504 answers were received.
	Throttled int64
	// RetryWait is the total time spent waiting before retries.
	RetryWait time.Duration
	// Batched is how many requests were sent inside $batch envelopes, retries of throttled
	// items included; each envelope is one of Requests.
	Batched int64
}

type counters struct {
	requests, retries, throttled, retryWait, batched atomic.Int64
}

// callPolicy is the client's own Kiota middleware, in place of Kiota's retry handler: it bounds
// concurrency, applies the per-request timeout, and retries 429/503/504 honouring Retry-After
// (seconds or an HTTP date) up to a bounded number of attempts. Kiota's handler would also wait
// out an arbitrarily long Retry-After and ignore the request's deadline.
type callPolicy struct {
	sem        chan struct{}
	maxRetries int
	timeout    time.Duration
	logger     *slog.Logger
	stats      *counters
	now        func() time.Time
}

// attemptsKey carries a *attempts through a request's context so errors can report how many
// attempts the failing request took.
type attemptsKey struct{}

type attempts struct{ n atomic.Int64 }

func withAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// Intercept implements khttp.Middleware.
func (p *callPolicy) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), p.timeout)
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
	resp, err := p.send(ctx, pipeline, index, req)
	<-p.sem
	if err != nil {
		cancel()
		return nil, err
	}
	// The timeout also covers reading the body; release it when the body is done.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (p *callPolicy) send(ctx context.Context, pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
	}
	counter, _ := req.Context().Value(attemptsKey{}).(*attempts)
	for attempt := 1; ; attempt++ {
		r := req.Clone(ctx)
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		if attempt > 1 {
			r.Header.Set("Retry-Attempt", strconv.Itoa(attempt-1))
		}
		p.stats.requests.Add(1)
		if counter != nil {
			counter.n.Store(int64(attempt))
		}
		resp, err := pipeline.Next(r, index)
		if err != nil {
			return nil, err
		}
		if !retriable(resp.StatusCode) {
			return resp, nil
		}
		p.stats.throttled.Add(1)
		wait := retryDelay(resp.Header.Get("Retry-After"), attempt, p.now())
		if attempt > p.maxRetries || wait > maxRetryWait {
			return resp, nil
		}
		if deadline, ok := ctx.Deadline(); ok && p.now().Add(wait).After(deadline) {
			return resp, nil // waiting would outlive the request's timeout
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		p.logger.Info("graph request throttled; retrying",
			"method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
			"retryAfter", resp.Header.Get("Retry-After"), "wait", wait, "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		p.stats.retries.Add(1)
		p.stats.retryWait.Add(int64(wait))
	}
}

func retriable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// retryDelay reads Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); without one
// it backs off exponentially from one second with a little jitter.
func retryDelay(header string, attempt int, now time.Time) time.Duration {
	if v := strings.TrimSpace(header); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0)
		}
	}
	backoff := time.Second << min(attempt-1, 5)
	return backoff + rand.N(backoff/4)
}

// cancelOnClose ends a request's timeout context once its body has been read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.cancel)
	return err
}
