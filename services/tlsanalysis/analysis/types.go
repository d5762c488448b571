package analysis

import (
	"net/netip"
	"time"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// Direction says whether a session was received or sent by the logging server.
type Direction int

// Directions.
const (
	DirectionUnknown Direction = iota
	DirectionReceive
	DirectionSend
)

// String returns "receive", "send" or "unknown".
func (d Direction) String() string {
	switch d {
	case DirectionReceive:
		return "receive"
	case DirectionSend:
		return "send"
	}
	return "unknown"
}

func directionOf(t exlog.LogType) Direction {
	switch t {
	case exlog.LogTypeReceive:
		return DirectionReceive
	case exlog.LogTypeSend:
		return DirectionSend
	}
	return DirectionUnknown
}

// Outcome is what became of TLS in a session.
type Outcome int

// Outcomes. A session without any TLS line is OutcomeNone.
const (
	OutcomeNone    Outcome = iota // no TLS negotiated (plain SMTP)
	OutcomeSSL3                   // SP_PROT_SSL3_*
	OutcomeTLS10                  // SP_PROT_TLS1_0_* (or SP_PROT_TLS1_*)
	OutcomeTLS11                  // SP_PROT_TLS1_1_*
	OutcomeTLS12                  // SP_PROT_TLS1_2_*
	OutcomeTLS13                  // SP_PROT_TLS1_3_* or the Windows flag value 0x1000/0x2000
	OutcomeUnknown                // negotiated with a protocol token this package does not know
	OutcomeFailed                 // "TLS negotiation failed with error ..."
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"None", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "Unknown", "Failed"}

// String returns the display name: None, SSL3, TLS1.0, TLS1.1, TLS1.2, TLS1.3, Unknown or Failed.
func (o Outcome) String() string {
	if o >= 0 && o < NumOutcomes {
		return outcomeNames[o]
	}
	return "Outcome(?)"
}

// Legacy reports whether o is a session to fix before disabling old
// protocols: no TLS at all, SSL 3.0, TLS 1.0 or TLS 1.1.
func (o Outcome) Legacy() bool {
	switch o {
	case OutcomeNone, OutcomeSSL3, OutcomeTLS10, OutcomeTLS11:
		return true
	}
	return false
}

// Counts holds sessions per outcome.
type Counts [NumOutcomes]int64

// Total returns the number of sessions.
func (c *Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Legacy returns the sessions with a legacy outcome (see Outcome.Legacy).
func (c *Counts) Legacy() int64 {
	return c[OutcomeNone] + c[OutcomeSSL3] + c[OutcomeTLS10] + c[OutcomeTLS11]
}

func (c *Counts) add(o *Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// Upgrade says how a session switched to TLS.
type Upgrade int

// Upgrades.
const (
	UpgradeNone         Upgrade = iota
	UpgradeStartTLS             // STARTTLS
	UpgradeAnonymousTLS         // X-ANONYMOUSTLS, used between Exchange servers
)

// String returns "none", "STARTTLS" or "X-ANONYMOUSTLS".
func (u Upgrade) String() string {
	switch u {
	case UpgradeStartTLS:
		return "STARTTLS"
	case UpgradeAnonymousTLS:
		return "X-ANONYMOUSTLS"
	}
	return "none"
}

// Weakness is a set of reasons why negotiated crypto is weak.
type Weakness uint8

// Weaknesses.
const (
	WeakCipher      Weakness = 1 << iota // RC4, DES, 3DES, RC2 or NULL bulk cipher
	WeakCipherBits                       // bulk cipher key shorter than 128 bits
	WeakHash                             // SHA-1 or MD5 MAC
	WeakKeyExchange                      // RSA/DH key exchange under 2048 bits or ECDH under 224 bits
)

// Reasons returns the weaknesses as short phrases.
func (w Weakness) Reasons() []string {
	var out []string
	if w&WeakCipher != 0 {
		out = append(out, "weak cipher")
	}
	if w&WeakCipherBits != 0 {
		out = append(out, "cipher key under 128 bits")
	}
	if w&WeakHash != 0 {
		out = append(out, "weak MAC hash")
	}
	if w&WeakKeyExchange != 0 {
		out = append(out, "short key exchange")
	}
	return out
}

// String joins Reasons with "; ".
func (w Weakness) String() string {
	s := ""
	for i, r := range w.Reasons() {
		if i > 0 {
			s += "; "
		}
		s += r
	}
	return s
}

// CertRole says whose certificate a session logged.
type CertRole int

// Certificate roles.
const (
	CertUnknown  CertRole = iota
	CertSent              // "Sending certificate": this server's certificate
	CertReceived          // "Received certificate": the remote server's certificate
)

// String returns "sent", "received" or "unknown".
func (r CertRole) String() string {
	switch r {
	case CertSent:
		return "sent"
	case CertReceived:
		return "received"
	}
	return "unknown"
}

// Certificate is a certificate a session logged.
type Certificate struct {
	Role           CertRole
	Subject        string
	Issuer         string
	SerialNumber   string
	Thumbprint     string
	NotBefore      string // as logged
	NotAfter       string // as logged
	AlternateNames string // as logged, ';'-separated on newer builds
}

// Session is one SMTP session reassembled from protocol log records.
type Session struct {
	Direction  Direction
	Connector  string
	SessionID  string
	Local      netip.Addr
	Remote     netip.Addr
	RemoteHost string // remote endpoint without port, as logged (set even when not an IP address)
	RemoteName string // EHLO/HELO argument (receive) or host in the 220 banner (send)
	FirstSeen  time.Time
	LastSeen   time.Time

	Outcome         Outcome
	Protocol        string // protocol token as logged, e.g. SP_PROT_TLS1_2_SERVER
	FailureReason   string // for OutcomeFailed: the error after "with error"
	Upgrade         Upgrade
	Cipher          string
	CipherBits      int
	Hash            string
	HashBits        int
	KeyExchange     string
	KeyExchangeBits int
	Weak            Weakness
	// MustIssueStartTLS is set when the server answered 451 5.7.3 (Must issue
	// a STARTTLS command first): the client did not try TLS.
	MustIssueStartTLS bool
	Certificates      []Certificate // at most one sent and one received

	Started bool // its first line (sequence-number 0) was seen
	Ended   bool // its disconnect (-) line was seen
	Evicted bool // closed early because too many sessions were open
}
