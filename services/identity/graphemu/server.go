package graphemu

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Server emulates Microsoft Graph for one or more tenants. It is an http.Handler and safe for
// concurrent use. Tenants must not be modified after [Server.AddTenant].
type Server struct {
	opts   options
	routes []route

	mu       sync.Mutex
	tenants  map[string]*tenantState // by lower-case tenant id
	fallback *tenantState            // the first tenant added; serves requests without a tid
	total    int                     // operations across tenants, for the request limit
	log      []Request
}

// Request is one request the emulator answered, as recorded for tests. A $batch produces one
// Request for the envelope (N == 0) and one per inner request (InBatch).
type Request struct {
	Time     time.Time
	TenantID string
	Method   string
	Path     string // without the query, e.g. /v1.0/users
	RawQuery string
	Header   http.Header
	// Authorization is the Authorization header as received (empty for anonymous requests).
	Authorization string
	InBatch       bool
	// N is the tenant's request number that Fault.Nth and budgets count; 0 for a $batch envelope
	// and for requests rejected before reaching a tenant.
	N          int
	Status     int
	Code       string // Graph error code when Status >= 400
	RetryAfter string
}

type options struct {
	pageSize     int
	budget       Budget
	classBudgets map[ThrottleClass]Budget
	now          func() time.Time
	logger       *slog.Logger
	requestLimit int
	onLimit      func(limit int)
}

// Option configures a Server.
type Option func(*options)

// WithPageSize sets the server page size of every paged collection: the page size without $top
// and the most items a page holds even when $top asks for more (Graph may return fewer items
// than $top; clients must follow @odata.nextLink).
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = n } }

// WithBudget throttles each tenant with its own token bucket.
func WithBudget(b Budget) Option { return func(o *options) { o.budget = b } }

// WithEndpointBudget throttles the endpoints of one class (reports, Conditional Access, Secure
// Score) with a token bucket per tenant, on top of the tenant's budget, the way Graph limits
// those services separately.
func WithEndpointBudget(class ThrottleClass, b Budget) Option {
	return func(o *options) {
		if o.classBudgets == nil {
			o.classBudgets = map[ThrottleClass]Budget{}
		}
		o.classBudgets[class] = b
	}
}

// WithClock replaces time.Now for throttling and error dates.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger logs every request at Debug and every error response at Info.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRequestLimit bounds the requests the server answers (across tenants, $batch items counted
// one by one); beyond it every request fails with 500 graphemu_RequestLimitExceeded, so a client
// stuck in a paging or retry loop fails fast. 0 means no limit.
func WithRequestLimit(n int) Option { return func(o *options) { o.requestLimit = n } }

type tenantState struct {
	t       *Tenant
	count   int
	bucket  *bucket
	classes map[ThrottleClass]*bucket
	faults  []Fault

	setsMu sync.Mutex
	sets   map[string][]entity
	dir    *directory
}

// NewServer returns an emulator with no tenants.
func NewServer(opts ...Option) *Server {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: o, routes: defaultRoutes(), tenants: map[string]*tenantState{}}
}

