package ldapconn

import (
	encasn1 "encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// SPNEGO (RFC 4178) carrying NTLMSSP, for the SASL GSS-SPNEGO mechanism,
// which both AD and Samba accept (AD also takes Microsoft's "Sicily" NTLM
// bind, which go-ldap implements and Samba does not; Samba also offers SASL
// "NTLM", which AD does not).

var (
	oidSPNEGO  = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	oidNTLMSSP = encasn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
)

// tagApplication0 is [APPLICATION 0], constructed: the GSS-API framing of
// an initial context token (RFC 2743 3.1).
const tagApplication0 = asn1.Tag(0x40) | 0x20

// negState values of NegTokenResp.
const (
	negAcceptCompleted  = 0
	negAcceptIncomplete = 1
	negReject           = 2
	negRequestMIC       = 3
)

// spnegoInit wraps an NTLMSSP NEGOTIATE message in the initial SPNEGO token:
// [APPLICATION 0] { spnego OID, [0] NegTokenInit { [0] mechTypes, [2] mechToken } }.
func spnegoInit(ntlmNegotiate []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(tagApplication0, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSPNEGO)
		b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidNTLMSSP)
					})
				})
				b.AddASN1(asn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1OctetString(ntlmNegotiate)
				})
			})
		})
	})
	return b.Bytes()
}

// spnegoResponse wraps the NTLMSSP AUTHENTICATE message:
// [1] NegTokenResp { [2] responseToken }.
func spnegoResponse(ntlmAuthenticate []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(asn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(ntlmAuthenticate)
			})
		})
	})
	return b.Bytes()
}

// negTokenResp is a server's SPNEGO answer.
type negTokenResp struct {
	state         int // -1 when absent
	supportedMech encasn1.ObjectIdentifier
	responseToken []byte
}

// parseNegTokenResp reads [1] NegTokenResp { [0] negState, [1] supportedMech,
// [2] responseToken, [3] mechListMIC }, every field optional.
func parseNegTokenResp(data []byte) (*negTokenResp, error) {
	bad := errors.New("malformed SPNEGO response from the server")
	in := cryptobyte.String(data)
	var outer, seq cryptobyte.String
	if !in.ReadASN1(&outer, asn1.Tag(1).Constructed().ContextSpecific()) || !in.Empty() ||
		!outer.ReadASN1(&seq, asn1.SEQUENCE) || !outer.Empty() {
		return nil, bad
	}
	r := &negTokenResp{state: -1}
	var field cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&field, &present, asn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, bad
	}
	if present && !field.ReadASN1Enum(&r.state) {
		return nil, bad
	}
	if !seq.ReadOptionalASN1(&field, &present, asn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, bad
	}
	if present && !field.ReadASN1ObjectIdentifier(&r.supportedMech) {
		return nil, bad
	}
	if !seq.ReadOptionalASN1(&field, &present, asn1.Tag(2).Constructed().ContextSpecific()) {
		return nil, bad
	}
	if present && !field.ReadASN1Bytes(&r.responseToken, asn1.OCTET_STRING) {
		return nil, bad
	}
	// mechListMIC ([3]) may follow; nothing here needs it.
	if r.state == negReject {
		return r, errors.New("the server rejected NTLM in SPNEGO")
	}
	if r.supportedMech != nil && !r.supportedMech.Equal(oidNTLMSSP) {
		return r, fmt.Errorf("the server chose mechanism %v instead of NTLM", r.supportedMech)
	}
	return r, nil
}
