package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-ldap/ldap/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/rpcerr"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// ErrorInfo reasons of the directory service's errors.
const (
	// ReasonLDAPNotConfigured: no domain controller is configured.
	ReasonLDAPNotConfigured = "LDAP_NOT_CONFIGURED"
	// ReasonLDAPUnavailable: the domain controller cannot be reached now.
	ReasonLDAPUnavailable = "LDAP_UNAVAILABLE"
	// ReasonLDAPBindFailed: the domain controller refused the bind account.
	ReasonLDAPBindFailed = "LDAP_BIND_FAILED"
	// ReasonLDAPTLSFailed: the domain controller's certificate was refused.
	ReasonLDAPTLSFailed = "LDAP_TLS_FAILED"
	// ReasonLDAPSetupFailed: the connection works but the configuration does not fit the DC (a
	// --domains entry that is not one of its naming contexts, say).
	ReasonLDAPSetupFailed = "LDAP_SETUP_FAILED"
	// ReasonLDAPReadDenied: the bind account may not read what the call needs.
	ReasonLDAPReadDenied = "LDAP_READ_DENIED"
	// ReasonConnectorNotFound: no connector account was named and none could be found.
	ReasonConnectorNotFound = "CONNECTOR_NOT_FOUND"
	// ReasonConnectorAmbiguous: no connector account was named and several are candidates.
	ReasonConnectorAmbiguous = "CONNECTOR_AMBIGUOUS"
)

// errNotConfigured is the answer of the RPCs that need a domain controller when none is set.
func (s *Service) errNotConfigured() error {
	c := &s.ldapCfg
	return rpcerr.WithReason(codes.FailedPrecondition, ReasonLDAPNotConfigured,
		fmt.Sprintf("no domain controller configured: start the service with %s (ldaps://dc.example.com), %s and %s (or %s-file); see %s, %s",
			c.flag("ldap-url"), c.flag("ldap-bind-dn"), c.flag("ldap-password"), c.flag("ldap-password"), c.flag("ldap-ca-file"), c.flag("domains")),
		map[string]string{"flag": c.flag("ldap-url")})
}

// connectError maps a failure to connect and set up the engine.
func (s *Service) connectError(ctx context.Context, err error) error {
	url := s.dc.cfg.URL
	var be *ldapconn.BindError
	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case errors.As(err, &be) && be.ResultCode != 0:
		msg := fmt.Sprintf("the domain controller at %s refused the bind as %q: %s", url, be.User, ldap.LDAPResultCodeMap[be.ResultCode])
		if be.Reason != "" {
			msg += " (" + be.Reason + ")"
		}
		msg += "; check " + s.ldapCfg.flag("ldap-bind-dn") + " and " + s.ldapCfg.flag("ldap-password")
		return rpcerr.WithReason(codes.FailedPrecondition, ReasonLDAPBindFailed, msg, map[string]string{"url": url, "bind": be.User})
	case isTLSError(err):
		return rpcerr.WithReason(codes.FailedPrecondition, ReasonLDAPTLSFailed,
			fmt.Sprintf("TLS with the domain controller at %s failed: %s; check %s and %s", url, trimPrefixes(err), s.ldapCfg.flag("ldap-ca-file"), s.ldapCfg.flag("ldap-server-name")),
			map[string]string{"url": url})
	case isNetworkError(err):
		return unavailable(url, err)
	case errors.Is(err, ldapconn.ErrInsufficientAccess), errors.Is(err, ldapconn.ErrNoSuchObject), errors.Is(err, ldapconn.ErrNoSecurityDescriptor):
		return s.readDenied(err)
	}
	return rpcerr.WithReason(codes.FailedPrecondition, ReasonLDAPSetupFailed,
		fmt.Sprintf("the domain controller at %s does not fit the configuration: %s", url, trimPrefixes(err)), map[string]string{"url": url})
}

func unavailable(url string, err error) error {
	return rpcerr.WithReason(codes.Unavailable, ReasonLDAPUnavailable,
		fmt.Sprintf("the domain controller at %s is unavailable: %s; try again later", url, rootCause(err)), map[string]string{"url": url})
}

