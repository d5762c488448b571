package ldapconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/go-ldap/ldap/v3"
)

// Sentinels to test errors with errors.Is.
var (
	// ErrClosed: the Conn was closed by its owner.
	ErrClosed = errors.New("ldapconn: connection closed")
	// ErrInvalidCredentials: the server refused the bind DN or password
	// (LDAP result 49).
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrNoSuchObject: the DN does not exist, or the bind account cannot see
	// it (LDAP result 32).
	ErrNoSuchObject = errors.New("no such object")
	// ErrInsufficientAccess: the bind account may not do this (LDAP result 50).
	ErrInsufficientAccess = errors.New("insufficient access rights")
	// ErrNoSecurityDescriptor: the server returned the object without its
	// nTSecurityDescriptor, which AD does when the bind account lacks
	// READ_CONTROL on it.
	ErrNoSecurityDescriptor = errors.New("no nTSecurityDescriptor returned (the bind account may lack Read permissions on it)")
	// ErrInvalidDN: a DN that does not parse; see DNError.
	ErrInvalidDN = errors.New("invalid DN")
)

// BindError is a refused bind. It names the account but never holds the
// password; Reason decodes AD's "data NNN" sub-code when there is one.
type BindError struct {
	Mechanism  string // "simple" or "NTLM"
	User       string
	ResultCode uint16 // LDAP result code, e.g. 49
	Reason     string // e.g. "account disabled", from AD's diagnostic message
	Diagnostic string // the server's diagnostic message
	err        error  // the network or TLS error, when the bind never got an answer
}

func (e *BindError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ldapconn: %s bind as %q refused", e.Mechanism, e.User)
	if e.err != nil {
		fmt.Fprintf(&b, ": %v", e.err)
		return b.String()
	}
	fmt.Fprintf(&b, ": LDAP result %d (%s)", e.ResultCode, ldap.LDAPResultCodeMap[e.ResultCode])
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if e.Diagnostic != "" {
		fmt.Fprintf(&b, " [server: %s]", e.Diagnostic)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidCredentials) true for result 49.
func (e *BindError) Is(target error) bool {
	return target == ErrInvalidCredentials && e.ResultCode == ldap.LDAPResultInvalidCredentials
}

func (e *BindError) Unwrap() error { return e.err }

// adDataCode is AD's sub-code in a bind error's diagnostic message
// ("... AcceptSecurityContext error, data 52e, v4563").
var adDataCode = regexp.MustCompile(`data ([0-9a-fA-F]{3,8})\b`)

var adBindReasons = map[string]string{
	"525": "no such user",
	"52e": "wrong password or user",
	"530": "logon not permitted at this time",
	"531": "logon not permitted from this workstation",
	"532": "password expired",
	"533": "account disabled",
	"568": "too many security IDs (token too large)",
	"701": "account expired",
	"773": "password must be changed before first logon",
	"775": "account locked out",
}

// newBindError turns a bind failure into a BindError, dropping anything that
// could echo the password.
func newBindError(mech, user, password string, err error) error {
	be := &BindError{Mechanism: mech, User: user}
	var le *ldap.Error
	if errors.As(err, &le) && le.ResultCode != ldap.ErrorNetwork && le.ResultCode < ldap.ErrorNetwork {
		be.ResultCode = le.ResultCode
		if le.Err != nil {
			be.Diagnostic = strings.TrimRight(le.Err.Error(), "\x00 \n")
		}
		if m := adDataCode.FindStringSubmatch(be.Diagnostic); m != nil {
			be.Reason = adBindReasons[strings.ToLower(m[1])]
		}
	} else {
		be.err = err
	}
	if password != "" && strings.Contains(be.Diagnostic, password) {
		be.Diagnostic = strings.ReplaceAll(be.Diagnostic, password, "[redacted]")
	}
	if be.err != nil && password != "" && strings.Contains(be.err.Error(), password) {
		be.err = errors.New(strings.ReplaceAll(be.err.Error(), password, "[redacted]"))
	}
	return be
}

// OpError is a failed operation on a DN.
type OpError struct {
	Op  string // "search", "read nTSecurityDescriptor", "write DACL", ...
	DN  string
	Err error
}

func (e *OpError) Error() string {
	if e.DN == "" {
		return fmt.Sprintf("ldapconn: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("ldapconn: %s %q: %v", e.Op, e.DN, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// Is maps LDAP result codes onto the package's sentinels.
func (e *OpError) Is(target error) bool {
	switch target {
	case ErrNoSuchObject:
		return ldap.IsErrorWithCode(e.Err, ldap.LDAPResultNoSuchObject)
	case ErrInsufficientAccess:
		return ldap.IsErrorWithCode(e.Err, ldap.LDAPResultInsufficientAccessRights)
	}
	return false
}

// DNError is a DN that does not parse.
type DNError struct {
	DN     string
	Reason string
}

func (e *DNError) Error() string {
	return fmt.Sprintf("ldapconn: invalid DN %q: %s", e.DN, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidDN) true.
func (e *DNError) Is(target error) bool { return target == ErrInvalidDN }

// isNetworkError reports whether err means the connection is gone (or hung),
// so that a new connection may succeed where this one failed.
func isNetworkError(err error) bool {
	if err == nil {
		return false
	}
	if ldap.IsErrorWithCode(err, ldap.ErrorNetwork) {
		return true
	}
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &ne) || errors.Is(err, errRequestTimeout)
}

var errRequestTimeout = errors.New("no answer within the timeout")

// explainTLS adds what to check to certificate errors.
func explainTLS(err error, cfg *tls.Config, caFile string) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	ca := "the system's roots"
	if caFile != "" {
		ca = "CA file " + caFile
	}
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%w (the server's certificate was not issued by %s)", err, ca)
	case errors.As(err, &hostname):
		return fmt.Errorf("%w (the certificate does not name %q: set ServerName to a name it carries)", err, cfg.ServerName)
	case errors.As(err, &invalid):
		return fmt.Errorf("%w (check the certificate's dates and usage)", err)
	case errors.As(err, &verify):
		return fmt.Errorf("%w (checked against %s)", err, ca)
	}
	return err
}
