package analysis

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// fileState reads one file at a time. It is owned by one goroutine and reused
// across files (through the Analyzer's pool) to keep its buffers and caches warm.
type fileState struct {
	a   *Analyzer
	r   *exlog.Reader
	agg *agg

	sessions map[sidKey]*session // by session-id; sidNext chains other connectors
	// recentSlots caches sessions by a hash of their id in front of the map:
	// the few dozen sessions open at a time nearly always hit.
	recentSlots [256]*session
	recent      sessionList
	free        []*session
	pending     []*session // fragments to hand to the Analyzer

	// Caches of the Analyzer's tables, keyed by the raw bytes of a line.
	conns    map[string]uint32
	connRaw  [][]byte // by id: the bytes of the connector as logged
	lastConn []byte
	lastID   uint32
	haveConn bool
	suites   map[string]suiteRef
	certs    [2]map[string]int32
	strs     map[string]string // interned names

	cur     *session // session of the previous relevant record
	curDir  Direction
	curSID  []byte
	curConn []byte

	unreported int64 // bytes read since the last progress report
}

type suiteRef struct {
	id      int32
	outcome Outcome
	weak    Weakness
}

const (
	progressEvery  = 4 << 20
	pendingFlush   = 4096
	maxCached      = 1 << 12
	maxInterned    = 1 << 16
	maxNameLen     = 255
	ctxCheckPeriod = 1 << 14
)

func newFileState(a *Analyzer) *fileState {
	keep := a.opts.MaxMalformed
	if keep == 0 {
		keep = -1 // exlog reads 0 as its default
	}
	return &fileState{
		a:        a,
		r:        exlog.NewReaderOptions(nil, "", exlog.Options{MaxLineBytes: a.opts.MaxLineBytes, MaxMalformed: keep}),
		sessions: make(map[sidKey]*session),
		conns:    make(map[string]uint32),
		suites:   make(map[string]suiteRef),
		certs:    [2]map[string]int32{make(map[string]int32), make(map[string]int32)},
		strs:     make(map[string]string),
	}
}

// run reads one file and hands its results to the Analyzer.
func (fs *fileState) run(ctx context.Context, name string, src io.Reader) error {
	fs.agg = newAgg(&fs.a.opts)
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
		s.sidNext = nil
		fs.pending = append(fs.pending, s)
		s = next
	}
	fs.recent = sessionList{}
	clear(fs.sessions)
	clear(fs.recentSlots[:])
	fs.cur = nil
	fs.a.mergeFile(fs)
	clear(fs.pending)
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
// of most lines and only finds the session of lines that carry evidence: the
// first line (sequence-number 0), connect and disconnect, EHLO/HELO,
// STARTTLS/X-ANONYMOUSTLS, 220 banners on send logs, 451 replies, TLS and
// certificate information.
func (fs *fileState) record(rec *exlog.Record) {
	dir := directionOf(rec.LogType)
	switch rec.Event {
	case exlog.EventDisconnect:
	case exlog.EventConnect:
		if rec.Sequence > 0 { // the connect line after "attempting to connect" on send logs says nothing new
			return
		}
	case exlog.EventReceive, exlog.EventSend:
		if rec.Sequence != 0 && !relevantSMTP(rec.Data, (rec.Event == exlog.EventReceive) != (dir == DirectionSend), dir) {
			return
		}
	case exlog.EventInfo:
		if rec.Sequence != 0 && !relevantInfo(rec) {
			return
		}
	}
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
			fs.reply(s, rec.Data, ns)
		} else {
			fs.command(s, rec.Data, ns)
		}
	case exlog.EventSend:
		if dir == DirectionSend {
			fs.command(s, rec.Data, ns)
		} else {
			fs.reply(s, rec.Data, ns)
		}
	case exlog.EventInfo:
		fs.info(s, rec, ns)
	}
}

// relevantSMTP is a quick, generous test for the commands and replies that
// command and reply look at.
func relevantSMTP(data []byte, fromClient bool, dir Direction) bool {
	if len(data) < 4 {
		return false
	}
	if fromClient {
		switch data[0] | 0x20 {
		case 'e', 'h':
			return dir == DirectionReceive
		case 's', 'x':
			return true
		}
		return false
	}
	return data[0] == '2' && data[1] == '2' && data[2] == '0' && dir == DirectionSend ||
		data[0] == '4' && data[1] == '5' && data[2] == '1'
}

// relevantInfo is a quick test for the * lines info looks at.
func relevantInfo(rec *exlog.Record) bool {
	ctx := rec.Context
	if len(ctx) == 0 {
		ctx = rec.Data
	}
	if len(ctx) < 3 {
		return false
	}
	switch ctx[0] {
	case 'T':
		return ctx[1] == 'L' && ctx[2] == 'S'
	case 'S':
		return ctx[1] == 'e' && ctx[2] == 'n'
	case 'R':
		return ctx[1] == 'e' && ctx[2] == 'c'
	case 'C':
		return ctx[1] == 'e' && ctx[2] == 'r'
	}
	return false
}

func (fs *fileState) connID(raw []byte) uint32 {
	if fs.haveConn && bytes.Equal(raw, fs.lastConn) {
		return fs.lastID
	}
	id, ok := fs.conns[string(raw)]
	if !ok {
		if len(fs.conns) >= maxCached {
			clear(fs.conns)
		}
		id = fs.a.tables.conn(raw)
		fs.conns[string(raw)] = id
		for int(id) >= len(fs.connRaw) {
			fs.connRaw = append(fs.connRaw, nil)
		}
		if fs.connRaw[id] == nil {
			fs.connRaw[id] = bytes.Clone(raw)
		}
	}
	fs.lastConn = append(fs.lastConn[:0], raw...)
	fs.lastID, fs.haveConn = id, true
	return id
}

