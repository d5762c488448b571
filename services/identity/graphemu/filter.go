package graphemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// filterExpr is a parsed $filter: comparisons of a scalar property with a literal (eq, ne, ge,
// gt, le, lt), joined by and/or, negated by not, grouped by parentheses. That covers the filters
// the identity service sends, such as
//
//	roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'
//	createdDateTime ge 2025-05-03T00:00:00Z and (clientAppUsed eq 'IMAP4' or clientAppUsed eq 'POP3')
//
// Lambda operators (any/all) and functions (startsWith) are refused as unsupported.
type filterExpr interface {
	matches(e entity) bool
}

type filterAnd []filterExpr
type filterOr []filterExpr
type filterNot struct{ x filterExpr }

func (f filterAnd) matches(e entity) bool {
	for _, x := range f {
		if !x.matches(e) {
			return false
		}
	}
	return true
}

func (f filterOr) matches(e entity) bool {
	for _, x := range f {
		if x.matches(e) {
			return true
		}
	}
	return false
}

func (f filterNot) matches(e entity) bool { return !f.x.matches(e) }

type literalKind int

const (
	litString literalKind = iota
	litBool
	litNull
	litNumber
	litTime
)

// filterCompare is "property op literal".
type filterCompare struct {
	property string
	op       string // eq, ne, ge, gt, le, lt
	kind     literalKind
	str      string
	num      float64
	when     time.Time
	raw      json.RawMessage // canonical JSON of bool and null literals
}

func (c filterCompare) matches(e entity) bool {
	raw, ok := e.get(c.property)
	if !ok {
		raw = json.RawMessage("null")
	}
	raw = bytes.TrimSpace(raw)
	cmp, comparable := c.compare(raw)
	switch c.op {
	case "eq":
		return comparable && cmp == 0
	case "ne":
		return !comparable || cmp != 0
	case "ge":
		return comparable && cmp >= 0
	case "gt":
		return comparable && cmp > 0
	case "le":
		return comparable && cmp <= 0
	case "lt":
		return comparable && cmp < 0
	}
	return false
}

