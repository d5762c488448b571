package analysis

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// suite is what one TLS line said: the protocol and algorithms, or the failure.
type suite struct {
	outcome    Outcome
	protocol   string
	failure    string
	cipher     string
	hash       string
	kex        string
	cipherBits int
	hashBits   int
	kexBits    int
	weak       Weakness
}

func suiteOf(t tlsLine) suite {
	if t.failed {
		reason := validString(t.reason)
		if reason == "" {
			reason = "unspecified"
		}
		return suite{outcome: OutcomeFailed, protocol: validString(t.protocol), failure: reason}
	}
	s := suite{
		outcome:    protocolOutcome(t.protocol),
		protocol:   validString(t.protocol),
		cipher:     validString(t.cipher),
		hash:       validString(t.hash),
		kex:        validString(t.kex),
		cipherBits: t.cipherBits,
		hashBits:   t.hashBits,
		kexBits:    t.kexBits,
	}
	s.weak = weakness(s.cipher, s.cipherBits, s.hash, s.kex, s.kexBits)
	return s
}

// tables give connectors, suites and certificates small ids shared by every
// file state, so that sessions and aggregates carry integers, not strings.
// File states cache the ids; the lock is taken only on a cache miss.
type tables struct {
	mu       sync.Mutex
	conns    []string
	connIdx  map[string]uint32
	suites   []suite
	suiteIdx map[suite]int32
	certs    []Certificate
	certIdx  map[Certificate]int32
}

func newTables() *tables {
	return &tables{connIdx: map[string]uint32{}, suiteIdx: map[suite]int32{}, certIdx: map[Certificate]int32{}}
}

func (t *tables) conn(raw []byte) uint32 {
	name := validString(raw)
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.connIdx[name]
	if !ok {
		id = uint32(len(t.conns))
		t.conns = append(t.conns, name)
		t.connIdx[name] = id
	}
	return id
}

func (t *tables) suite(s suite) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.suiteIdx[s]
	if !ok {
		id = int32(len(t.suites))
		t.suites = append(t.suites, s)
		t.suiteIdx[s] = id
	}
	return id
}

func (t *tables) cert(c Certificate) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.certIdx[c]
	if !ok {
		id = int32(len(t.certs))
		t.certs = append(t.certs, c)
		t.certIdx[c] = id
	}
	return id
}

// view is a consistent read of the tables; the slices are append-only.
type view struct {
	conns  []string
	suites []suite
	certs  []Certificate
}

func (t *tables) view() view {
	t.mu.Lock()
	defer t.mu.Unlock()
	return view{conns: t.conns, suites: t.suites, certs: t.certs}
}

// validString copies b into a string, replacing invalid UTF-8 so that the
// result can travel in protobuf string fields.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
