package graphemu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// field is one property of an encoded entity, kept in Graph's property order.
type field struct {
	name string
	raw  json.RawMessage
}

// entity is a resource encoded once, so paging and $select only pick properties.
type entity []field

func (e entity) get(name string) (json.RawMessage, bool) {
	for _, f := range e {
		if f.name == name {
			return f.raw, true
		}
	}
	return nil, false
}

func encodeEntity(v any) (entity, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("encode %T: not a JSON object", v)
	}
	var e entity
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		e = append(e, field{name: tok.(string), raw: raw})
	}
	return e, nil
}

func encodeAll[T any](items []T) ([]entity, error) {
	out := make([]entity, 0, len(items))
	for i := range items {
		e, err := encodeEntity(&items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// entitySet describes a collection endpoint: how its items are encoded and which OData query
// options it honours.
type entitySet struct {
	// name is the entity set path used in @odata.context ("users",
	// "reports/authenticationMethods/userRegistrationDetails").
	name string
	// typeName is the Graph type, for error messages ("microsoft.graph.user").
	typeName string
	// properties are every selectable property, in Graph's order.
	properties []string
	// defaultSelect is what Graph returns without $select; nil means every property.
	defaultSelect []string
	// pageSize is the server page size; 0 means the collection is never paged.
	pageSize int
	// maxTop is the largest $top Graph accepts; 0 means $top is not supported.
	maxTop int
	// filter reports whether $filter is supported: comparisons (eq, ne, ge, gt, le, lt) of a
	// scalar property with a literal, joined by and/or, with parentheses (see filter.go).
	filter bool
	// items encodes the tenant's entities; the result is cached per tenant.
	items func(t *Tenant) ([]entity, error)
	// under, for a navigation collection such as /groups/{id}/members, lists the entities for
	// the request's path parameters instead of items; results are cached per parameters.
	under func(ts *tenantState, params map[string]string) ([]entity, *graphError)
	// expand names the navigation properties $expand accepts and how to fill each of them.
	expand map[string]func(ts *tenantState, e entity) json.RawMessage
	// context, when set, is the @odata.context entity set in place of name
	// ("directoryObjects" for membership lists).
	context string
}

func propertiesOf(zero any) []string {
	e, err := encodeEntity(zero)
	if err != nil {
		panic(err)
	}
	names := make([]string, len(e))
	for i, f := range e {
		names[i] = f.name
	}
	return names
}

// odataQuery is the parsed system query options of one request.
type odataQuery struct {
	selected  []string
	top       int
	skip      int
	filter    filterExpr
	expand    []string
	rawParams []queryParam // everything except $skiptoken, for the next link
}

type queryParam struct{ key, value string }

// optionName returns the canonical $-prefixed name; Graph v1.0 accepts system query options
// with or without the $ prefix.
func optionName(key string) string {
	k := strings.ToLower(strings.TrimPrefix(key, "$"))
	switch k {
	case "select", "top", "skiptoken", "filter", "orderby", "expand", "count", "search", "skip", "format":
		return "$" + k
	}
	return key
}

// parseQuery reads the system query options; scope binds skip tokens to one collection (the
// entity set and, for navigation collections, its parent).
func parseQuery(set *entitySet, tenantID, scope string, r *http.Request) (odataQuery, *graphError) {
	var q odataQuery
	pairs, err := splitQuery(r.URL.RawQuery)
	if err != nil {
		return q, badRequest("Request_BadRequest", "Malformed query string.")
	}
	for _, p := range pairs {
		switch optionName(p.key) {
		case "$select":
			for _, name := range strings.Split(p.value, ",") {
				name = strings.TrimSpace(name)
				if name == "" {
					continue
				}
				canon, ok := lookupProperty(set.properties, name)
				if !ok {
					return q, badRequest("Request_BadRequest", fmt.Sprintf("Could not find a property named '%s' on type '%s'.", name, set.typeName))
				}
				q.selected = append(q.selected, canon)
			}
		case "$top":
			n, err := strconv.Atoi(p.value)
			if set.maxTop == 0 {
				return q, badRequest("Request_UnsupportedQuery", fmt.Sprintf("The query parameter '$top' is not supported on %s.", set.name))
			}
			if err != nil || n < 1 || n > set.maxTop {
				return q, badRequest("Request_UnsupportedQuery", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", p.value, set.maxTop))
			}
			q.top = n
		case "$skiptoken":
			off, ok := decodeSkipToken(p.value, tenantID, scope)
			if !ok {
				return q, badRequest("Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
			}
			q.skip = off
			continue
		case "$filter":
			if !set.filter {
				return q, badRequest("Request_UnsupportedQuery", fmt.Sprintf("graphemu does not emulate $filter on %s.", set.name))
			}
			expr, gerr := parseFilter(p.value, set)
			if gerr != nil {
				return q, gerr
			}
			q.filter = expr
		case "$expand":
			for _, name := range strings.Split(p.value, ",") {
				name = strings.TrimSpace(name)
				canon := ""
				for k := range set.expand {
					if strings.EqualFold(k, name) {
						canon = k
					}
				}
				if canon == "" {
					return q, badRequest("Request_UnsupportedQuery", fmt.Sprintf("graphemu does not emulate $expand=%s on %s.", name, set.name))
				}
				q.expand = append(q.expand, canon)
			}
		case "$orderby", "$count", "$search", "$skip":
			return q, badRequest("Request_UnsupportedQuery", fmt.Sprintf("graphemu does not emulate %s on %s.", optionName(p.key), set.name))
		}
		q.rawParams = append(q.rawParams, p)
	}
	return q, nil
}

// splitQuery keeps the order of query parameters so next links read like Graph's.
func splitQuery(raw string) ([]queryParam, error) {
	var out []queryParam
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		out = append(out, queryParam{key: key, value: value})
	}
	return out, nil
}

func lookupProperty(props []string, name string) (string, bool) {
	for _, p := range props {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

// skip tokens are opaque to clients; binding them to tenant and entity set makes a token pasted
// into another query fail the way an expired Graph token does.
func encodeSkipToken(tenantID, set string, offset int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "gemu1|%s|%s|%d", tenantID, set, offset))
}

func decodeSkipToken(tok, tenantID, set string) (int, bool) {
	data, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(data), "|")
	if len(parts) != 4 || parts[0] != "gemu1" || !strings.EqualFold(parts[1], tenantID) || parts[2] != set {
		return 0, false
	}
	off, err := strconv.Atoi(parts[3])
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// writeEntity appends e restricted to props.
func writeEntity(buf *bytes.Buffer, e entity, props []string) {
	buf.WriteByte('{')
	first := true
	add := func(f field) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteByte('"')
		buf.WriteString(f.name)
		buf.WriteString(`":`)
		buf.Write(f.raw)
	}
	if props == nil {
		for _, f := range e {
			add(f)
		}
	} else {
		// Annotations such as @odata.type come whatever $select says.
		for _, f := range e {
			if strings.HasPrefix(f.name, "@odata.") {
				add(f)
			}
		}
		for _, p := range props {
			if raw, ok := e.get(p); ok {
				add(field{name: p, raw: raw})
			}
		}
	}
	buf.WriteByte('}')
}

// nextLink rebuilds the request URL with a new $skiptoken, keeping the other options in order
// the way Graph does (…/users?$select=id&$top=5&$skiptoken=…).
func nextLink(base, path string, params []queryParam, token string) string {
	var b strings.Builder
	b.WriteString(base)
	b.WriteString(path)
	sep := byte('?')
	for _, p := range append(params, queryParam{key: "$skiptoken", value: token}) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(escapeQuery(p.key))
		b.WriteByte('=')
		b.WriteString(escapeQuery(p.value))
	}
	return b.String()
}

func escapeQuery(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("%24", "$", "%2C", ",", "%27", "'").Replace(e)
}
