package graphemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// route is one emulated endpoint.
type route struct {
	method string
	// pattern is the path with {name} wildcards for single segments, e.g. /v1.0/users/{id}.
	pattern string
	// permissions are the application permissions any one of which grants access, least
	// privileged first (as in each endpoint's Graph reference page).
	permissions []string
	// licence is the Microsoft Entra ID plan the endpoint needs: 0 none, 1 P1 (or P2), 2 P2.
	licence int
	// throttle is the endpoint's own throttling class, if it has one (see [ThrottleClass]).
	throttle ThrottleClass
	handle   func(s *Server, x *exchange)
}

// Entity sets. New endpoints add a set (if they list something) and a route.
var (
	subscribedSkusSet = &entitySet{
		name:       "subscribedSkus",
		typeName:   "microsoft.graph.subscribedSku",
		properties: propertiesOf(&SubscribedSKU{}),
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.SubscribedSKUs) },
	}
	organizationSet = &entitySet{
		name:       "organization",
		typeName:   "microsoft.graph.organization",
		properties: propertiesOf(&Organization{}),
		items:      func(t *Tenant) ([]entity, error) { return encodeAll([]Organization{t.Organization}) },
	}
	usersSet = &entitySet{
		name:       "users",
		typeName:   "microsoft.graph.user",
		properties: propertiesOf(&User{}),
		// Graph's default user properties when $select is absent.
		defaultSelect: []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"},
		pageSize:      100,
		maxTop:        999,
		items:         func(t *Tenant) ([]entity, error) { return encodeAll(t.Users) },
	}
	userRegistrationDetailsSet = &entitySet{
		name:       "reports/authenticationMethods/userRegistrationDetails",
		typeName:   "microsoft.graph.userRegistrationDetails",
		properties: propertiesOf(&UserRegistrationDetails{}),
		pageSize:   100,
		maxTop:     999,
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.UserRegistrationDetails) },
	}
	onPremisesSyncSet = &entitySet{
		name:       "directory/onPremisesSynchronization",
		typeName:   "microsoft.graph.onPremisesDirectorySynchronization",
		properties: propertiesOf(&OnPremisesDirectorySynchronization{}),
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.OnPremisesSynchronization) },
	}
	conditionalAccessSet = &entitySet{
		name:       "identity/conditionalAccess/policies",
		typeName:   "microsoft.graph.conditionalAccessPolicy",
		properties: propertiesOf(&ConditionalAccessPolicy{}),
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.ConditionalAccessPolicies) },
	}
	roleAssignmentsSet = &entitySet{
		name:       "roleManagement/directory/roleAssignments",
		typeName:   "microsoft.graph.unifiedRoleAssignment",
		properties: propertiesOf(&RoleAssignment{}),
		pageSize:   100,
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.RoleAssignments) },
		expand:     map[string]func(*tenantState, entity) json.RawMessage{"principal": expandPrincipal},
	}
	roleEligibilitySet = &entitySet{
		name:       "roleManagement/directory/roleEligibilityScheduleInstances",
		typeName:   "microsoft.graph.unifiedRoleEligibilityScheduleInstance",
		properties: propertiesOf(&RoleEligibility{}),
		pageSize:   100,
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.RoleEligibilities) },
		expand:     map[string]func(*tenantState, entity) json.RawMessage{"principal": expandPrincipal},
	}
	groupMembersSet           = membershipSet("members", false, false)
	groupTransitiveMembersSet = membershipSet("transitiveMembers", false, true)
	userMemberOfSet           = membershipSet("memberOf", true, false)
	userTransitiveMemberOfSet = membershipSet("transitiveMemberOf", true, true)
	signInsSet                = &entitySet{
		name:       "auditLogs/signIns",
		typeName:   "microsoft.graph.signIn",
		properties: propertiesOf(&SignIn{}),
		pageSize:   1000,
		maxTop:     1000,
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.SignIns) },
	}
	secureScoresSet = &entitySet{
		name:       "security/secureScores",
		typeName:   "microsoft.graph.secureScore",
		properties: propertiesOf(&SecureScore{}),
		pageSize:   100,
		maxTop:     999,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.SecureScores) },
	}
	controlProfilesSet = &entitySet{
		name:       "security/secureScoreControlProfiles",
		typeName:   "microsoft.graph.secureScoreControlProfile",
		properties: propertiesOf(&SecureScoreControlProfile{}),
		pageSize:   100,
		maxTop:     999,
		filter:     true,
		items:      func(t *Tenant) ([]entity, error) { return encodeAll(t.SecureScoreControlProfiles) },
	}
)