// compare orders the property's value against the literal; comparable is false when they are
// of different kinds (a null property never equals a string).
func (c filterCompare) compare(raw json.RawMessage) (int, bool) {
	switch c.kind {
	case litBool, litNull:
		if bytes.Equal(raw, c.raw) {
			return 0, true
		}
		return 1, c.op == "eq" || c.op == "ne"
	case litNumber:
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return 0, false
		}
		return cmpFloat(v, c.num), true
	case litTime:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		return t.Compare(c.when), true
	default:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		if c.op == "eq" || c.op == "ne" {
			// Directory string comparisons are case-insensitive.
			if strings.EqualFold(s, c.str) {
				return 0, true
			}
			return strings.Compare(strings.ToLower(s), strings.ToLower(c.str)), true
		}
		return strings.Compare(s, c.str), true
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type filterToken struct {
	text   string
	quoted bool // a string literal, unescaped
}

func tokenizeFilter(expr string) ([]filterToken, error) {
	var toks []filterToken
	for i := 0; i < len(expr); {
		ch := expr[i]
		switch {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '(' || ch == ')' || ch == ',':
			toks = append(toks, filterToken{text: string(ch)})
			i++
		case ch == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(expr) {
				if expr[i] == '\'' {
					if i+1 < len(expr) && expr[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(expr[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string literal")
			}
			toks = append(toks, filterToken{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(expr) && !strings.ContainsRune(" \t(),'", rune(expr[j])) {
				j++
			}
			toks = append(toks, filterToken{text: expr[i:j]})
			i = j
		}
	}
	return toks, nil
}

type filterParser struct {
	toks []filterToken
	pos  int
	set  *entitySet
	expr string
}

func parseFilter(expr string, set *entitySet) (filterExpr, *graphError) {
	toks, err := tokenizeFilter(expr)
	if err != nil || len(toks) == 0 {
		return nil, badRequest("BadRequest", fmt.Sprintf("Invalid filter clause: '%s'.", expr))
	}
	p := &filterParser{toks: toks, set: set, expr: expr}
	x, gerr := p.or()
	if gerr != nil {
		return nil, gerr
	}
	if p.pos != len(p.toks) {
		return nil, p.invalid()
	}
	return x, nil
}

func (p *filterParser) invalid() *graphError {
	return badRequest("BadRequest", fmt.Sprintf("Invalid filter clause: '%s'.", p.expr))
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *filterParser) or() (filterExpr, *graphError) {
	first, gerr := p.and()
	if gerr != nil {
		return nil, gerr
	}
	terms := filterOr{first}
	for p.peekWord("or") {
		p.pos++
		x, gerr := p.and()
		if gerr != nil {
			return nil, gerr
		}
		terms = append(terms, x)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return terms, nil
}

func (p *filterParser) and() (filterExpr, *graphError) {
	first, gerr := p.unary()
	if gerr != nil {
		return nil, gerr
	}
	terms := filterAnd{first}
	for p.peekWord("and") {
		p.pos++
		x, gerr := p.unary()
		if gerr != nil {
			return nil, gerr
		}
		terms = append(terms, x)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return terms, nil
}

func (p *filterParser) unary() (filterExpr, *graphError) {
	switch {
	case p.pos >= len(p.toks):
		return nil, p.invalid()
	case p.peekWord("not"):
		p.pos++
		x, gerr := p.unary()
		if gerr != nil {
			return nil, gerr
		}
		return filterNot{x}, nil
	case p.toks[p.pos].text == "(" && !p.toks[p.pos].quoted:
		p.pos++
		x, gerr := p.or()
		if gerr != nil {
			return nil, gerr
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].text != ")" {
			return nil, p.invalid()
		}
		p.pos++
		return x, nil
	}
	return p.comparison()
}

func (p *filterParser) comparison() (filterExpr, *graphError) {
	name := p.toks[p.pos]
	if name.quoted {
		return nil, p.invalid()
	}
	if p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "(" {
		return nil, badRequest("Request_UnsupportedQuery", fmt.Sprintf("graphemu does not emulate the function or lambda '%s' in $filter.", name.text))
	}
	prop, ok := lookupProperty(p.set.properties, name.text)
	if !ok {
		return nil, badRequest("BadRequest", fmt.Sprintf("Could not find a property named '%s' on type '%s'.", name.text, p.set.typeName))
	}
	if p.pos+2 >= len(p.toks) {
		return nil, p.invalid()
	}
	op := strings.ToLower(p.toks[p.pos+1].text)
	switch op {
	case "eq", "ne", "ge", "gt", "le", "lt":
	default:
		return nil, badRequest("Request_UnsupportedQuery", fmt.Sprintf("graphemu supports only eq, ne, ge, gt, le and lt in $filter, not '%s'.", p.toks[p.pos+1].text))
	}
	lit := p.toks[p.pos+2]
	p.pos += 3
	c := filterCompare{property: prop, op: op}
	switch {
	case lit.quoted:
		c.kind, c.str = litString, lit.text
	case lit.text == "true" || lit.text == "false" || lit.text == "null":
		c.kind, c.raw = litBool, json.RawMessage(lit.text)
		if lit.text == "null" {
			c.kind = litNull
		}
	default:
		if v, err := strconv.ParseFloat(lit.text, 64); err == nil {
			c.kind, c.num = litNumber, v
			break
		}
		if t, err := time.Parse(time.RFC3339Nano, lit.text); err == nil {
			c.kind, c.when = litTime, t
			break
		}
		return nil, p.invalid()
	}
	if c.kind != litString && c.kind != litNumber && c.kind != litTime && op != "eq" && op != "ne" {
		return nil, badRequest("Request_UnsupportedQuery", fmt.Sprintf("'%s' cannot compare with %s.", op, lit.text))
	}
	return c, nil
}
