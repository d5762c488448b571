// Package graphemu is an in-process Microsoft Graph emulator for tests and local development.
//
// It serves a fixture tenant over net/http with Graph's real response shapes: OData collection
// envelopes (@odata.context, value, @odata.nextLink with an opaque $skiptoken), $select and $top,
// Graph error bodies with innerError request ids, per-tenant token-bucket throttling (429 with
// Retry-After), JSON batching (POST /v1.0/$batch, per-item 429s inside a 200 envelope), 403
// Authorization_RequestDenied when the calling app lacks the permission an endpoint needs, and
// Authentication_RequestFromNonPremiumTenantOrB2CTenant on premium-only endpoints.
//
// Tenants are Go values ([Tenant]) or JSON fixtures ([LoadTenant]); [GenerateTenant] builds large
// synthetic tenants. [Start] runs an emulator for a test; [NewServer] returns the handler for a
// long-running process (see cmd/graphemu).
//
// Endpoints are declared in one table (routes.go): adding one is a path, the permissions that
// grant it, whether it needs Entra ID P1/P2, and a handler.
//
// Tokens are not validated. When a request carries a bearer JWT, its tid claim selects the tenant
// and its roles claim, when present, replaces the fixture's granted permissions; otherwise the
// first tenant added serves the request.
package graphemu
