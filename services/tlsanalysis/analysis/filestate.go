package analysis

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// skey identifies a session inside one file state; conn indexes connNames.
type skey struct {
	dir  Direction
	conn uint32
	sid  uint64
}

// fileState reads one file at a time. It is owned by one goroutine and reused
// across files (through the Analyzer's pool) to keep its buffers warm.
type fileState struct {
	a   *Analyzer
	r   *exlog.Reader
	agg *agg

	sessions map[skey]*session
	recent   sessionList
	free     []*session
	pending  []*session // fragments to hand to the Analyzer

	connIDs   map[string]uint32
	connNames []string
	lastConn  []byte
	lastID    uint32
	haveConn  bool

	cur     *session // session of the previous record
	curDir  Direction
	curSID  []byte
	curConn []byte

	strs map[string]string // interned names, protocol tokens, algorithms

	unreported int64 // bytes read since the last progress report
}

const (
	progressEvery  = 4 << 20
	pendingFlush   = 4096
	maxInterned    = 1 << 16
	maxConnectors  = 1 << 12
	maxNameLen     = 255
	ctxCheckPeriod = 1 << 14
)

func newFileState(a *Analyzer) *fileState {
	return &fileState{
		a:        a,
		r:        exlog.NewReaderOptions(nil, "", exlog.Options{MaxLineBytes: a.opts.MaxLineBytes, MaxMalformed: a.opts.MaxMalformed}),
		sessions: make(map[skey]*session),
		connIDs:  make(map[string]uint32),
		strs:     make(map[string]string),
	}
}

// run reads one file and hands its results to the Analyzer.
func (fs *fileState) run(ctx context.Context, name string, src io.Reader) error {
	fs.agg = newAgg(&fs.a.opts)
	if len(fs.connIDs) > maxConnectors {
		clear(fs.connIDs)
		fs.connNames = fs.connNames[:0]
		fs.haveConn = false
	}
	fs.cur = nil
	r := fs.r
	r.Reset(src, name)
	var err error
	var lastBytes int64
	for n := 1; r.Next(); n++ {
		fs.record(r.Record())
		if n%ctxCheckPeriod == 0 {
			if err = ctx.Err(); err != nil {
				break
			}
			b := r.Stats().Bytes
			fs.progress(b - lastBytes)
			lastBytes = b
		}
	}
	if err == nil {
		if err = r.Err(); err != nil {
			err = fmt.Errorf("analysis: reading %s: %w", name, err)
		}
	}
	fs.progress(r.Stats().Bytes - lastBytes)
	if fs.unreported > 0 {
		fs.a.progress(fs.unreported)
		fs.unreported = 0
	}
	// Whatever is still open goes on in another file, or never ends.
	for s := fs.recent.head; s != nil; {
		next := s.next
		fs.pending = append(fs.pending, s)
		s = next
	}
	fs.recent = sessionList{}
	clear(fs.sessions)
	fs.cur = nil
	fs.a.mergeFile(fs, name)
	fs.pending = fs.pending[:0]
	fs.agg = nil
	return err
}

func (fs *fileState) progress(delta int64) {
	fs.unreported += delta
	if fs.unreported >= progressEvery {
		fs.a.progress(fs.unreported)
		fs.unreported = 0
	}
}

// record is the hot path: it runs once per line, so it looks at a few bytes
// of most lines and fully parses only the lines that carry evidence.
func (fs *fileState) record(rec *exlog.Record) {
	dir := directionOf(rec.LogType)
	s := fs.cur
	if s == nil || dir != fs.curDir || !bytes.Equal(rec.SessionID, fs.curSID) || !bytes.Equal(rec.Connector, fs.curConn) {
		s = fs.lookup(dir, rec)
	}
	ns := rec.DateTime.UnixNano()
	if ns > s.last {
		s.last = ns
	} else if ns < s.first {
		s.first = ns
	}
	s.lines++
	if !s.haveLocal && len(rec.Local) > 0 {
		s.local, s.haveLocal = exlog.ParseEndpointAddr(rec.Local)
	}
	if !s.haveRemote && len(rec.Remote) > 0 {
		fs.setRemote(s, rec.Remote)
	}
	// A session starts with sequence-number 0: the connect line on receive
	// logs, "attempting to connect" before it on send logs.
	if rec.Sequence == 0 || (rec.Sequence < 0 && rec.Event == exlog.EventConnect) {
		s.started = true
	}
	switch rec.Event {
	case exlog.EventDisconnect:
		s.ended = true
		fs.close(s)
	case exlog.EventReceive:
		if dir == DirectionSend {
			fs.reply(s, rec.Data)
		} else {
			fs.command(s, rec.Data, ns)
		}
	case exlog.EventSend:
		if dir == DirectionSend {
			fs.command(s, rec.Data, ns)
		} else {
			fs.reply(s, rec.Data)
		}
	case exlog.EventInfo:
		fs.info(s, rec, ns)
	}
}

