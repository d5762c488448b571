package graphemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// MaxBatchRequests is Graph's limit on requests in one $batch.
const MaxBatchRequests = 20

type batchRequest struct {
	Requests []batchItem `json:"requests"`
}

type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type batchResponse struct {
	Responses []batchItemResponse `json:"responses"`
}

type batchItemResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// batchVersion reports whether path is a $batch endpoint (/v1.0/$batch or /beta/$batch) and of
// which API version.
func batchVersion(path string) (string, bool) {
	switch path {
	case "/v1.0/$batch":
		return "v1.0", true
	case "/beta/$batch":
		return "beta", true
	}
	return "", false
}

// serveBatch answers POST /v1.0/$batch (or /beta/$batch: items are relative to the version). The envelope is 200 whenever it is well formed; each
// inner request is admitted, throttled and answered on its own, so a throttled item comes back
// as status 429 with a Retry-After header inside the envelope. Items run in order; an item whose
// dependsOn includes a failed item gets 424.
func (s *Server) serveBatch(x *exchange, version string) {
	data, err := readBody(x.r)
	if err != nil {
		x.fail(badRequest("BadRequest", "Unable to read the batch request body."))
		return
	}
	var req batchRequest
	if err := json.Unmarshal(data, &req); err != nil || req.Requests == nil {
		x.fail(badRequest("BadRequest", "Invalid batch payload format."))
		return
	}
	if len(req.Requests) == 0 {
		x.fail(badRequest("BadRequest", "Invalid batch payload format."))
		return
	}
	if len(req.Requests) > MaxBatchRequests {
		x.fail(badRequest("BadRequest", fmt.Sprintf("The batch contains %d requests; the limit is %d.", len(req.Requests), MaxBatchRequests)))
		return
	}
	ids := map[string]bool{}
	for _, it := range req.Requests {
		if it.ID == "" || it.Method == "" || it.URL == "" {
			x.fail(badRequest("BadRequest", "Each batch request needs id, method and url."))
			return
		}
		if ids[it.ID] {
			x.fail(badRequest("BadRequest", fmt.Sprintf("Batch request id '%s' is not unique.", it.ID)))
			return
		}
		ids[it.ID] = true
	}
	for _, it := range req.Requests {
		for _, d := range it.DependsOn {
			if !ids[d] {
				x.fail(badRequest("BadRequest", fmt.Sprintf("Batch request '%s' depends on unknown request '%s'.", it.ID, d)))
				return
			}
		}
	}

	statuses := map[string]int{}
	resp := batchResponse{Responses: make([]batchItemResponse, 0, len(req.Requests))}
	for _, it := range req.Requests {
		r := s.runBatchItem(x, version, it, statuses)
		statuses[it.ID] = r.Status
		resp.Responses = append(resp.Responses, r)
	}
	body, err := json.Marshal(resp)
	if err != nil {
		x.fail(&graphError{status: http.StatusInternalServerError, code: "InternalServerError", message: err.Error()})
		return
	}
	x.headers("application/json")
	x.status = http.StatusOK
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(body)
}

func (s *Server) runBatchItem(envelope *exchange, version string, it batchItem, statuses map[string]int) batchItemResponse {
	for _, d := range it.DependsOn {
		if st, ok := statuses[d]; !ok || st >= 400 {
			body := marshalError("FailedDependency", fmt.Sprintf("Request '%s' depends on request '%s', which failed.", it.ID, d), envelope.requestID, envelope.clientRequestID, envelope.start)
			return batchItemResponse{ID: it.ID, Status: http.StatusFailedDependency, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
		}
	}
	rel := it.URL
	if strings.HasPrefix(rel, "http://") || strings.HasPrefix(rel, "https://") {
		body := marshalError("BadRequest", "Batch request URLs must be relative to the version, like /users.", envelope.requestID, envelope.clientRequestID, envelope.start)
		return batchItemResponse{ID: it.ID, Status: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
	}
	rel = "/" + strings.TrimPrefix(strings.TrimPrefix(rel, "/"), version+"/")
	var body *bytes.Reader
	if len(it.Body) > 0 {
		body = bytes.NewReader(it.Body)
	} else {
		body = bytes.NewReader(nil)
	}
	r, err := http.NewRequestWithContext(envelope.r.Context(), strings.ToUpper(it.Method), envelope.base+"/"+version+rel, body)
	if err != nil || strings.HasPrefix(rel, "/$batch") {
		b := marshalError("BadRequest", "Invalid batch request URL.", envelope.requestID, envelope.clientRequestID, envelope.start)
		return batchItemResponse{ID: it.ID, Status: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"}, Body: b}
	}
	r.Host = envelope.r.Host
	r.TLS = envelope.r.TLS
	for k, v := range it.Headers {
		r.Header.Set(k, v)
	}
	if a := envelope.r.Header.Get("Authorization"); a != "" {
		r.Header.Set("Authorization", a)
	}
	if r.Header.Get("client-request-id") == "" {
		r.Header.Set("client-request-id", envelope.clientRequestID)
	}

	rec := &memoryWriter{header: http.Header{}}
	x := s.newExchange(rec, r)
	x.ts, x.roles = envelope.ts, envelope.roles
	s.serveOperation(x, true)

	headers := map[string]string{}
	for _, k := range []string{"Content-Type", "Retry-After", "OData-Version"} {
		if v := rec.header.Get(k); v != "" {
			headers[k] = v
		}
	}
	return batchItemResponse{ID: it.ID, Status: rec.status, Headers: headers, Body: json.RawMessage(rec.buf.Bytes())}
}

// memoryWriter captures an inner batch response.
type memoryWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (m *memoryWriter) Header() http.Header { return m.header }
func (m *memoryWriter) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *memoryWriter) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return m.buf.Write(p)
}
