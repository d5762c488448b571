package graphclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Graph error codes the client interprets.
const (
	codeAuthorizationRequestDenied = "Authorization_RequestDenied"
	codeNonPremiumTenant           = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	codeP2Required                 = "AadPremiumLicenseRequired"
)

// endpoint is one Graph request the client makes, with the least-privileged application
// permission that grants it (from the endpoint's Graph reference page).
type endpoint struct {
	method     string
	path       string // relative to /v1.0
	permission string
}

var (
	epSubscribedSkus = endpoint{http.MethodGet, "/subscribedSkus", "Organization.Read.All"}
	epOrganization   = endpoint{http.MethodGet, "/organization", "Organization.Read.All"}
	epUsers          = endpoint{http.MethodGet, "/users", "User.Read.All"}
	epRegistrations  = endpoint{http.MethodGet, "/reports/authenticationMethods/userRegistrationDetails", "AuditLog.Read.All"}
)

func (e endpoint) String() string { return e.method + " " + e.path }

// Error is a failed Graph request: the HTTP status and Graph's error code, message and request
// ids (quote the request-id to Microsoft support).
type Error struct {
	Method, Path    string // e.g. GET /subscribedSkus
	StatusCode      int
	Code, Message   string
	RequestID       string
	ClientRequestID string
	// RetryAfter is the wait Graph asked for when it throttled the request and retries ran out.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Graph %s %s failed: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts", e.Attempts)
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, "; Graph asks to retry after %s", e.RetryAfter)
		}
		b.WriteString(")")
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request-id %s]", e.RequestID)
	}
	return b.String()
}

// Throttled reports whether Graph refused the request for load (429, 503 or 504) and retries
// did not get it through.
func (e *Error) Throttled() bool { return retriable(e.StatusCode) }

// PermissionError is Graph's 403 Authorization_RequestDenied: the app registration lacks the
// application permission (with admin consent) the endpoint needs.
type PermissionError struct {
	Method, Path string
	// Permission is the least-privileged application permission that grants the request.
	Permission string
	Err        *Error
}

func (e *PermissionError) Error() string {
	if e.Permission == "" {
		return fmt.Sprintf("Graph denied %s %s: the app lacks a required application permission", e.Method, e.Path)
	}
	return fmt.Sprintf("Graph denied %s %s: the app needs the %s application permission", e.Method, e.Path, e.Permission)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// LicenceError is Graph's Authentication_RequestFromNonPremiumTenantOrB2CTenant (the endpoint
// needs a Microsoft Entra ID P1 or P2 licence in the tenant) or AadPremiumLicenseRequired (it
// needs P2: Privileged Identity Management).
type LicenceError struct {
	Method, Path string
	// Plan is the licence the endpoint needs: "P1" (P1 or P2) or "P2".
	Plan string
	Err  *Error
}

func (e *LicenceError) Error() string {
	if e.Plan == "P2" {
		return fmt.Sprintf("Graph refused %s %s: the tenant needs a Microsoft Entra ID P2 (or Entra ID Governance) licence", e.Method, e.Path)
	}
	return fmt.Sprintf("Graph refused %s %s: the tenant needs a Microsoft Entra ID P1 or P2 licence", e.Method, e.Path)
}

func (e *LicenceError) Unwrap() error { return e.Err }

// mapError turns what the SDK returned into an *Error, *PermissionError or *LicenceError, or
// wraps a transport error (context errors stay visible to errors.Is).
func (c *Client) mapError(ep endpoint, err error, a *attempts) error {
	if err == nil {
		return nil
	}
	e := &Error{Method: ep.method, Path: ep.path}
	if a != nil {
		e.Attempts = int(a.n.Load())
	}
	var odata *odataerrors.ODataError
	var api *abstractions.ApiError
	switch {
	case errors.As(err, &odata):
		e.StatusCode = odata.ResponseStatusCode
		e.RetryAfter = retryAfterOf(odata.ResponseHeaders)
		if main := odata.GetErrorEscaped(); main != nil {
			e.Code = deref(main.GetCode())
			e.Message = deref(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				e.RequestID = deref(inner.GetRequestId())
				e.ClientRequestID = deref(inner.GetClientRequestId())
			}
		}
		if e.RequestID == "" {
			e.RequestID = headerOf(odata.ResponseHeaders, "request-id")
		}
	case errors.As(err, &api):
		e.StatusCode = api.ResponseStatusCode
		e.Message = api.Message
		e.RetryAfter = retryAfterOf(api.ResponseHeaders)
		e.RequestID = headerOf(api.ResponseHeaders, "request-id")
	default:
		return c.scrub(fmt.Errorf("Graph %s: %w", ep, err))
	}
	return c.classify(ep, e)
}

// classify turns a permission or licence refusal into its own error type.
func (c *Client) classify(ep endpoint, e *Error) error {
	e.Message = c.scrubString(e.Message)
	switch {
	case e.StatusCode == http.StatusForbidden && e.Code == codeAuthorizationRequestDenied:
		return &PermissionError{Method: ep.method, Path: ep.path, Permission: ep.permission, Err: e}
	case e.Code == codeNonPremiumTenant:
		return &LicenceError{Method: ep.method, Path: ep.path, Plan: "P1", Err: e}
	case e.Code == codeP2Required:
		return &LicenceError{Method: ep.method, Path: ep.path, Plan: "P2", Err: e}
	}
	return e
}

func retryAfterOf(h *abstractions.ResponseHeaders) time.Duration {
	v := headerOf(h, "Retry-After")
	if v == "" {
		return 0
	}
	return retryDelay(v, 1, time.Now())
}

func headerOf(h *abstractions.ResponseHeaders, key string) string {
	if h == nil {
		return ""
	}
	if vs := h.Get(key); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// scrub guarantees no configured secret reaches an error message. Credential errors come from
// azidentity and MSAL, which do not echo secrets; this is a second line of defence. A scrubbed
// error does not unwrap, so the original text cannot be reached either.
func (c *Client) scrub(err error) error {
	msg := err.Error()
	if clean := c.scrubString(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

func (c *Client) scrubString(s string) string {
	for _, sec := range c.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