func (fs *fileState) lookup(dir Direction, rec *exlog.Record) *session {
	var conn uint32
	if fs.haveConn && bytes.Equal(rec.Connector, fs.lastConn) {
		conn = fs.lastID
	} else {
		id, ok := fs.connIDs[string(rec.Connector)]
		if !ok {
			id = uint32(len(fs.connNames))
			fs.connNames = append(fs.connNames, validString(rec.Connector))
			fs.connIDs[string(rec.Connector)] = id
		}
		conn = id
		fs.lastConn = append(fs.lastConn[:0], rec.Connector...)
		fs.lastID, fs.haveConn = id, true
	}
	sid, canonical := parseSID(rec.SessionID)
	k := skey{dir: dir, conn: conn, sid: sid}
	s := fs.sessions[k]
	if s == nil {
		s = fs.alloc()
		s.dir, s.conn, s.cid, s.sid = dir, fs.connNames[conn], conn, sid
		if !canonical {
			s.sidRaw = validString(rec.SessionID)
		}
		ns := rec.DateTime.UnixNano()
		s.first, s.last = ns, ns
		fs.sessions[k] = s
		fs.recent.pushFront(s)
		if fs.recent.n > fs.a.opts.MaxOpenSessions {
			// Too many sessions open in this file: hand the least recently
			// active one to the Analyzer, which bounds its own set likewise.
			old := fs.recent.tail
			fs.recent.remove(old)
			delete(fs.sessions, fs.keyOf(old))
			fs.hand(old)
		}
	} else {
		fs.recent.moveToFront(s)
	}
	fs.cur, fs.curDir = s, dir
	fs.curSID = append(fs.curSID[:0], rec.SessionID...)
	fs.curConn = append(fs.curConn[:0], rec.Connector...)
	return s
}

func (fs *fileState) keyOf(s *session) skey {
	return skey{dir: s.dir, conn: s.cid, sid: s.sid}
}

func (fs *fileState) alloc() *session {
	if n := len(fs.free); n > 0 {
		s := fs.free[n-1]
		fs.free = fs.free[:n-1]
		return s
	}
	return new(session)
}

func (fs *fileState) release(s *session) {
	*s = session{}
	if len(fs.free) < 1024 {
		fs.free = append(fs.free, s)
	}
}

// close ends s at its disconnect line.
func (fs *fileState) close(s *session) {
	fs.recent.remove(s)
	delete(fs.sessions, fs.keyOf(s))
	fs.cur = nil
	if s.complete() {
		fs.agg.add(s)
		fs.a.emit(s)
		fs.release(s)
		return
	}
	fs.hand(s) // started in an earlier file
}

// hand gives a fragment to the Analyzer, in batches to keep locking rare.
func (fs *fileState) hand(s *session) {
	fs.pending = append(fs.pending, s)
	if len(fs.pending) >= pendingFlush {
		fs.a.mergeFragments(fs.pending)
		clear(fs.pending)
		fs.pending = fs.pending[:0]
	}
}

func (fs *fileState) setRemote(s *session, ep []byte) {
	host, _, ok := exlog.SplitEndpoint(ep)
	if !ok {
		return
	}
	s.haveRemote = true
	if a, ok := exlog.ParseEndpointAddr(ep); ok {
		s.remote = a
		return
	}
	s.remoteHost = fs.intern(host)
}

// command looks at what the client sent: EHLO/HELO, STARTTLS, X-ANONYMOUSTLS.
func (fs *fileState) command(s *session, data []byte, ns int64) {
	if len(data) < 4 {
		return
	}
	switch data[0] | 0x20 {
	case 'e', 'h':
		if (len(data) == 4 || data[4] == ' ') && (bytes.EqualFold(data[:4], []byte("EHLO")) || bytes.EqualFold(data[:4], []byte("HELO"))) {
			if s.dir == DirectionReceive && s.name == "" {
				s.name, s.nameAt = fs.hostArg(data[4:]), ns
			}
		}
	case 's':
		if bytes.EqualFold(bytes.TrimRight(data, " "), []byte("STARTTLS")) {
			s.upgrade = UpgradeStartTLS
		}
	case 'x':
		if bytes.EqualFold(bytes.TrimRight(data, " "), []byte("X-ANONYMOUSTLS")) {
			s.upgrade = UpgradeAnonymousTLS
		}
	}
}

