package ldapconn

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// ValidateDN checks that dn is a well-formed, non-empty distinguished name
// (RFC 4514), such as "CN=Jane Doe,OU=Staff,DC=example,DC=com". It returns a
// *DNError (errors.Is ErrInvalidDN) saying what is wrong. Every method of
// Conn that takes a DN checks it first, so a malformed DN never reaches the
// server.
func ValidateDN(dn string) error {
	if strings.TrimSpace(dn) == "" {
		return &DNError{DN: dn, Reason: "empty"}
	}
	if !utf8.ValidString(dn) {
		return &DNError{DN: dn, Reason: "not valid UTF-8"}
	}
	if strings.ContainsRune(dn, 0) {
		return &DNError{DN: dn, Reason: "contains a NUL byte"}
	}
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return &DNError{DN: dn, Reason: strings.TrimPrefix(err.Error(), "DN ended with incomplete type, value pair")}
	}
	for i, rdn := range parsed.RDNs {
		if len(rdn.Attributes) == 0 {
			return &DNError{DN: dn, Reason: "empty RDN at position " + strconv.Itoa(i+1)}
		}
		for _, atv := range rdn.Attributes {
			if atv.Type == "" {
				return &DNError{DN: dn, Reason: "RDN " + strconv.Itoa(i+1) + " has no attribute type"}
			}
			if atv.Value == "" {
				return &DNError{DN: dn, Reason: "RDN " + strconv.Itoa(i+1) + " (" + atv.Type + "=) has no value"}
			}
			if !validAttrType(atv.Type) {
				return &DNError{DN: dn, Reason: "attribute type " + strconv.Quote(atv.Type) + " is neither a name nor an OID"}
			}
		}
	}
	return nil
}

// validAttrType accepts a descriptor (letter, then letters, digits, hyphens)
// or a numeric OID, as RFC 4512 defines attribute types.
func validAttrType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		prevDot := true
		for i := 0; i < len(t); i++ {
			switch c := t[i]; {
			case c >= '0' && c <= '9':
				prevDot = false
			case c == '.' && !prevDot:
				prevDot = true
			default:
				return false
			}
		}
		return !prevDot
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// ChildDN returns the DN of the child of parent whose RDN is attr=value,
// escaping value (RFC 4514), e.g. ChildDN("CN", "Doe, Jane", "OU=Staff,DC=example,DC=com")
// is `CN=Doe\, Jane,OU=Staff,DC=example,DC=com`. Both the parent and the result
// are validated.
func ChildDN(attr, value, parent string) (string, error) {
	if err := ValidateDN(parent); err != nil {
		return "", err
	}
	if !validAttrType(attr) {
		return "", &DNError{DN: attr + "=" + value + "," + parent, Reason: "attribute type " + strconv.Quote(attr) + " is neither a name nor an OID"}
	}
	if value == "" {
		return "", &DNError{DN: attr + "=," + parent, Reason: "empty RDN value"}
	}
	dn := attr + "=" + ldap.EscapeDN(value) + "," + parent
	if err := ValidateDN(dn); err != nil {
		return "", err
	}
	return dn, nil
}

// EqualityFilter returns the filter (attr=value) with value escaped (RFC
// 4515), so that "*", parentheses, backslashes and NULs in value match
// themselves and cannot change the filter.
func EqualityFilter(attr, value string) string {
	return "(" + attr + "=" + ldap.EscapeFilter(value) + ")"
}