// readDenied says which read the bind account lacks.
func (s *Service) readDenied(err error) error {
	bind := s.dc.cfg.BindDN
	what, dn := "the objects involved", ""
	var oe *ldapconn.OpError
	if errors.As(err, &oe) {
		what, dn = oe.Op, oe.DN
	}
	msg := fmt.Sprintf("the bind account %q may not %s", bind, what)
	if dn != "" {
		msg += fmt.Sprintf(" %q", dn)
	}
	switch {
	case errors.Is(err, ldapconn.ErrNoSecurityDescriptor):
		msg += ": it lacks Read permissions (READ_CONTROL) there; grant it Read permissions on the scope and its descendant user objects, or bind as a domain admin"
	case strings.Contains(what, "tokenGroups"):
		msg += ": it may not read tokenGroups; add it to Windows Authorization Access Group (or Pre-Windows 2000 Compatible Access)"
	default:
		msg += ": grant it Read permissions and Read all properties (GenericRead) on the scope and its descendant objects"
	}
	return rpcerr.WithReason(codes.PermissionDenied, ReasonLDAPReadDenied, msg, map[string]string{"bind": bind, "dn": dn})
}

// engineError maps an error of the writeback engine or the connection under it; field names the
// request field the DN or name came from.
func (s *Service) engineError(ctx context.Context, err error, field string) error {
	var (
		outside *writeback.OutsideDomainError
		dnErr   *ldapconn.DNError
		be      *ldapconn.BindError
	)
	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case errors.As(err, &outside):
		desc := fmt.Sprintf("%q is outside the configured domains (%s)", outside.DN, strings.Join(outside.NamingContexts, "; "))
		if outside.Inside != "" {
			desc = fmt.Sprintf("%q is in naming context %q, not in a configured domain (%s)", outside.DN, outside.Inside, strings.Join(outside.NamingContexts, "; "))
		}
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: desc})
	case errors.As(err, &dnErr):
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: strings.TrimPrefix(dnErr.Error(), "ldapconn: ")})
	case errors.Is(err, writeback.ErrNotScope):
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: trimPrefixes(err)})
	case errors.Is(err, writeback.ErrAmbiguous):
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: trimPrefixes(err) + ": name it by DN or objectSid"})
	case errors.Is(err, writeback.ErrNotFound):
		return status.Errorf(codes.NotFound, "%s: %s", field, trimPrefixes(err))
	case errors.Is(err, ldapconn.ErrNoSuchObject):
		dn := ""
		var oe *ldapconn.OpError
		if errors.As(err, &oe) {
			dn = oe.DN
		}
		return status.Errorf(codes.NotFound, "%s: %q does not exist (or the bind account cannot see it)", field, dn)
	case errors.Is(err, ldapconn.ErrInsufficientAccess), errors.Is(err, ldapconn.ErrNoSecurityDescriptor):
		return s.readDenied(err)
	case errors.As(err, &be) && be.ResultCode != 0:
		return s.connectError(ctx, err) // a reconnection's bind refused: the password changed
	case isTLSError(err):
		return s.connectError(ctx, err)
	case isNetworkError(err), errors.Is(err, ldapconn.ErrClosed):
		return unavailable(s.dc.cfg.URL, err)
	}
	return rpcerr.Internal(ctx, s.logger, err)
}

// isNetworkError reports whether err means the DC could not be reached or stopped answering.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || ldap.IsErrorWithCode(err, ldap.ErrorNetwork) ||
		ldap.IsErrorWithCode(err, ldap.LDAPResultBusy) || ldap.IsErrorWithCode(err, ldap.LDAPResultUnavailable) ||
		ldap.IsErrorWithCode(err, ldap.LDAPResultServerDown) ||
		strings.Contains(err.Error(), "no answer within the timeout") // ldapconn's per-request timeout
}

func isTLSError(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record)
}

// rootCause is the innermost error's text: "dial tcp 10.0.0.1:636: connect: connection refused"
// rather than every layer's prefix.
func rootCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// trimPrefixes drops the package prefixes of an error's text ("writeback: ", "ldapconn: ").
func trimPrefixes(err error) string {
	msg := err.Error()
	for {
		trimmed := strings.TrimPrefix(strings.TrimPrefix(msg, "writeback: "), "ldapconn: ")
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}