// reply looks at what the server answered: the 220 banner (send logs) and
// 451 5.7.3 Must issue a STARTTLS command first.
func (fs *fileState) reply(s *session, data []byte) {
	if len(data) < 4 {
		return
	}
	switch {
	case data[0] == '2' && data[1] == '2' && data[2] == '0' && (data[3] == ' ' || data[3] == '-'):
		if s.dir == DirectionSend && s.name == "" && s.upgrade == UpgradeNone {
			if h := fs.hostArg(data[4:]); h != "" && !isStatusCode(h) {
				s.name, s.nameAt = h, s.last
			}
		}
	case data[0] == '4' && bytes.HasPrefix(data, []byte("451 5.7.3")):
		s.mustStartTLS = true
	}
}

func isStatusCode(h string) bool {
	return len(h) >= 5 && h[0] >= '2' && h[0] <= '5' && h[1] == '.'
}

// hostArg returns the first word of b, bounded, as a valid UTF-8 string.
func (fs *fileState) hostArg(b []byte) string {
	b = bytes.TrimLeft(b, " ")
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	if len(b) > maxNameLen {
		b = b[:maxNameLen]
	}
	return fs.intern(b)
}

// info reads * lines: TLS results and certificates.
func (fs *fileState) info(s *session, rec *exlog.Record, ns int64) {
	ctx := rec.Context
	if len(ctx) == 0 {
		if !bytes.HasPrefix(rec.Data, []byte("TLS ")) {
			return
		}
		ctx = rec.Data // be generous if a build writes the text into data
	}
	switch ctx[0] {
	case 'T':
		t, ok := parseTLSLine(ctx)
		if !ok {
			return
		}
		s.haveTLS, s.tlsAt = true, ns
		if t.failed {
			s.outcome = OutcomeFailed
			s.failure = fs.intern(t.reason)
			if s.failure == "" {
				s.failure = "unspecified"
			}
			s.protocol, s.cipher, s.hash, s.kex = fs.intern(t.protocol), "", "", ""
			s.cipherBits, s.hashBits, s.kexBits, s.weak = 0, 0, 0, 0
			return
		}
		s.outcome = protocolOutcome(t.protocol)
		s.failure = ""
		s.protocol = fs.intern(t.protocol)
		s.cipher, s.cipherBits = fs.intern(t.cipher), t.cipherBits
		s.hash, s.hashBits = fs.intern(t.hash), t.hashBits
		s.kex, s.kexBits = fs.intern(t.kex), t.kexBits
		s.weak = weakness(s.cipher, s.cipherBits, s.hash, s.kex, s.kexBits)
	case 'S', 'R':
		role := CertSent
		prefix := prefixSendingCert
		if ctx[0] == 'R' {
			role, prefix = CertReceived, prefixReceivedCert
		}
		if !bytes.HasPrefix(ctx, prefix) {
			return
		}
		if len(bytes.TrimSpace(rec.Data)) == 0 {
			s.pendingRole = role // older builds: attribute lines follow
			return
		}
		if s.certs[role-1] == nil {
			c := parseCertLine(validString(rec.Data))
			c.Role = role
			s.certs[role-1] = &c
		}
	case 'C':
		attr := certAttrOf(ctx)
		if attr == attrNone {
			return
		}
		role := s.pendingRole
		if role == CertUnknown {
			role = CertSent // the receive side logs its own certificate
			if s.dir == DirectionSend {
				role = CertReceived
			}
		}
		c := s.certs[role-1]
		if c == nil {
			c = &Certificate{Role: role}
			s.certs[role-1] = c
		}
		c.set(attr, validString(bytes.TrimSpace(rec.Data)))
	}
}

// intern returns b as a string, sharing one copy per distinct value.
func (fs *fileState) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := fs.strs[string(b)]; ok {
		return s
	}
	if len(fs.strs) >= maxInterned {
		clear(fs.strs)
	}
	s := validString(b)
	fs.strs[string(b)] = s
	return s
}

// validString copies b into a string, replacing invalid UTF-8 so that the
// result can travel in protobuf string fields.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
