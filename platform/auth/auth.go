// Package auth authenticates and authorises calls to hybridkit's gRPC services, and audits them.
//
// Two kinds of bearer token are accepted in the "authorization" metadata (which the REST gateway
// forwards from the Authorization header):
//
//   - API tokens, "hk_<id>_<secret>": 32 random bytes, shown once when created, stored as a SHA-256
//     hash with a name and a role (see CreateAPIToken and `hybridkit token`);
//   - OIDC/JWT access tokens (RS256 or ES256) from one issuer, checked against its JWKS, which is
//     fetched from the discovery document and refreshed when a token names an unknown key. Entra ID
//     v1 and v2 tokens work; their app roles ("roles") and delegated scopes ("scp") map to roles.
//
// Every RPC has a minimum role in a Policy: reader for reads, analyses and assessments, operator
// for anything that writes outside hybridkit's own store. A method missing from the policy is
// refused to everyone. Refused calls and writes are recorded in the audit log.
package auth

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/metadata"
)

// Role is what a principal may do. Roles are ordered: an operator may do whatever a reader may.
type Role int

// Roles.
const (
	// RoleNone may call nothing.
	RoleNone Role = iota
	// RoleReader may read, analyse and assess.
	RoleReader
	// RoleOperator may also change Active Directory: grant, restore, revoke.
	RoleOperator
)

// String returns "reader", "operator" or "none".
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleOperator:
		return "operator"
	}
	return "none"
}

// ParseRole reads "reader" or "operator".
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "reader":
		return RoleReader, nil
	case "operator":
		return RoleOperator, nil
	}
	return RoleNone, fmt.Errorf("role %q: want reader or operator", s)
}

// Principal is who a call runs as.
type Principal struct {
	// Subject identifies the principal stably: "token:<id>" for API tokens, the "sub" claim for
	// OIDC tokens, "anonymous" when authentication is off.
	Subject string
	// Name is for people: the API token's name, or the user or application name of an OIDC token.
	Name string
	// Role is what the principal may do.
	Role Role
	// TokenID is the API token's ID; empty for OIDC tokens.
	TokenID string
	// Issuer is the OIDC token's issuer; empty for API tokens.
	Issuer string
}

// Actor is how the audit log names the principal: "token:<id>", "oidc:<sub>" or "anonymous".
func (p Principal) Actor() string {
	if p.Issuer != "" {
		return "oidc:" + p.Subject
	}
	return p.Subject
}

// String names the principal with its role, for logs and audit details.
func (p Principal) String() string {
	if p.Name == "" {
		return fmt.Sprintf("%s (%s)", p.Actor(), p.Role)
	}
	return fmt.Sprintf("%s %q (%s)", p.Actor(), p.Name, p.Role)
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the call ctx belongs to.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// OutgoingBearer returns ctx with "authorization: Bearer token" in the outgoing gRPC metadata, for
// clients of the services; an empty token leaves ctx as it is.
func OutgoingBearer(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}