// AddTenant serves t. It completes t's derived fields (organization id, SKU ids and catalogue
// plans, generated users, registration records) in place.
func (s *Server) AddTenant(t *Tenant) error {
	if err := t.normalize(); err != nil {
		return fmt.Errorf("graphemu: tenant %s: %w", t.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(t.ID)
	if _, dup := s.tenants[key]; dup {
		return fmt.Errorf("graphemu: tenant %s added twice", t.ID)
	}
	ts := &tenantState{t: t, sets: map[string][]entity{}, classes: map[ThrottleClass]*bucket{}}
	if s.opts.budget.enabled() {
		ts.bucket = newBucket(s.opts.budget, s.opts.now())
	}
	for class, b := range s.opts.classBudgets {
		if b.enabled() {
			ts.classes[class] = newBucket(b, s.opts.now())
		}
	}
	s.tenants[key] = ts
	if s.fallback == nil {
		s.fallback = ts
	}
	return nil
}

// SetBudget replaces one tenant's throttling budget; a zero Budget disables throttling.
func (s *Server) SetBudget(tenantID string, b Budget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, ok := s.tenants[strings.ToLower(tenantID)]
	if !ok {
		return fmt.Errorf("graphemu: unknown tenant %s", tenantID)
	}
	ts.bucket = nil
	if b.enabled() {
		ts.bucket = newBucket(b, s.opts.now())
	}
	return nil
}

// SetEndpointBudget replaces one tenant's budget for a class of endpoints; a zero Budget
// disables that throttling.
func (s *Server) SetEndpointBudget(tenantID string, class ThrottleClass, b Budget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, ok := s.tenants[strings.ToLower(tenantID)]
	if !ok {
		return fmt.Errorf("graphemu: unknown tenant %s", tenantID)
	}
	delete(ts.classes, class)
	if b.enabled() {
		ts.classes[class] = newBucket(b, s.opts.now())
	}
	return nil
}

// Fail arranges for the given requests of a tenant to fail (see [Fault]).
func (s *Server) Fail(tenantID string, faults ...Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, ok := s.tenants[strings.ToLower(tenantID)]
	if !ok {
		return fmt.Errorf("graphemu: unknown tenant %s", tenantID)
	}
	for _, f := range faults {
		if f.Nth < 1 || f.Status < 400 {
			return fmt.Errorf("graphemu: fault needs Nth >= 1 and an error status, got %+v", f)
		}
	}
	ts.faults = append(ts.faults, faults...)
	return nil
}

// Count returns how many requests a tenant has received ($batch items one by one, envelopes
// not counted) since it was added or the server was reset.
func (s *Server) Count(tenantID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts, ok := s.tenants[strings.ToLower(tenantID)]; ok {
		return ts.count
	}
	return 0
}

// Requests returns the request log in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Reset clears the request log, request counters and pending faults, and refills budgets.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.total = 0
	for _, ts := range s.tenants {
		ts.count = 0
		ts.faults = nil
		if ts.bucket != nil {
			ts.bucket = newBucket(ts.bucket.budget, s.opts.now())
		}
		for class, b := range ts.classes {
			ts.classes[class] = newBucket(b.budget, s.opts.now())
		}
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(w, r)
	claims := tokenClaims(r.Header.Get("Authorization"))
	x.ts = s.resolveTenant(claims.TenantID)
	x.roles = claims.Roles
	if x.ts == nil {
		x.fail(&graphError{status: http.StatusUnauthorized, code: CodeInvalidAuthenticationToken, message: "Access token validation failure. Invalid audience or tenant."})
		s.record(x, 0, false)
		return
	}
	if version, ok := batchVersion(r.URL.Path); ok {
		if r.Method != http.MethodPost {
			x.fail(&graphError{status: http.StatusMethodNotAllowed, code: "BadRequest", message: "$batch accepts only POST."})
			s.record(x, 0, false)
			return
		}
		s.serveBatch(x, version)
		s.record(x, 0, false)
		return
	}
	s.serveOperation(x, false)
}

func (s *Server) resolveTenant(tid string) *tenantState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tid == "" {
		return s.fallback
	}
	return s.tenants[strings.ToLower(tid)]
}

// serveOperation answers one Graph request (top-level or inside a $batch): request limit,
// injected faults, throttling, permissions, licence, then the endpoint.
func (s *Server) serveOperation(x *exchange, inBatch bool) {
	rt, params, gerr := s.match(x.r.Method, x.r.URL.Path)
	n, pre := s.admit(x, rt)
	switch {
	case pre != nil:
		x.fail(pre)
	case gerr != nil:
		x.fail(gerr)
	case !x.permitted(rt.permissions):
		x.fail(&graphError{status: http.StatusForbidden, code: CodeAuthorizationRequestDenied, message: "Insufficient privileges to complete the operation."})
	case rt.licence == 1 && !x.ts.t.HasPremium():
		x.fail(&graphError{status: http.StatusForbidden, code: CodeNonPremiumTenant, message: "Neither tenant is B2C or tenant doesn't have premium license"})
	case rt.licence == 2 && !x.ts.t.HasP2():
		x.fail(&graphError{status: http.StatusBadRequest, code: CodeP2Required, message: "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."})
	default:
		x.params = params
		rt.handle(s, x)
	}
	s.record(x, n, inBatch)
}

// admit counts the request against the limit and the tenant, and applies faults and budgets
// (the tenant's, then the endpoint class's when rt has one).
func (s *Server) admit(x *exchange, rt *route) (int, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if lim := s.opts.requestLimit; lim > 0 && s.total > lim {
		if s.total == lim+1 && s.opts.onLimit != nil {
			s.opts.onLimit(lim)
		}
		return 0, &graphError{status: http.StatusInternalServerError, code: "graphemu_RequestLimitExceeded", message: fmt.Sprintf("graphemu: more than %d requests", lim)}
	}
	ts := x.ts
	ts.count++
	n := ts.count
	for i, f := range ts.faults {
		if f.Nth == n {
			ts.faults = slices.Delete(ts.faults, i, i+1)
			code, msg := defaultFault(f.Status)
			if f.Code != "" {
				code = f.Code
			}
			if f.Message != "" {
				msg = f.Message
			}
			return n, &graphError{status: f.Status, code: code, message: msg, retryAfter: f.RetryAfter}
		}
	}
	if ts.bucket != nil {
		if ok, wait := ts.bucket.take(s.opts.now()); !ok {
			app := ts.t.AppID
			if app == "" {
				app = "00000000-0000-0000-0000-000000000000"
			}
			return n, &graphError{
				status:     http.StatusTooManyRequests,
				code:       CodeTooManyRequests,
				message:    fmt.Sprintf("Too many requests from Identifier:%s+%s under category:throttle.aad.ags.appId.tenantId. Please try again later.", app, ts.t.ID),
				retryAfter: retryAfterSeconds(wait),
			}
		}
	}
	if rt != nil && rt.throttle != "" {
		if b := ts.classes[rt.throttle]; b != nil {
			if ok, wait := b.take(s.opts.now()); !ok {
				ge := &graphError{status: http.StatusTooManyRequests, code: CodeTooManyRequests, message: "Too many requests. Please try again later."}
				if rt.throttle.sendsRetryAfter() {
					ge.retryAfter = retryAfterSeconds(wait)
				}
				return n, ge
			}
		}
	}
	return n, nil
}

func (s *Server) record(x *exchange, n int, inBatch bool) {
	tenantID := ""
	if x.ts != nil {
		tenantID = x.ts.t.ID
	}
	req := Request{
		Time:          x.start,
		TenantID:      tenantID,
		Method:        x.r.Method,
		Path:          x.r.URL.Path,
		RawQuery:      x.r.URL.RawQuery,
		Header:        x.r.Header.Clone(),
		Authorization: x.r.Header.Get("Authorization"),
		InBatch:       inBatch,
		N:             n,
		Status:        x.status,
		Code:          x.code,
		RetryAfter:    x.retryAfter,
	}
	s.mu.Lock()
	s.log = append(s.log, req)
	s.mu.Unlock()
	attrs := []any{"tenant", tenantID, "method", req.Method, "path", req.Path, "query", req.RawQuery, "status", req.Status, "batch", inBatch, "n", n}
	if x.status >= 400 {
		s.opts.logger.Info("graphemu error response", append(attrs, "code", x.code, "retryAfter", x.retryAfter)...)
	} else {
		s.opts.logger.Debug("graphemu request", attrs...)
	}
}

// entities returns a tenant's encoded entity set (for a navigation collection, the one under
// params), encoding it on first use.
func (ts *tenantState) entities(set *entitySet, params map[string]string) ([]entity, *graphError) {
	if set.under != nil {
		key := set.name + paramsKey(params)
		ts.setsMu.Lock()
		es, ok := ts.sets[key]
		ts.setsMu.Unlock()
		if ok {
			return es, nil
		}
		es, gerr := set.under(ts, params)
		if gerr != nil {
			return nil, gerr
		}
		ts.setsMu.Lock()
		ts.sets[key] = es
		ts.setsMu.Unlock()
		return es, nil
	}
	ts.setsMu.Lock()
	defer ts.setsMu.Unlock()
	if es, ok := ts.sets[set.name]; ok {
		return es, nil
	}
	es, err := set.items(ts.t)
	if err != nil {
		return nil, internalError(err)
	}
	ts.sets[set.name] = es
	return es, nil
}

// directory returns the tenant's directory objects and membership indexes, built on first use.
func (ts *tenantState) directory() (*directory, error) {
	ts.setsMu.Lock()
	defer ts.setsMu.Unlock()
	if ts.dir != nil {
		return ts.dir, nil
	}
	d, err := buildDirectory(ts.t)
	if err != nil {
		return nil, err
	}
	ts.dir = d
	return d, nil
}

// exchange is one request being answered.
type exchange struct {
	w               http.ResponseWriter
	r               *http.Request
	ts              *tenantState
	roles           []string
	params          map[string]string
	start           time.Time
	base            string // scheme://host of the request, for @odata.context and next links
	requestID       string
	clientRequestID string

	status     int
	code       string
	retryAfter string
}

func (s *Server) newExchange(w http.ResponseWriter, r *http.Request) *exchange {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	x := &exchange{w: w, r: r, start: s.opts.now(), base: scheme + "://" + r.Host, requestID: newUUID()}
	x.clientRequestID = r.Header.Get("client-request-id")
	if x.clientRequestID == "" {
		x.clientRequestID = x.requestID
	}
	return x
}

func (x *exchange) permitted(accepted []string) bool {
	granted := x.ts.t.GrantedPermissions
	if x.roles != nil {
		granted = x.roles
	}
	for _, a := range accepted {
		for _, g := range granted {
			if strings.EqualFold(a, g) {
				return true
			}
		}
	}
	return false
}

func (x *exchange) headers(contentType string) {
	h := x.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("request-id", x.requestID)
	h.Set("client-request-id", x.clientRequestID)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"graphemu","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"graphemu"}}`)
	h.Set("Cache-Control", "no-cache")
}

const odataContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func (x *exchange) writeOData(body []byte) {
	x.headers(odataContentType)
	x.w.Header().Set("OData-Version", "4.0")
	x.status = http.StatusOK
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(body)
}

func (x *exchange) fail(e *graphError) {
	x.headers("application/json")
	if e.retryAfter != "" {
		x.w.Header().Set("Retry-After", e.retryAfter)
	}
	x.status, x.code, x.retryAfter = e.status, e.code, e.retryAfter
	x.w.WriteHeader(e.status)
	_, _ = x.w.Write(marshalError(e.code, e.message, x.requestID, x.clientRequestID, x.start))
}

// readBody reads a request body, undoing the gzip the Kiota compression handler applies.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, 4<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	return io.ReadAll(rd)
}

type claims struct {
	TenantID string   `json:"tid"`
	Roles    []string `json:"roles"`
}

// tokenClaims reads tid and roles from an unverified bearer JWT; anything else yields none.
func tokenClaims(authorization string) claims {
	var c claims
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return c
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c
	}
	_ = json.NewDecoder(bytes.NewReader(payload)).Decode(&c)
	return c
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
