package analysis

import (
	"bytes"
	"strings"
)

var (
	prefixSendingCert  = []byte("Sending certificate")
	prefixReceivedCert = []byte("Received certificate")
	prefixCertificate  = []byte("Certificate ")
)

// certAttr names the attribute a per-attribute certificate line (older
// builds) carries in its context, e.g. "Certificate thumbprint".
type certAttr int

const (
	attrNone certAttr = iota
	attrSubject
	attrIssuer
	attrSerial
	attrThumbprint
	attrNotBefore
	attrNotAfter
	attrAltNames
)

func certAttrOf(ctx []byte) certAttr {
	if !bytes.HasPrefix(ctx, prefixCertificate) {
		return attrNone
	}
	switch strings.ToLower(string(bytes.TrimSpace(ctx[len(prefixCertificate):]))) {
	case "subject":
		return attrSubject
	case "issuer name", "issuer":
		return attrIssuer
	case "serial number":
		return attrSerial
	case "thumbprint":
		return attrThumbprint
	case "not before", "valid from":
		return attrNotBefore
	case "not after", "valid to", "expiration date":
		return attrNotAfter
	case "alternate names", "subject alternate names":
		return attrAltNames
	}
	return attrNone
}

func (c *Certificate) set(a certAttr, v string) {
	switch a {
	case attrSubject:
		c.Subject = v
	case attrIssuer:
		c.Issuer = v
	case attrSerial:
		c.SerialNumber = v
	case attrThumbprint:
		c.Thumbprint = normThumbprint(v)
	case attrNotBefore:
		c.NotBefore = v
	case attrNotAfter:
		c.NotAfter = v
	case attrAltNames:
		c.AlternateNames = v
	}
}

func normThumbprint(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	return strings.ToUpper(s)
}

// parseCertLine reads the one-line certificate record of newer builds: the
// context lists the attribute names, the data their values separated by
// spaces: "Subject Issuer Serial Thumbprint NotBefore NotAfter AltNames".
// Subject and issuer may contain spaces, so the line is read from the fixed
// shapes outwards: two ISO timestamps, the thumbprint and serial before them.
func parseCertLine(data string) Certificate {
	var c Certificate
	tok := strings.Fields(data)
	at := -1
	for i := len(tok) - 2; i >= 0; i-- {
		if looksLikeTime(tok[i]) && looksLikeTime(tok[i+1]) {
			at = i
			break
		}
	}
	var names []string
	switch {
	case at >= 2:
		c.NotBefore, c.NotAfter = tok[at], tok[at+1]
		c.AlternateNames = strings.Join(tok[at+2:], " ")
		c.Thumbprint = normThumbprint(tok[at-1])
		c.SerialNumber = tok[at-2]
		names = tok[:at-2]
	default:
		// Unknown date format: anchor on the 40-hex-digit SHA-1 thumbprint.
		th := -1
		for i := len(tok) - 1; i >= 1; i-- {
			if len(tok[i]) == 40 && isHex(tok[i]) {
				th = i
				break
			}
		}
		if th < 0 {
			return c
		}
		c.Thumbprint = normThumbprint(tok[th])
		c.SerialNumber = tok[th-1]
		names = tok[:th-1]
	}
	c.Subject, c.Issuer = splitSubjectIssuer(strings.Join(names, " "))
	return c
}

// splitSubjectIssuer splits "CN=a, O=b c CN=d, O=e" into subject and issuer:
// inside a distinguished name attributes are joined by ", ", so the first
// space not after a comma and followed by "ATTR=" starts the issuer.
func splitSubjectIssuer(s string) (string, string) {
	for i := 1; i < len(s)-1; i++ {
		if s[i] != ' ' || s[i-1] == ',' {
			continue
		}
		j := i + 1
		for j < len(s) && (isAlnum(s[j]) || s[j] == '.') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '=' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if hexVal[s[i]] < 0 {
			return false
		}
	}
	return true
}

// looksLikeTime matches yyyy-MM-ddTHH:mm:ss... as written by newer builds.
func looksLikeTime(s string) bool {
	return len(s) >= 19 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':'
}
