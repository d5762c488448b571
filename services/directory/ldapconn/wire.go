package ldapconn

import (
	"errors"
	"fmt"
	"net"

	"github.com/Azure/go-ntlmssp"
	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// wire speaks LDAP on a connection before go-ldap takes it over: StartTLS,
// so that a certificate error keeps its type, and the NTLM bind, which
// go-ldap only offers in a form Samba does not accept. Reads take exactly
// one message, so nothing is left buffered when go-ldap starts reading.
type wire struct {
	conn   net.Conn
	lastID int64
}

// result is an LDAPResult (RFC 4511 4.1.9) with the extra fields of
// bind responses.
type result struct {
	code            uint16
	diagnostic      string
	serverSaslCreds []byte
}

func (w *wire) roundTrip(op *ber.Packet, wantTag ber.Tag) (*result, error) {
	w.lastID++
	env := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, w.lastID, "MessageID"))
	env.AppendChild(op)
	if _, err := w.conn.Write(env.Bytes()); err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	resp, err := ber.ReadPacket(w.conn)
	if err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	if len(resp.Children) < 2 {
		return nil, ldap.NewError(ldap.ErrorNetwork, errors.New("malformed LDAP response"))
	}
	id, _ := resp.Children[0].Value.(int64)
	body := resp.Children[1]
	if id != w.lastID || body.ClassType != ber.ClassApplication || body.Tag != wantTag || len(body.Children) < 3 {
		if id == 0 && len(body.Children) >= 3 {
			// A notice of disconnection (RFC 4511 4.4.1).
			msg, _ := body.Children[2].Value.(string)
			return nil, ldap.NewError(ldap.ErrorNetwork, fmt.Errorf("the server disconnected: %s", msg))
		}
		return nil, ldap.NewError(ldap.ErrorNetwork, fmt.Errorf("unexpected LDAP response (message %d, tag %d)", id, body.Tag))
	}
	code, _ := body.Children[0].Value.(int64)
	r := &result{code: uint16(code)}
	r.diagnostic, _ = body.Children[2].Value.(string)
	for _, c := range body.Children[3:] {
		if c.ClassType == ber.ClassContext && c.Tag == 7 { // serverSaslCreds
			r.serverSaslCreds = c.Data.Bytes()
		}
	}
	return r, nil
}

// startTLS sends the StartTLS extended request (RFC 4511 4.14); the caller
// then runs the TLS handshake.
func (w *wire) startTLS() error {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Start TLS")
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", "TLS Extended Command"))
	r, err := w.roundTrip(op, ldap.ApplicationExtendedResponse)
	if err != nil {
		return err
	}
	if r.code != ldap.LDAPResultSuccess {
		return ldap.NewError(r.code, errors.New(r.diagnostic))
	}
	return nil
}

// saslBind sends one SASL bind request and returns the server's answer.
func (w *wire) saslBind(mechanism string, credentials []byte) (*result, error) {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "Bind Request")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, "Version"))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "User Name"))
	auth := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, "", "authentication")
	auth.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, mechanism, "SASL Mech"))
	if credentials != nil {
		auth.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(credentials), "Credentials"))
	}
	op.AppendChild(auth)
	return w.roundTrip(op, ldap.ApplicationBindResponse)
}

// ntlmBind binds as domain\user with NTLMv2 in SASL GSS-SPNEGO. It asks for
// no signing or sealing: on LDAPS or StartTLS the TLS layer protects the
// connection, and go-ldap could not speak a SASL security layer anyway.
func (w *wire) ntlmBind(domain, user, password string) error {
	negotiate, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return err
	}
	token, err := spnegoInit(negotiate)
	if err != nil {
		return err
	}
	r, err := w.saslBind("GSS-SPNEGO", token)
	if err != nil {
		return err
	}
	if r.code != ldap.LDAPResultSaslBindInProgress {
		return bindResultError(r)
	}
	resp, err := parseNegTokenResp(r.serverSaslCreds)
	if err != nil {
		return ldap.NewError(ldap.LDAPResultAuthMethodNotSupported, err)
	}
	name := user
	if domain != "" {
		name = domain + `\` + user
	}
	authenticate, err := ntlmssp.NewAuthenticateMessage(resp.responseToken, name, password, nil)
	if err != nil {
		return ldap.NewError(ldap.LDAPResultAuthMethodNotSupported, fmt.Errorf("NTLM challenge: %w", err))
	}
	token, err = spnegoResponse(authenticate)
	if err != nil {
		return err
	}
	r, err = w.saslBind("GSS-SPNEGO", token)
	if err != nil {
		return err
	}
	if r.code != ldap.LDAPResultSuccess {
		return bindResultError(r)
	}
	if len(r.serverSaslCreds) > 0 {
		final, err := parseNegTokenResp(r.serverSaslCreds)
		if err != nil {
			return ldap.NewError(ldap.LDAPResultAuthMethodNotSupported, err)
		}
		if final.state != -1 && final.state != negAcceptCompleted {
			return ldap.NewError(ldap.LDAPResultAuthMethodNotSupported, fmt.Errorf("SPNEGO ended in state %d", final.state))
		}
	}
	return nil
}

func bindResultError(r *result) error {
	return ldap.NewError(r.code, errors.New(r.diagnostic))
}