// Permissions that grant each read, least privileged first.
var (
	orgReadPermissions             = []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	userReadPermissions            = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	registrationPermissions        = []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"}
	syncReadPermissions            = []string{"OnPremDirectorySynchronization.Read.All", "OnPremDirectorySynchronization.ReadWrite.All"}
	authMethodsPolicyPermissions   = []string{"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod"}
	authorizationPolicyPermissions = []string{"Policy.Read.All", "Policy.ReadWrite.Authorization"}
	securityDefaultsPermissions    = []string{"Policy.Read.All", "Policy.ReadWrite.SecurityDefaults"}
	caReadPermissions              = []string{"Policy.Read.ConditionalAccess", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}
	roleReadPermissions            = []string{"RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"}
	eligibilityReadPermissions     = []string{"RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"}
	groupReadPermissions           = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	groupMemberPermissions         = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	memberOfPermissions            = []string{"User.Read.All", "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	perUserMFAPermissions          = []string{"Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"}
	signInPermissions              = []string{"AuditLog.Read.All"}
	secureScorePermissions         = []string{"SecurityEvents.Read.All", "SecurityEvents.ReadWrite.All"}
)

func defaultRoutes() []route {
	get := http.MethodGet
	return []route{
		{method: get, pattern: "/v1.0/subscribedSkus", permissions: append([]string{"LicenseAssignment.Read.All"}, orgReadPermissions...), handle: serveSet(subscribedSkusSet)},
		{method: get, pattern: "/v1.0/organization", permissions: orgReadPermissions, handle: serveSet(organizationSet)},
		{method: get, pattern: "/v1.0/users", permissions: userReadPermissions, handle: serveSet(usersSet)},
		{method: get, pattern: "/v1.0/users/{id}/memberOf", permissions: memberOfPermissions, handle: serveSet(userMemberOfSet)},
		{method: get, pattern: "/v1.0/users/{id}/transitiveMemberOf", permissions: memberOfPermissions, handle: serveSet(userTransitiveMemberOfSet)},
		{method: get, pattern: "/v1.0/groups/{id}", permissions: groupReadPermissions, handle: serveGroup},
		{method: get, pattern: "/v1.0/groups/{id}/members", permissions: groupMemberPermissions, handle: serveSet(groupMembersSet)},
		{method: get, pattern: "/v1.0/groups/{id}/transitiveMembers", permissions: groupMemberPermissions, handle: serveSet(groupTransitiveMembersSet)},
		{method: get, pattern: "/v1.0/reports/authenticationMethods/userRegistrationDetails", permissions: registrationPermissions, licence: 1, throttle: ThrottleReports, handle: serveSet(userRegistrationDetailsSet)},
		{method: get, pattern: "/v1.0/reports/authenticationMethods/userRegistrationDetails/{id}", permissions: registrationPermissions, licence: 1, throttle: ThrottleReports, handle: serveItem(userRegistrationDetailsSet)},
		{method: get, pattern: "/v1.0/directory/onPremisesSynchronization", permissions: syncReadPermissions, handle: serveSet(onPremisesSyncSet)},
		{method: get, pattern: "/v1.0/policies/authenticationMethodsPolicy", permissions: authMethodsPolicyPermissions,
			handle: serveSingleton("policies/authenticationMethodsPolicy", func(t *Tenant) any { return t.AuthenticationMethodsPolicy })},
		{method: get, pattern: "/v1.0/policies/authorizationPolicy", permissions: authorizationPolicyPermissions,
			handle: serveSingleton("policies/authorizationPolicy", func(t *Tenant) any { return t.AuthorizationPolicy })},
		{method: get, pattern: "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", permissions: securityDefaultsPermissions,
			handle: serveSingleton("policies/identitySecurityDefaultsEnforcementPolicy", func(t *Tenant) any { return t.SecurityDefaults })},
		{method: get, pattern: "/v1.0/identity/conditionalAccess/policies", permissions: caReadPermissions, throttle: ThrottleConditionalAccess, handle: serveSet(conditionalAccessSet)},
		{method: get, pattern: "/v1.0/roleManagement/directory/roleAssignments", permissions: roleReadPermissions, handle: serveSet(roleAssignmentsSet)},
		{method: get, pattern: "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances", permissions: eligibilityReadPermissions, licence: 2, handle: serveSet(roleEligibilitySet)},
		{method: get, pattern: "/v1.0/auditLogs/signIns", permissions: signInPermissions, licence: 1, throttle: ThrottleReports, handle: serveSet(signInsSet)},
		{method: get, pattern: "/v1.0/security/secureScores", permissions: secureScorePermissions, throttle: ThrottleSecureScore, handle: serveSet(secureScoresSet)},
		{method: get, pattern: "/v1.0/security/secureScoreControlProfiles", permissions: secureScorePermissions, throttle: ThrottleSecureScore, handle: serveSet(controlProfilesSet)},
		{method: get, pattern: "/beta/users/{id}/authentication/requirements", permissions: perUserMFAPermissions, handle: servePerUserMFA},
	}
}

// KnownPermissions lists every application permission some emulated endpoint accepts.
func KnownPermissions() []string {
	var all []string
	for _, rt := range defaultRoutes() {
		for _, p := range rt.permissions {
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		}
	}
	slices.Sort(all)
	return all
}

// match finds the route for a path. Graph answers an unknown segment with 400 and a known
// resource with the wrong method with 405.
func (s *Server) match(method, path string) (*route, map[string]string, *graphError) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	methodMismatch := false
	for i := range s.routes {
		rt := &s.routes[i]
		params, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method != method {
			methodMismatch = true
			continue
		}
		return rt, params, nil
	}
	if methodMismatch {
		return nil, nil, &graphError{status: http.StatusMethodNotAllowed, code: "Request_BadRequest", message: fmt.Sprintf("The HTTP method '%s' is not allowed for the resource.", method)}
	}
	last := segs[len(segs)-1]
	return nil, nil, badRequest("BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", last))
}

