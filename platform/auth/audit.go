package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hybridkit/hybridkit/platform/store"
)

// RequestIDHeader is the metadata key (and, through the gateway, the HTTP header) that carries a
// call's request ID. A well-formed ID sent by the client is kept; otherwise one is made. It is
// sent back in the response headers and written to the audit log.
const RequestIDHeader = "x-request-id"

// call is what the audit interceptor learns about one call from the auth hook inside it.
type call struct {
	requestID string
	principal Principal
	known     bool  // principal is set
	denied    error // the auth hook's refusal
	claimed   string
	target    string
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// The methods work on a nil *call, so the auth hook runs without the audit interceptor too.
func (c *call) deny(p Principal, err error) {
	if c != nil {
		c.principal, c.known, c.denied = p, p.Subject != "", err
	}
}

func (c *call) allow(p Principal) {
	if c != nil {
		c.principal, c.known = p, true
	}
}

// RequestID returns the call's request ID, or "" outside an audited call.
func RequestID(ctx context.Context) string {
	if c := callFrom(ctx); c != nil {
		return c.requestID
	}
	return ""
}

// UnaryServerInterceptor records refused calls and writes; it goes just outside the auth hook
// (grpcserver.Deps.Audit).
func (a *Authenticator) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c := &call{requestID: requestID(ctx), target: targetOf(req)}
		ctx = context.WithValue(ctx, callKey{}, c)
		_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, c.requestID))
		resp, err := handler(ctx, req)
		a.record(ctx, info.FullMethod, c, err)
		return resp, err
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams; the target comes from the first
// received message that names one.
func (a *Authenticator) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		c := &call{requestID: requestID(ss.Context())}
		ctx := context.WithValue(ss.Context(), callKey{}, c)
		_ = ss.SetHeader(metadata.Pairs(RequestIDHeader, c.requestID))
		err := handler(srv, &auditedStream{ServerStream: ss, ctx: ctx, c: c})
		a.record(ctx, info.FullMethod, c, err)
		return err
	}
}

type auditedStream struct {
	grpc.ServerStream
	ctx context.Context
	c   *call
}

func (s *auditedStream) Context() context.Context { return s.ctx }

func (s *auditedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && s.c.target == "" {
		s.c.target = targetOf(m)
	}
	return err
}

// record appends the call to the audit log when it was refused or is a write.
func (a *Authenticator) record(ctx context.Context, method string, c *call, err error) {
	rule, known := a.policy[method]
	rec := store.AuditRecord{Action: method, Target: c.target, RequestID: c.requestID}
	if c.known {
		rec.Actor = c.principal.Actor()
	}
	switch {
	case c.denied != nil:
		rec.Result = store.AuditDenied
		rec.Detail = status.Convert(c.denied).Message()
		if c.known {
			rec.Detail = c.principal.String() + ": " + rec.Detail
		} else if c.claimed != "" {
			rec.Detail += " (claimed " + c.claimed + ")"
		}
	case known && rule.Write && err == nil:
		rec.Result, rec.Detail = store.AuditOK, c.principal.String()
	case known && rule.Write:
		st := status.Convert(err)
		rec.Result = store.AuditError
		rec.Detail = fmt.Sprintf("%s: %s: %s", c.principal, st.Code(), truncate(st.Message(), 300))
	default:
		return
	}
	if a.audit == nil {
		return
	}
	// The record is written even when the client has gone.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, aerr := a.audit.AppendAudit(actx, rec); aerr != nil {
		a.log.ErrorContext(ctx, "writing the audit record failed", "action", method, "actor", rec.Actor, "result", string(rec.Result), "request_id", rec.RequestID, "err", aerr)
	}
}

// targetFields are the request fields, in order of preference, that name what a call acts on.
var targetFields = []protoreflect.Name{"name", "parent", "dn", "distinguished_name", "object_dn", "base_dn", "scope", "backup"}

// targetOf returns the resource a request names, or "".
func targetOf(req any) string {
	m, ok := req.(proto.Message)
	if !ok || m == nil {
		return ""
	}
	r := m.ProtoReflect()
	if !r.IsValid() {
		return ""
	}
	fields := r.Descriptor().Fields()
	for _, name := range targetFields {
		f := fields.ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind || f.Cardinality() == protoreflect.Repeated {
			continue
		}
		if v := r.Get(f).String(); v != "" {
			return truncate(v, 512)
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// requestID returns the client's request ID when it is well-formed, else a fresh one.
func requestID(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(RequestIDHeader); len(v) == 1 && validRequestID(v[0]) {
		return v[0]
	}
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
