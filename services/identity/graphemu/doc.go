// Package graphemu is an in-process Microsoft Graph emulator for tests and local development.
//
// It serves a fixture tenant over net/http with Graph's real response shapes: OData collection
// envelopes (@odata.context, value, @odata.nextLink with an opaque $skiptoken), $select, $top,
// $filter (comparisons joined by and/or/not), $expand=principal on role assignments, Graph error
// bodies with innerError request ids, per-tenant token-bucket throttling (429 with Retry-After)
// and per-endpoint budgets (reports; Conditional Access, whose 429s carry no Retry-After; Secure
// Score), JSON batching (POST /v1.0/$batch and /beta/$batch, per-item 429s inside a 200
// envelope), 403 Authorization_RequestDenied when the calling app lacks the permission an
// endpoint needs, Authentication_RequestFromNonPremiumTenantOrB2CTenant on P1 endpoints and 400
// AadPremiumLicenseRequired on P2 (PIM) ones.
//
// Endpoints: organization, subscribedSkus, users (and their memberOf/transitiveMemberOf),
// groups (and members/transitiveMembers), the registration report (list and by id),
// directory/onPremisesSynchronization, the authentication methods, authorization and security
// defaults policies, Conditional Access policies, role assignments and PIM eligibility, sign-in
// logs, Secure Score and its control profiles, and the beta per-user MFA state
// (/beta/users/{id}/authentication/requirements).
//
// Tenants are Go values ([Tenant]) or JSON fixtures ([LoadTenant]); [GenerateTenant] builds large
// synthetic tenants, with admins, groups, Conditional Access, sign-ins and Secure Score when
// GenerateOptions.Security is set. [Start] runs an emulator for a test; [NewServer] returns the handler for a
// long-running process (see cmd/graphemu).
//
// Endpoints are declared in one table (routes.go): adding one is a path, the permissions that
// grant it, whether it needs Entra ID P1/P2, and a handler.
//
// Tokens are not validated. When a request carries a bearer JWT, its tid claim selects the tenant
// and its roles claim, when present, replaces the fixture's granted permissions; otherwise the
// first tenant added serves the request.
package graphemu