func matchPattern(pattern string, segs []string) (map[string]string, bool) {
	psegs := strings.Split(strings.Trim(pattern, "/"), "/")
	if len(psegs) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range psegs {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		// Graph path segments are case-insensitive.
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

// serveSet answers a collection GET with Graph's envelope, paging, $select, $top, $filter and
// $expand.
func serveSet(set *entitySet) func(*Server, *exchange) {
	return func(s *Server, x *exchange) {
		scope := set.name + paramsKey(x.params)
		q, gerr := parseQuery(set, x.ts.t.ID, scope, x.r)
		if gerr != nil {
			x.fail(gerr)
			return
		}
		all, gerr := x.ts.entities(set, x.params)
		if gerr != nil {
			x.fail(gerr)
			return
		}
		items := all
		if q.filter != nil {
			items = make([]entity, 0, len(all))
			for _, e := range all {
				if q.filter.matches(e) {
					items = append(items, e)
				}
			}
		}

		start, end := 0, len(items)
		if set.pageSize > 0 {
			size := set.pageSize
			if q.top > 0 {
				size = q.top
			}
			if limit := s.opts.pageSize; limit > 0 && (q.top == 0 || limit < size) {
				size = limit
			}
			start = min(q.skip, len(items))
			end = min(start+size, len(items))
		}

		props := set.defaultSelect
		if q.selected != nil {
			props = q.selected
		}
		if props != nil && len(q.expand) > 0 {
			props = append(slices.Clone(props), q.expand...)
		}
		ctxName := set.name
		if set.context != "" {
			ctxName = set.context
		}
		var buf bytes.Buffer
		buf.Grow((end - start) * 512)
		buf.WriteString(`{"@odata.context":`)
		writeJSONString(&buf, x.base+"/v1.0/$metadata#"+ctxName+selectSuffix(q.selected, q.expand))
		if end < len(items) {
			buf.WriteString(`,"@odata.nextLink":`)
			writeJSONString(&buf, nextLink(x.base, x.r.URL.Path, q.rawParams, encodeSkipToken(x.ts.t.ID, scope, end)))
		}
		buf.WriteString(`,"value":[`)
		for i, e := range items[start:end] {
			if i > 0 {
				buf.WriteByte(',')
			}
			if len(q.expand) > 0 {
				e = slices.Clone(e)
				for _, name := range q.expand {
					e = append(e, field{name: name, raw: set.expand[name](x.ts, e)})
				}
			}
			writeEntity(&buf, e, props)
		}
		buf.WriteString("]}")
		x.writeOData(buf.Bytes())
	}
}

// serveItem answers GET {set}/{id}: one entity of a collection, or Graph's 404.
func serveItem(set *entitySet) func(*Server, *exchange) {
	return func(s *Server, x *exchange) {
		all, gerr := x.ts.entities(set, nil)
		if gerr != nil {
			x.fail(gerr)
			return
		}
		id := x.params["id"]
		for _, e := range all {
			raw, _ := e.get("id")
			var got string
			_ = json.Unmarshal(raw, &got)
			if strings.EqualFold(got, id) {
				var buf bytes.Buffer
				buf.WriteString(`{"@odata.context":`)
				writeJSONString(&buf, x.base+"/v1.0/$metadata#"+set.name+"/$entity")
				inner := bytes.Buffer{}
				writeEntity(&inner, e, set.defaultSelect)
				if inner.Len() > 2 {
					buf.WriteByte(',')
					buf.Write(inner.Bytes()[1:])
				} else {
					buf.WriteByte('}')
				}
				x.writeOData(buf.Bytes())
				return
			}
		}
		x.fail(notFound(id))
	}
}

// serveSingleton answers GET of a single object such as /policies/authorizationPolicy.
func serveSingleton(contextPath string, get func(t *Tenant) any) func(*Server, *exchange) {
	return func(s *Server, x *exchange) {
		e, err := encodeEntity(get(x.ts.t))
		if err != nil {
			x.fail(&graphError{status: http.StatusInternalServerError, code: "InternalServerError", message: "graphemu: " + err.Error()})
			return
		}
		var buf bytes.Buffer
		buf.WriteString(`{"@odata.context":`)
		writeJSONString(&buf, x.base+"/v1.0/$metadata#"+contextPath+"/$entity")
		for _, f := range e {
			buf.WriteByte(',')
			writeJSONString(&buf, f.name)
			buf.WriteByte(':')
			buf.Write(f.raw)
		}
		buf.WriteByte('}')
		x.writeOData(buf.Bytes())
	}
}

// serveGroup answers GET /groups/{id}, with $select.
func serveGroup(s *Server, x *exchange) {
	set := &entitySet{name: "groups", typeName: "microsoft.graph.group", properties: groupProperties}
	q, gerr := parseQuery(set, x.ts.t.ID, "groups", x.r)
	if gerr != nil {
		x.fail(gerr)
		return
	}
	d, err := x.ts.directory()
	if err != nil {
		x.fail(internalError(err))
		return
	}
	obj, ok := d.objects[strings.ToLower(x.params["id"])]
	if !ok || !isType(obj, "#microsoft.graph.group") {
		x.fail(notFound(x.params["id"]))
		return
	}
	var inner bytes.Buffer
	writeEntity(&inner, obj, q.selected)
	var buf bytes.Buffer
	buf.WriteString(`{"@odata.context":`)
	writeJSONString(&buf, x.base+"/v1.0/$metadata#groups"+selectSuffix(q.selected, nil)+"/$entity")
	buf.WriteByte(',')
	buf.Write(inner.Bytes()[1:])
	x.writeOData(buf.Bytes())
}

var groupProperties = func() []string {
	var out []string
	for _, p := range propertiesOf(&Group{}) {
		if p != "members" {
			out = append(out, p)
		}
	}
	return out
}()

// servePerUserMFA answers the beta GET /users/{id}/authentication/requirements.
func servePerUserMFA(s *Server, x *exchange) {
	id := x.params["id"]
	var user *User
	for i := range x.ts.t.Users {
		u := &x.ts.t.Users[i]
		if strings.EqualFold(u.ID, id) || strings.EqualFold(u.UserPrincipalName, id) {
			user = u
			break
		}
	}
	if user == nil {
		x.fail(notFound(id))
		return
	}
	state := x.ts.t.PerUserMFA[user.ID]
	if state == "" {
		state = PerUserMFADisabled
	}
	var buf bytes.Buffer
	buf.WriteString(`{"@odata.context":`)
	writeJSONString(&buf, x.base+"/beta/$metadata#users('"+id+"')/authentication/requirements")
	buf.WriteString(`,"perUserMfaState":`)
	writeJSONString(&buf, state)
	buf.WriteByte('}')
	x.writeOData(buf.Bytes())
}

// membershipSet serves /users/{id}/memberOf (fromUser) or /groups/{id}/members, direct or
// transitive, as Graph's directoryObject collections.
func membershipSet(name string, fromUser, transitive bool) *entitySet {
	props := propertiesOf(&User{})
	for _, p := range append(propertiesOf(&Group{}), propertiesOf(&ServicePrincipal{})...) {
		if p != "members" && !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	parent := "groups"
	if fromUser {
		parent = "users"
	}
	return &entitySet{
		name:       parent + "/" + name,
		context:    "directoryObjects",
		typeName:   "microsoft.graph.directoryObject",
		properties: props,
		pageSize:   100,
		maxTop:     999,
		under: func(ts *tenantState, params map[string]string) ([]entity, *graphError) {
			d, err := ts.directory()
			if err != nil {
				return nil, internalError(err)
			}
			id := params["id"]
			obj, ok := d.objects[strings.ToLower(id)]
			if !ok && fromUser {
				// /users/{id} also takes a userPrincipalName.
				for _, u := range ts.t.Users {
					if strings.EqualFold(u.UserPrincipalName, id) {
						id, obj, ok = u.ID, d.objects[strings.ToLower(u.ID)], true
						break
					}
				}
			}
			want := "#microsoft.graph.group"
			if fromUser {
				want = "#microsoft.graph.user"
			}
			if !ok || !isType(obj, want) {
				return nil, notFound(params["id"])
			}
			index := d.members
			if fromUser {
				index = d.memberOf
			}
			var ids []string
			if transitive {
				ids = closure(index, id)
			} else {
				ids = index[strings.ToLower(id)]
			}
			out := make([]entity, 0, len(ids))
			for _, m := range ids {
				out = append(out, d.objects[strings.ToLower(m)])
			}
			return out, nil
		},
	}
}

func isType(e entity, odataType string) bool {
	raw, _ := e.get("@odata.type")
	return string(raw) == `"`+odataType+`"`
}

// expandPrincipal fills $expand=principal of a role assignment or eligibility: the full directory
// object, as Graph returns it.
func expandPrincipal(ts *tenantState, e entity) json.RawMessage {
	raw, _ := e.get("principalId")
	var id string
	_ = json.Unmarshal(raw, &id)
	d, err := ts.directory()
	if err != nil {
		return json.RawMessage("null")
	}
	obj, ok := d.objects[strings.ToLower(id)]
	if !ok {
		return json.RawMessage("null")
	}
	var buf bytes.Buffer
	writeEntity(&buf, obj, nil)
	return buf.Bytes()
}

func paramsKey(params map[string]string) string {
	if id, ok := params["id"]; ok {
		return "/" + strings.ToLower(id)
	}
	return ""
}

func notFound(id string) *graphError {
	return &graphError{status: http.StatusNotFound, code: "Request_ResourceNotFound", message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

func internalError(err error) *graphError {
	return &graphError{status: http.StatusInternalServerError, code: "InternalServerError", message: "graphemu: " + err.Error()}
}

func selectSuffix(selected, expand []string) string {
	parts := slices.Clone(selected)
	for _, e := range expand {
		parts = append(parts, e+"()")
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ",") + ")"
}

func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			buf.WriteByte('\\')
			buf.WriteRune(r)
		default:
			if r < 0x20 {
				fmt.Fprintf(buf, `\u%04x`, r)
			} else {
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}