func (fs *fileState) lookup(dir Direction, rec *exlog.Record) *session {
	sid, canonical := sidOf(rec.SessionID)
	slot := &fs.recentSlots[sid.slot()]
	s := *slot
	if s == nil || s.sid != sid || s.dir != dir || !bytes.Equal(fs.connRaw[s.conn], rec.Connector) {
		s = fs.sessions[sid]
		for s != nil && (s.dir != dir || !bytes.Equal(fs.connRaw[s.conn], rec.Connector)) {
			s = s.sidNext
		}
	}
	if s == nil {
		conn := fs.connID(rec.Connector)
		for s = fs.sessions[sid]; s != nil && (s.dir != dir || s.conn != conn); s = s.sidNext {
		}
	}
	if s == nil {
		conn := fs.connID(rec.Connector)
		s = fs.alloc()
		s.dir, s.conn, s.sid = dir, conn, sid
		if !canonical {
			s.sidRaw = validString(rec.SessionID)
		}
		ns := rec.DateTime.UnixNano()
		s.first, s.last = ns, ns
		s.sidNext = fs.sessions[sid]
		fs.sessions[sid] = s
		*slot = s
		fs.recent.pushFront(s)
		if fs.recent.n > fs.a.opts.MaxOpenSessions {
			// Too many sessions open in this file: hand the least recently
			// active one to the Analyzer, which bounds its own set likewise.
			old := fs.recent.tail
			fs.recent.remove(old)
			fs.unlink(old)
			fs.hand(old)
		}
	} else {
		fs.recent.moveToFront(s)
		*slot = s
	}
	fs.cur, fs.curDir = s, dir
	fs.curSID = append(fs.curSID[:0], rec.SessionID...)
	fs.curConn = append(fs.curConn[:0], rec.Connector...)
	return s
}

// unlink removes s from the session map.
func (fs *fileState) unlink(s *session) {
	head := fs.sessions[s.sid]
	if head == s {
		if s.sidNext == nil {
			delete(fs.sessions, s.sid)
		} else {
			fs.sessions[s.sid] = s.sidNext
		}
	} else {
		for p := head; p != nil; p = p.sidNext {
			if p.sidNext == s {
				p.sidNext = s.sidNext
				break
			}
		}
	}
	s.sidNext = nil
	if fs.cur == s {
		fs.cur = nil
	}
	if slot := &fs.recentSlots[s.sid.slot()]; *slot == s {
		*slot = nil
	}
}

func (fs *fileState) alloc() *session {
	var s *session
	if n := len(fs.free); n > 0 {
		s = fs.free[n-1]
		fs.free = fs.free[:n-1]
	} else {
		s = new(session)
	}
	s.reset()
	return s
}

func (fs *fileState) release(s *session) {
	if len(fs.free) < 1024 {
		fs.free = append(fs.free, s)
	}
}

// close ends s at its disconnect line.
func (fs *fileState) close(s *session) {
	fs.recent.remove(s)
	fs.unlink(s)
	if s.complete() {
		s.resolve(fs.a.tables)
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
func (fs *fileState) reply(s *session, data []byte, ns int64) {
	if len(data) < 4 {
		return
	}
	switch {
	case data[0] == '2' && data[1] == '2' && data[2] == '0' && (data[3] == ' ' || data[3] == '-'):
		if s.dir == DirectionSend && s.name == "" && s.upgrade == UpgradeNone {
			if h := fs.hostArg(data[4:]); h != "" && !isStatusCode(h) {
				s.name, s.nameAt = h, ns
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
	b = bytes.TrimLeft(b, " \t")
	for i, c := range b {
		if c <= ' ' { // a space, or an unescaped CR/LF: the argument ends
			b = b[:i]
			break
		}
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
		ref, ok := fs.suites[string(ctx)]
		if !ok {
			t, isTLS := parseTLSLine(ctx)
			if !isTLS {
				return
			}
			su := suiteOf(t)
			ref = suiteRef{id: fs.a.tables.suite(su), outcome: su.outcome, weak: su.weak}
			if len(fs.suites) >= maxCached {
				clear(fs.suites)
			}
			fs.suites[string(ctx)] = ref
		}
		if s.suite < 0 || ns >= s.tlsAt { // the latest TLS line counts, as when fragments merge
			s.suite, s.tlsAt, s.outcome, s.weak = ref.id, ns, ref.outcome, ref.weak
		}
	case 'S', 'R':
		role := CertSent
		prefix := prefixSendingCert
		if ctx[0] == 'R' {
			role, prefix = CertReceived, prefixReceivedCert
		}
		if !bytes.HasPrefix(ctx, prefix) {
			return
		}
		data := bytes.TrimSpace(rec.Data)
		if len(data) == 0 {
			s.pendingRole = role // older builds: attribute lines follow
			return
		}
		if s.certs[role-1] >= 0 {
			return
		}
		cache := fs.certs[role-1]
		id, ok := cache[string(data)]
		if !ok {
			c := parseCertLine(validString(data))
			c.Role = role
			id = fs.a.tables.cert(c)
			if len(cache) >= maxCached {
				clear(cache)
			}
			cache[string(data)] = id
		}
		s.certs[role-1] = id
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
		c := s.pending[role-1]
		if c == nil {
			c = &Certificate{Role: role}
			s.pending[role-1] = c
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
