package graphclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"golang.org/x/sync/errgroup"
)

// maxBatch is Graph's limit on requests in one $batch.
const maxBatch = 20

var odataErrorMapping = abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// versionURL is the root of an API version ("v1.0" or "beta") next to the configured base URL.
func (c *Client) versionURL(version string) string {
	return strings.TrimSuffix(c.set.baseURL, "/v1.0") + "/" + version
}

// raw sends one request through the SDK's pipeline (authentication, the retry policy, the
// concurrency bound) and returns the response body. The two beta endpoints and $batch use it:
// the v1.0 SDK has no model for them.
func (c *Client) raw(ctx context.Context, ep endpoint, method abstractions.HttpMethod, rawURL string, body []byte) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("Graph %s: %w", ep, err)
	}
	ri := abstractions.NewRequestInformation()
	ri.Method = method
	ri.SetUri(*u)
	ri.Headers.Add("Accept", "application/json")
	if body != nil {
		ri.SetStreamContentAndContentType(body, "application/json")
	}
	actx, a := withAttempts(ctx)
	res, err := c.graph.GetAdapter().SendPrimitive(actx, ri, "[]byte", odataErrorMapping)
	if err != nil {
		return nil, c.mapError(ep, err, a)
	}
	data, _ := res.([]byte)
	return data, nil
}

type batchEnvelope struct {
	Requests []batchItem `json:"requests"`
}

type batchItem struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    string `json:"url"`
}

type batchAnswer struct {
	Responses []batchItemAnswer `json:"responses"`
}

type batchItemAnswer struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func (a batchItemAnswer) header(name string) string {
	for k, v := range a.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// batchCall is one GET to send inside a $batch: its URL relative to the API version
// (/users/{id}/authentication/requirements) and the endpoint it stands for in errors.
type batchCall struct {
	url string
	ep  endpoint
}

// batchResult is one call's answer: a 2xx body, or the error Graph gave (after retries).
type batchResult struct {
	status int
	body   json.RawMessage
	err    error
}

// batch sends calls in $batch envelopes of up to 20 and returns their answers in order. Envelopes
// run concurrently within the client's concurrency bound; throttled items (429, 503, 504 inside
// the 200 envelope) are sent again, alone, after the longest Retry-After among them, up to
// MaxRetries times: the SDK's handlers only see the envelope.
func (c *Client) batch(ctx context.Context, version string, calls []batchCall) ([]batchResult, error) {
	results := make([]batchResult, len(calls))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.set.maxConc)
	for start := 0; start < len(calls); start += maxBatch {
		idx := make([]int, 0, maxBatch)
		for i := start; i < min(start+maxBatch, len(calls)); i++ {
			idx = append(idx, i)
		}
		g.Go(func() error { return c.sendBatch(gctx, version, calls, idx, results) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

func (c *Client) sendBatch(ctx context.Context, version string, calls []batchCall, pending []int, results []batchResult) error {
	ep := endpoint{http.MethodPost, "/$batch", ""}
	if version != "v1.0" {
		ep.path = "/" + version + "/$batch"
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		env := batchEnvelope{Requests: make([]batchItem, len(pending))}
		for j, i := range pending {
			env.Requests[j] = batchItem{ID: strconv.Itoa(i), Method: http.MethodGet, URL: calls[i].url}
		}
		body, err := json.Marshal(env)
		if err != nil {
			return err
		}
		c.stats.batched.Add(int64(len(pending)))
		data, err := c.raw(ctx, ep, abstractions.POST, c.versionURL(version)+"/$batch", body)
		if err != nil {
			return err
		}
		var ans batchAnswer
		if err := json.Unmarshal(data, &ans); err != nil {
			return fmt.Errorf("Graph %s: malformed batch response: %w", ep, err)
		}
		answered := map[int]bool{}
		var retry []int
		var wait time.Duration
		for _, a := range ans.Responses {
			i, err := strconv.Atoi(a.ID)
			if err != nil || i < 0 || i >= len(calls) || answered[i] {
				return fmt.Errorf("Graph %s: unexpected batch response id %q", ep, a.ID)
			}
			answered[i] = true
			if retriable(a.Status) {
				c.stats.throttled.Add(1)
				if w := retryDelay(a.header("Retry-After"), attempt, time.Now()); attempt <= c.set.maxRetries && w <= maxRetryWait {
					retry = append(retry, i)
					wait = max(wait, w)
					continue
				}
			}
			results[i] = c.batchResult(calls[i].ep, a, attempt)
		}
		for _, i := range pending {
			if !answered[i] {
				return fmt.Errorf("Graph %s: batch response lacks request %d", ep, i)
			}
		}
		if len(retry) == 0 {
			return nil
		}
		c.logger.Info("graph batch items throttled; retrying", "version", version, "items", len(retry), "wait", wait, "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		c.stats.retries.Add(int64(len(retry)))
		c.stats.retryWait.Add(int64(wait))
		pending = retry
	}
	return nil
}

// batchResult turns one item's answer into a body or the client's error types.
func (c *Client) batchResult(ep endpoint, a batchItemAnswer, attempts int) batchResult {
	if a.Status >= 200 && a.Status < 300 {
		return batchResult{status: a.Status, body: a.Body}
	}
	e := &Error{Method: ep.method, Path: ep.path, StatusCode: a.Status, Attempts: attempts}
	var body struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(a.Body, &body) == nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		e.RequestID, e.ClientRequestID = body.Error.InnerError.RequestID, body.Error.InnerError.ClientRequestID
	}
	if ra := a.header("Retry-After"); ra != "" {
		e.RetryAfter = retryDelay(ra, 1, time.Now())
	}
	return batchResult{status: a.Status, err: c.classify(ep, e)}
}

// firstRefusal returns the first permission or licence error among results: such a refusal
// applies to every item, so the caller reports it once.
func firstRefusal(results []batchResult) error {
	for _, r := range results {
		switch r.err.(type) {
		case *PermissionError, *LicenceError:
			return r.err
		}
	}
	return nil
}

// decodeJSON decodes a body, tolerating Graph's annotations.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return dec.Decode(v)
}
