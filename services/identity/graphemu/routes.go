package graphemu

import (
	"bytes"
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
	// premium marks endpoints that need Microsoft Entra ID P1 or P2.
	premium bool
	handle  func(s *Server, x *exchange)
}

// Entity sets served today. New endpoints add a set (if they list something) and a route.
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
)

// Permissions that grant the directory reads, least privileged first.
var (
	orgReadPermissions  = []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	userReadPermissions = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)

func defaultRoutes() []route {
	return []route{
		{method: http.MethodGet, pattern: "/v1.0/subscribedSkus", permissions: append([]string{"LicenseAssignment.Read.All"}, orgReadPermissions...), handle: serveSet(subscribedSkusSet)},
		{method: http.MethodGet, pattern: "/v1.0/organization", permissions: orgReadPermissions, handle: serveSet(organizationSet)},
		{method: http.MethodGet, pattern: "/v1.0/users", permissions: userReadPermissions, handle: serveSet(usersSet)},
		{method: http.MethodGet, pattern: "/v1.0/reports/authenticationMethods/userRegistrationDetails", permissions: []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"}, premium: true, handle: serveSet(userRegistrationDetailsSet)},
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

// serveSet answers a collection GET with Graph's envelope, paging, $select, $top and $filter.
func serveSet(set *entitySet) func(*Server, *exchange) {
	return func(s *Server, x *exchange) {
		q, gerr := parseQuery(set, x.ts.t.ID, x.r)
		if gerr != nil {
			x.fail(gerr)
			return
		}
		all, err := x.ts.entities(set)
		if err != nil {
			x.fail(&graphError{status: http.StatusInternalServerError, code: "InternalServerError", message: "graphemu: " + err.Error()})
			return
		}
		items := all
		if len(q.filter) > 0 {
			items = make([]entity, 0, len(all))
			for _, e := range all {
				if q.matches(e) {
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
		var buf bytes.Buffer
		buf.Grow((end - start) * 512)
		buf.WriteString(`{"@odata.context":`)
		writeJSONString(&buf, x.base+"/v1.0/$metadata#"+set.name+selectSuffix(q.selected))
		if end < len(items) {
			buf.WriteString(`,"@odata.nextLink":`)
			writeJSONString(&buf, nextLink(x.base, x.r.URL.Path, q.rawParams, encodeSkipToken(x.ts.t.ID, set.name, end)))
		}
		buf.WriteString(`,"value":[`)
		for i, e := range items[start:end] {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeEntity(&buf, e, props)
		}
		buf.WriteString("]}")
		x.writeOData(buf.Bytes())
	}
}

func selectSuffix(selected []string) string {
	if len(selected) == 0 {
		return ""
	}
	return "(" + strings.Join(selected, ",") + ")"
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
