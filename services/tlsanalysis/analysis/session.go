package analysis

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// session is the state of one SMTP session while it is being reassembled.
// A session read from one file may be only a fragment of it (it started in an
// earlier file or goes on in a later one); fragments are merged by key.
type session struct {
	dir    Direction
	conn   uint32 // tables.conns index
	sid    sidKey
	sidRaw string // session-id as logged when it is not 16 bytes long

	first, last int64 // Unix nanoseconds

	local, remote         netip.Addr
	remoteHost            string
	haveLocal, haveRemote bool

	name   string
	nameAt int64

	started, ended bool
	upgrade        Upgrade
	mustStartTLS   bool
	evicted        bool

	suite   int32 // tables.suites index of the latest TLS line, -1 when none
	tlsAt   int64
	outcome Outcome
	weak    Weakness

	certs       [2]int32        // tables.certs index per role (sent, received), -1 when none
	pending     [2]*Certificate // per-attribute certificates (older builds) being assembled
	pendingRole CertRole        // role announced by a bare "Sending/Received certificate" line

	prev, next *session // recency list of the owner (file state or Analyzer)
	sidNext    *session // next open session with the same session-id in a file state
}

func (s *session) reset() {
	*s = session{suite: -1, certs: [2]int32{-1, -1}}
}

func (s *session) complete() bool { return s.started && s.ended }

// merge folds fragment o of the same session into s. It does not depend on
// the order fragments arrive in, so files can be read in parallel.
func (s *session) merge(o *session) {
	if o.first < s.first {
		if o.haveLocal {
			s.local, s.haveLocal = o.local, true
		}
		if o.haveRemote {
			s.remote, s.remoteHost, s.haveRemote = o.remote, o.remoteHost, true
		}
		s.first = o.first
	} else {
		if !s.haveLocal && o.haveLocal {
			s.local, s.haveLocal = o.local, true
		}
		if !s.haveRemote && o.haveRemote {
			s.remote, s.remoteHost, s.haveRemote = o.remote, o.remoteHost, true
		}
	}
	s.last = max(s.last, o.last)
	if o.name != "" && (s.name == "" || o.nameAt < s.nameAt) {
		s.name, s.nameAt = o.name, o.nameAt
	}
	s.started = s.started || o.started
	s.ended = s.ended || o.ended
	if s.upgrade == UpgradeNone {
		s.upgrade = o.upgrade
	}
	s.mustStartTLS = s.mustStartTLS || o.mustStartTLS
	s.evicted = s.evicted || o.evicted
	if o.suite >= 0 && (s.suite < 0 || o.tlsAt > s.tlsAt) {
		s.suite, s.tlsAt, s.outcome, s.weak = o.suite, o.tlsAt, o.outcome, o.weak
	}
	for i := range s.certs {
		if s.certs[i] < 0 && s.pending[i] == nil {
			s.certs[i], s.pending[i] = o.certs[i], o.pending[i]
		}
	}
}

// resolve interns the certificates assembled from per-attribute lines.
func (s *session) resolve(t *tables) {
	for i, c := range s.pending {
		if c != nil {
			if s.certs[i] < 0 && (c.Thumbprint != "" || c.Subject != "") {
				s.certs[i] = t.cert(*c)
			}
			s.pending[i] = nil
		}
	}
}

// public returns the exported view of a resolved session.
func (s *session) public(v view) *Session {
	p := &Session{
		Direction:         s.dir,
		Connector:         v.conns[s.conn],
		SessionID:         s.sidRaw,
		Local:             s.local,
		Remote:            s.remote,
		RemoteHost:        s.remoteHost,
		RemoteName:        s.name,
		FirstSeen:         time.Unix(0, s.first).UTC(),
		LastSeen:          time.Unix(0, s.last).UTC(),
		Outcome:           s.outcome,
		Upgrade:           s.upgrade,
		Weak:              s.weak,
		MustIssueStartTLS: s.mustStartTLS,
		Started:           s.started,
		Ended:             s.ended,
		Evicted:           s.evicted,
	}
	if p.RemoteHost == "" && s.remote.IsValid() {
		p.RemoteHost = s.remote.String()
	}
	if p.SessionID == "" {
		p.SessionID = s.sid.String()
	}
	if s.suite >= 0 {
		su := v.suites[s.suite]
		p.Protocol, p.FailureReason = su.protocol, su.failure
		p.Cipher, p.CipherBits = su.cipher, su.cipherBits
		p.Hash, p.HashBits = su.hash, su.hashBits
		p.KeyExchange, p.KeyExchangeBits = su.kex, su.kexBits
	}
	for _, c := range s.certs {
		if c >= 0 {
			p.Certificates = append(p.Certificates, v.certs[c])
		}
	}
	return p
}

// sidKey holds a session-id: its 16 bytes (Exchange writes 16 hex digits),
// or for anything else a hash of it with the second word all ones. Using the
// bytes as they are spares parsing them on every line.
type sidKey [2]uint64

func sidOf(b []byte) (sidKey, bool) {
	if len(b) == 16 {
		return sidKey{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}, true
	}
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return sidKey{h, ^uint64(0)}, false
}

// slot spreads session-ids over 256 cache slots.
func (k sidKey) slot() uint8 {
	return uint8((k[0]*0x9E3779B97F4A7C15 ^ k[1]*0xC2B2AE3D27D4EB4F) >> 56)
}

// String returns the 16-byte session-id as logged.
func (k sidKey) String() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], k[0])
	binary.LittleEndian.PutUint64(b[8:], k[1])
	return validString(b[:])
}

// sessionList is a recency list: front is the most recently used.
type sessionList struct {
	head, tail *session
	n          int
}

func (l *sessionList) pushFront(s *session) {
	s.prev, s.next = nil, l.head
	if l.head != nil {
		l.head.prev = s
	} else {
		l.tail = s
	}
	l.head = s
	l.n++
}

func (l *sessionList) remove(s *session) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		l.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = nil, nil
	l.n--
}

func (l *sessionList) moveToFront(s *session) {
	if l.head == s {
		return
	}
	l.remove(s)
	l.pushFront(s)
}
