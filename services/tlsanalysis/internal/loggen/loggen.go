// Package loggen writes large, realistic synthetic Exchange SMTP protocol logs
// (receive and send, hourly or daily files) together with the answer an
// analysis of them must give, for tests and benchmarks.
//
// The logs hold every TLS outcome (none, SSL 3.0, TLS 1.0 to 1.3, an unknown
// protocol token, failures), STARTTLS and X-ANONYMOUSTLS, 451 5.7.3 refusals,
// certificates, IPv6 remotes, quoted connector names with commas, doubled
// quotes and non-ASCII letters, escaped CR/LF, interleaved sessions, sessions
// that continue in the next file, and header blocks repeated mid-file.
package loggen

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config says what to generate. The zero value gives two hours of SE-style
// logs in both directions.
type Config struct {
	Seed            uint64
	Start           time.Time // first period; default 2024-03-04T00:00:00Z; truncated to the hour
	Hours           int       // default 2
	SessionsPerHour int       // per direction; default 300
	ReceiveOnly     bool
	SendOnly        bool
	// Exchange2010 writes daily files (RECVyyyyMMdd-1.LOG), #Version 14.0.0.0
	// and certificates one attribute per line.
	Exchange2010 bool
	// RestartEvery repeats the header block (a service restart) after about
	// this many lines; default 3000, negative never.
	RestartEvery int
	// ReorderOnRestart makes the repeated header blocks alternate between the
	// documented field order and a permuted one.
	ReorderOnRestart bool
	// MalformedEvery inserts a malformed line after about this many lines; 0 never.
	MalformedEvery int
	// LongSessions is the share of sessions lasting minutes instead of seconds
	// (they tend to cross into the next file); default 0.03.
	LongSessions float64
}

// Key identifies a count by direction ("receive"/"send") and outcome name
// (None, SSL3, TLS1.0, TLS1.1, TLS1.2, TLS1.3, Unknown, Failed).
type Key struct {
	Direction string
	Outcome   string
}

// ConnectorKey identifies a count by direction, connector and outcome.
type ConnectorKey struct {
	Direction string
	Connector string
	Outcome   string
}

// RemoteKey identifies a remote by direction and address (netip text form).
type RemoteKey struct {
	Direction string
	IP        string
}

// Remote is what was generated for one remote.
type Remote struct {
	Name     string // EHLO name (receive) or banner host (send)
	Sessions int64
	Legacy   int64 // sessions with None, SSL3, TLS1.0 or TLS1.1
}

// Expected is the answer: what was generated, counted as an analysis must count it.
type Expected struct {
	Files          int64
	Bytes          int64
	Lines          int64 // Records + HeaderLines + MalformedLines
	Records        int64
	HeaderLines    int64
	MalformedLines int64
	Sessions       int64
	SplitSessions  int64 // sessions with lines in more than one file

	Outcomes          map[Key]int64
	Connectors        map[ConnectorKey]int64
	Remotes           map[RemoteKey]*Remote
	Days              map[string]map[Key]int64 // "2024-03-04" → counts
	UnknownProtocols  map[string]int64
	Failures          map[string]int64
	StartTLS          map[string]int64 // by direction
	AnonymousTLS      map[string]int64
	MustIssueStartTLS map[string]int64
	Weak              map[string]int64 // sessions with weak crypto, by direction
	Certificates      map[string]int64 // thumbprint → sessions
}

func newExpected() *Expected {
	return &Expected{
		Outcomes:          map[Key]int64{},
		Connectors:        map[ConnectorKey]int64{},
		Remotes:           map[RemoteKey]*Remote{},
		Days:              map[string]map[Key]int64{},
		UnknownProtocols:  map[string]int64{},
		Failures:          map[string]int64{},
		StartTLS:          map[string]int64{},
		AnonymousTLS:      map[string]int64{},
		MustIssueStartTLS: map[string]int64{},
		Weak:              map[string]int64{},
		Certificates:      map[string]int64{},
	}
}

// Generate writes the logs, calling emit once per file in name order (all
// receive files, then all send files), and returns the answer.
func Generate(cfg Config, emit func(name string, data []byte) error) (*Expected, error) {
	cfg = withDefaults(cfg)
	exp := newExpected()
	for _, dir := range []string{"receive", "send"} {
		if (dir == "receive" && cfg.SendOnly) || (dir == "send" && cfg.ReceiveOnly) {
			continue
		}
		g := newGen(cfg, dir, exp)
		if err := g.run(emit); err != nil {
			return nil, err
		}
	}
	return exp, nil
}

// WriteDir writes the files into dir.
func WriteDir(dir string, cfg Config) (*Expected, error) {
	return Generate(cfg, func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	})
}

// Concat returns all files concatenated into one stream: every file starts
// with its header block, so the stream still says which lines are which.
func Concat(cfg Config) ([]byte, *Expected, error) {
	var all []byte
	exp, err := Generate(cfg, func(_ string, data []byte) error {
		all = append(all, data...)
		return nil
	})
	return all, exp, err
}

func withDefaults(cfg Config) Config {
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	}
	cfg.Start = cfg.Start.UTC().Truncate(time.Hour)
	if cfg.Hours <= 0 {
		cfg.Hours = 2
	}
	if cfg.SessionsPerHour <= 0 {
		cfg.SessionsPerHour = 300
	}
	if cfg.RestartEvery == 0 {
		cfg.RestartEvery = 3000
	}
	if cfg.LongSessions == 0 {
		cfg.LongSessions = 0.03
	}
	return cfg
}

var (
	receiveConnectors = []string{
		`EX01\Default Frontend EX01`,
		`EX01\Default Frontend EX01`,
		`EX01\Default Frontend EX01`,
		`EX01\Client Frontend EX01`,
		`EX01\Relay, internal`,
		`EX01\Empfangsconnector für Partner`,
	}
	sendConnectors = []string{
		`Outbound to Internet`,
		`Outbound to Internet`,
		`Partner "secure" route, TLS`,
		`Intra-Organization SMTP Send Connector`,
		`Sendeconnector Österreich`,
	}
)

// suite is a negotiated protocol with its algorithms, as Windows logs them.
type suite struct {
	outcome string
	token   string // without the _SERVER/_CLIENT suffix, or a full numeric token per side
	numeric [2]string
	cipher  string
	cbits   int
	hash    string
	hbits   int
	kex     string
	kbits   int
	weak    bool // by the documented rules: RC4/DES/3DES, SHA-1/MD5, key < 128 bits, short RSA/DH
}

var suites = map[string][]suite{
	"SSL3":    {{outcome: "SSL3", token: "SP_PROT_SSL3", cipher: "CALG_RC4", cbits: 128, hash: "CALG_MD5", hbits: 128, kex: "CALG_RSA_KEYX", kbits: 1024, weak: true}},
	"TLS1.0":  {{outcome: "TLS1.0", token: "SP_PROT_TLS1_0", cipher: "CALG_3DES", cbits: 168, hash: "CALG_SHA1", hbits: 160, kex: "CALG_RSA_KEYX", kbits: 2048, weak: true}, {outcome: "TLS1.0", token: "SP_PROT_TLS1_0", cipher: "CALG_AES_128", cbits: 128, hash: "CALG_SHA1", hbits: 160, kex: "CALG_ECDH_EPHEM", kbits: 256, weak: true}},
	"TLS1.1":  {{outcome: "TLS1.1", token: "SP_PROT_TLS1_1", cipher: "CALG_AES_256", cbits: 256, hash: "CALG_SHA1", hbits: 160, kex: "CALG_ECDHE", kbits: 384, weak: true}},
	"TLS1.2":  {{outcome: "TLS1.2", token: "SP_PROT_TLS1_2", cipher: "CALG_AES_256", cbits: 256, hash: "CALG_SHA_384", hbits: 0, kex: "CALG_ECDHE", kbits: 384}, {outcome: "TLS1.2", token: "SP_PROT_TLS1_2", cipher: "CALG_AES_128", cbits: 128, hash: "CALG_SHA_256", hbits: 0, kex: "CALG_ECDH_EPHEM", kbits: 256}, {outcome: "TLS1.2", token: "SP_PROT_TLS1_2", cipher: "CALG_AES_256", cbits: 256, hash: "CALG_SHA1", hbits: 160, kex: "CALG_DH_EPHEM", kbits: 1024, weak: true}},
	"TLS1.3":  {{outcome: "TLS1.3", token: "SP_PROT_TLS1_3", cipher: "CALG_AES_256", cbits: 256, hash: "CALG_SHA_384", hbits: 0, kex: "CALG_ECDHE", kbits: 384}, {outcome: "TLS1.3", numeric: [2]string{"4096", "8192"}, cipher: "CALG_AES_128", cbits: 128, hash: "CALG_SHA_256", hbits: 0, kex: "CALG_ECDHE", kbits: 256}},
	"Unknown": {{outcome: "Unknown", token: "SP_PROT_DTLS1_2", cipher: "CALG_AES_256", cbits: 256, hash: "CALG_SHA_384", hbits: 0, kex: "CALG_ECDHE", kbits: 384}},
}

var outcomeWeights = []struct {
	name   string
	weight int
}{
	{"None", 12}, {"SSL3", 2}, {"TLS1.0", 8}, {"TLS1.1", 5}, {"TLS1.2", 53}, {"TLS1.3", 8}, {"Unknown", 3}, {"Failed", 9},
}

var failureReasons = []string{"SocketError", "UnknownCredentials", "NoCredentials"}

func legacy(outcome string) bool {
	switch outcome {
	case "None", "SSL3", "TLS1.0", "TLS1.1":
		return true
	}
	return false
}

type cert struct {
	subject, issuer, serial, thumb, notBefore, notAfter, sans string
}

type remote struct {
	addr    netip.Addr
	name    string
	profile string // the outcome this remote usually gets
	cert    cert   // its certificate (send side)
}

// line is one record to be written.
type line struct {
	event   byte
	data    string
	context string
	local   bool // false: the local endpoint is empty (send side, before connecting)
}

// gsession is a session being written.
type gsession struct {
	sid      uint64
	conn     string
	rem      *remote
	lport    int
	rport    int
	lines    []line
	next     int
	at       time.Time // time of lines[next]
	step     time.Duration
	seq      int
	files    int // files this session has written into
	lastFile int
}

type sessionHeap []*gsession

func (h sessionHeap) Len() int           { return len(h) }
func (h sessionHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h sessionHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sessionHeap) Push(x any)        { *h = append(*h, x.(*gsession)) }
func (h *sessionHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

type gen struct {
	cfg     Config
	dir     string
	exp     *Expected
	rnd     *rand.Rand
	remotes []*remote
	certs   []cert // this server's certificates (receive side)
	sid     uint64

	buf         []byte
	fileIndex   int
	fileStart   time.Time
	fileName    string
	sinceHdr    int
	sinceBad    int
	reordered   bool
	order       []int // column order: indexes into the 9 documented fields
	nextRestart int
}

var defaultOrder = []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
var permutedOrder = []int{0, 2, 1, 3, 5, 4, 6, 8, 7}
var fieldNames = []string{"date-time", "connector-id", "session-id", "sequence-number", "local-endpoint", "remote-endpoint", "event", "data", "context"}

func newGen(cfg Config, dir string, exp *Expected) *gen {
	seed := cfg.Seed
	if dir == "send" {
		seed = seed*31 + 7
	}
	g := &gen{cfg: cfg, dir: dir, exp: exp, rnd: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), order: defaultOrder}
	g.sid = 0x08DC3C0000000000 + uint64(g.rnd.IntN(1<<20))<<16
	if dir == "send" {
		g.sid += 0x0000100000000000
	}
	for i := range 360 {
		var a netip.Addr
		switch {
		case i%9 == 8:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i >> 8), 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)})
		case i%3 == 0:
			a = netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		case i%3 == 1:
			a = netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		default:
			a = netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)})
		}
		r := &remote{addr: a, profile: g.pickOutcome()}
		host := fmt.Sprintf("mx%d.partner%d.example", i%4+1, i)
		if i%17 == 0 {
			host = fmt.Sprintf("smtp.müller-%d.example", i) // non-ASCII EHLO name
		}
		r.name = host
		r.cert = cert{
			subject:   "CN=" + host + ", O=Partner " + strconv.Itoa(i) + ", C=DE",
			issuer:    "CN=R3, O=Let's Encrypt, C=US",
			serial:    fmt.Sprintf("04%030X", uint64(i)*0x9E3779B97F4A7C15),
			thumb:     fmt.Sprintf("%040X", uint64(i)*0xC2B2AE3D27D4EB4F+1),
			notBefore: "2024-01-01T00:00:00.000Z",
			notAfter:  "2024-12-31T23:59:59.000Z",
			sans:      host,
		}
		g.remotes = append(g.remotes, r)
	}
	g.certs = []cert{
		{subject: "CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, C=US", issuer: "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US",
			serial: "0A1B2C3D4E5F60718293A4B5C6D7E8F9", thumb: "3F2E1D0C9B8A79685746352413F2E1D0C9B8A796", notBefore: "2023-06-01T00:00:00.000Z",
			notAfter: "2024-06-30T23:59:59.000Z", sans: "mail.contoso.com;autodiscover.contoso.com"},
		{subject: "CN=EX01", issuer: "CN=EX01", serial: "12DEABC6565646512346ABDC13456894", thumb: "12DEABC6565646512346ABDC1345689413589876",
			notBefore: "2020-01-17T15:15:33.000Z", notAfter: "2025-01-17T15:15:33.000Z", sans: "EX01;EX01.contoso.com"},
	}
	return g
}

func (g *gen) pickOutcome() string {
	total := 0
	for _, w := range outcomeWeights {
		total += w.weight
	}
	n := g.rnd.IntN(total)
	for _, w := range outcomeWeights {
		if n < w.weight {
			return w.name
		}
		n -= w.weight
	}
	return "TLS1.2"
}

func (g *gen) periodOf(t time.Time) time.Time {
	if g.cfg.Exchange2010 {
		return t.Truncate(24 * time.Hour)
	}
	return t.Truncate(time.Hour)
}

func (g *gen) nameOf(period time.Time) string {
	prefix := "RECV"
	if g.dir == "send" {
		prefix = "SEND"
	}
	if g.cfg.Exchange2010 {
		return prefix + period.Format("20060102") + "-1.LOG"
	}
	return prefix + period.Format("2006010215") + "-1.LOG"
}

func (g *gen) run(emit func(string, []byte) error) error {
	cfg := g.cfg
	// Session start times, in order.
	var starts []time.Time
	for h := range cfg.Hours {
		hour := cfg.Start.Add(time.Duration(h) * time.Hour)
		for range cfg.SessionsPerHour {
			starts = append(starts, hour.Add(time.Duration(g.rnd.Int64N(int64(time.Hour)))))
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	end := cfg.Start.Add(time.Duration(cfg.Hours) * time.Hour)
	var active sessionHeap
	si := 0
	for si < len(starts) || len(active) > 0 {
		var s *gsession
		if si < len(starts) && (len(active) == 0 || !active[0].at.Before(starts[si])) {
			s = g.newSession(starts[si])
			si++
		} else {
			s = heap.Pop(&active).(*gsession)
		}
		t := s.at
		period := g.periodOf(t)
		if !t.Before(end) {
			period = g.periodOf(end.Add(-time.Nanosecond)) // the last file takes the stragglers
		}
		if g.fileName == "" || !period.Equal(g.fileStart) {
			if err := g.flush(emit); err != nil {
				return err
			}
			g.startFile(period)
		}
		g.maybeRestart()
		g.maybeMalformed()
		g.writeLine(s, t)
		s.next++
		if s.next < len(s.lines) {
			s.at = t.Add(time.Duration(g.rnd.Int64N(int64(s.step))) + time.Millisecond)
			heap.Push(&active, s)
		} else if s.files > 1 {
			g.exp.SplitSessions++
		}
	}
	return g.flush(emit)
}

func (g *gen) flush(emit func(string, []byte) error) error {
	if g.fileName == "" {
		return nil
	}
	g.exp.Files++
	g.exp.Bytes += int64(len(g.buf))
	err := emit(g.fileName, g.buf)
	g.buf = nil
	return err
}

func (g *gen) startFile(period time.Time) {
	g.fileIndex++
	g.fileStart = period
	g.fileName = g.nameOf(period)
	g.buf = make([]byte, 0, 1<<20)
	g.buf = append(g.buf, 0xEF, 0xBB, 0xBF)
	g.order = defaultOrder
	g.reordered = false
	g.header(period)
}

func (g *gen) header(at time.Time) {
	version := "15.0.0.0"
	if g.cfg.Exchange2010 {
		version = "14.0.0.0"
	}
	kind := "SMTP Receive Protocol Log"
	if g.dir == "send" {
		kind = "SMTP Send Protocol Log"
	}
	fields := make([]string, len(g.order))
	for i, f := range g.order {
		fields[i] = fieldNames[f]
	}
	for _, h := range []string{
		"#Software: Microsoft Exchange Server",
		"#Version: " + version,
		"#Log-type: " + kind,
		"#Date: " + at.Format("2006-01-02T15:04:05.000Z"),
		"#Fields: " + strings.Join(fields, ","),
	} {
		g.buf = append(g.buf, h...)
		g.buf = append(g.buf, '\r', '\n')
		g.exp.Lines++
		g.exp.HeaderLines++
	}
	g.sinceHdr = 0
	g.nextRestart = g.cfg.RestartEvery/2 + g.rnd.IntN(g.cfg.RestartEvery+1)
}

func (g *gen) maybeRestart() {
	if g.cfg.RestartEvery < 0 || g.sinceHdr < g.nextRestart {
		return
	}
	if g.cfg.ReorderOnRestart {
		g.reordered = !g.reordered
		g.order = defaultOrder
		if g.reordered {
			g.order = permutedOrder
		}
	}
	g.header(g.fileStart)
}

var garbage = []string{
	"2024-03-04T10:00:00.000Z,truncated line without enough fields",
	"\x00\x00\x00\x00\x00\x00\x00\x00",
	"not a log line at all, just, commas, here, and, there, and, more, fields, than, expected",
	"2024-13-45T99:99:99.999Z,EX01\\Default Frontend EX01,08DC3C0000000001,0,10.0.0.1:25,203.0.113.1:1000,+,,",
	"\xff\xfe\xfd garbage bytes \x80\x81",
	"2024-03-04T10:00:00.000Z,EX01\\Default Frontend EX01,08DC3C0000000001,0,10.0.0.1:25,203.0.113.1:1000,+,\"unterminated,",
}

func (g *gen) maybeMalformed() {
	if g.cfg.MalformedEvery <= 0 {
		return
	}
	g.sinceBad++
	if g.sinceBad < g.cfg.MalformedEvery {
		return
	}
	g.sinceBad = 0
	g.buf = append(g.buf, garbage[g.rnd.IntN(len(garbage))]...)
	g.buf = append(g.buf, '\r', '\n')
	g.exp.Lines++
	g.exp.MalformedLines++
}

func (g *gen) writeLine(s *gsession, t time.Time) {
	if s.lastFile != g.fileIndex {
		s.lastFile = g.fileIndex
		s.files++
	}
	l := s.lines[s.next]
	var local, rem string
	if l.local {
		local = "10.0.0.1:" + strconv.Itoa(s.lport)
	}
	if s.rem.addr.Is4() {
		rem = s.rem.addr.String() + ":" + strconv.Itoa(s.rport)
	} else {
		rem = "[" + s.rem.addr.String() + "]:" + strconv.Itoa(s.rport)
	}
	var vals [9]string
	vals[0] = t.Format("2006-01-02T15:04:05.000Z")
	vals[1] = s.conn
	vals[2] = fmt.Sprintf("%016X", s.sid)
	vals[3] = strconv.Itoa(s.seq)
	vals[4] = local
	vals[5] = rem
	vals[6] = string(l.event)
	vals[7] = l.data
	vals[8] = l.context
	for i, f := range g.order {
		if i > 0 {
			g.buf = append(g.buf, ',')
		}
		g.buf = appendCSV(g.buf, vals[f])
	}
	g.buf = append(g.buf, '\r', '\n')
	s.seq++
	g.sinceHdr++
	g.exp.Lines++
	g.exp.Records++
}

var crlfEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// appendCSV quotes v the way Exchange does: only when it holds a comma or a
// quote, with inner quotes doubled. CR and LF are escaped as \r and \n.
func appendCSV(dst []byte, v string) []byte {
	if strings.ContainsAny(v, "\r\n") {
		v = crlfEscaper.Replace(v)
	}
	if !strings.ContainsAny(v, `,"`) {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	dst = append(dst, strings.ReplaceAll(v, `"`, `""`)...)
	return append(dst, '"')
}

func (g *gen) newSession(start time.Time) *gsession {
	g.sid++
	s := &gsession{sid: g.sid, at: start, lport: 25, rport: 1024 + g.rnd.IntN(60000), step: 400 * time.Millisecond}
	if g.rnd.Float64() < g.cfg.LongSessions {
		s.step = 20 * time.Second
	}
	s.rem = g.remotes[g.rnd.IntN(len(g.remotes))]
	outcome := s.rem.profile
	if g.rnd.IntN(10) == 0 {
		outcome = g.pickOutcome()
	}
	if g.cfg.Exchange2010 {
		switch outcome { // Exchange 2010 before SP3 RU9: SSL 3.0 and TLS 1.0 only
		case "TLS1.1", "TLS1.2", "TLS1.3", "Unknown":
			outcome = "TLS1.0"
		}
	}
	conns := receiveConnectors
	if g.dir == "send" {
		conns = sendConnectors
		s.lport, s.rport = 1024+g.rnd.IntN(60000), 25
	}
	s.conn = conns[g.rnd.IntN(len(conns))]
	upgrade := "STARTTLS"
	if strings.HasPrefix(s.conn, "Intra-Organization") || (g.dir == "receive" && g.rnd.IntN(5) == 0) {
		upgrade = "X-ANONYMOUSTLS"
	}
	day := start.Format("2006-01-02")

	exp := g.exp
	exp.Sessions++
	exp.Outcomes[Key{g.dir, outcome}]++
	exp.Connectors[ConnectorKey{g.dir, s.conn, outcome}]++
	if exp.Days[day] == nil {
		exp.Days[day] = map[Key]int64{}
	}
	exp.Days[day][Key{g.dir, outcome}]++
	rk := RemoteKey{g.dir, s.rem.addr.String()}
	r := exp.Remotes[rk]
	if r == nil {
		r = &Remote{Name: s.rem.name}
		exp.Remotes[rk] = r
	}
	r.Sessions++
	if legacy(outcome) {
		r.Legacy++
	}

	if g.dir == "receive" {
		s.lines = g.receiveScript(s, outcome, upgrade, start)
	} else {
		s.lines = g.sendScript(s, outcome, upgrade, start)
	}
	return s
}

func (g *gen) suiteFor(outcome string) suite {
	list := suites[outcome]
	return list[g.rnd.IntN(len(list))]
}

func (g *gen) tlsContext(su suite, side int) string {
	tok := su.token
	if su.numeric[side] != "" {
		tok = su.numeric[side]
	} else if side == 0 {
		tok += "_SERVER"
	} else {
		tok += "_CLIENT"
	}
	return "TLS protocol " + tok + " negotiation succeeded using bulk encryption algorithm " + su.cipher +
		" with strength " + strconv.Itoa(su.cbits) + " bits, MAC hash algorithm " + su.hash +
		" with strength " + strconv.Itoa(su.hbits) + " bits and key exchange algorithm " + su.kex +
		" with strength " + strconv.Itoa(su.kbits) + " bits"
}

func (g *gen) certLines(c cert, sending bool) []line {
	if g.cfg.Exchange2010 {
		var ls []line
		if !sending {
			ls = append(ls, line{event: '*', context: "Received certificate", local: true})
		}
		return append(ls,
			line{event: '*', data: c.subject, context: "Certificate subject", local: true},
			line{event: '*', data: c.issuer, context: "Certificate issuer name", local: true},
			line{event: '*', data: c.serial, context: "Certificate serial number", local: true},
			line{event: '*', data: c.thumb, context: "Certificate thumbprint", local: true},
			line{event: '*', data: c.sans, context: "Certificate alternate names", local: true},
		)
	}
	verb := "Sending"
	if !sending {
		verb = "Received"
	}
	return []line{{event: '*', local: true,
		data:    " " + strings.Join([]string{c.subject, c.issuer, c.serial, c.thumb, c.notBefore, c.notAfter, c.sans}, " "),
		context: verb + " certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names"}}
}

func (g *gen) banner(host string, t time.Time) string {
	return "220 " + host + " Microsoft ESMTP MAIL Service ready at " + t.Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

func (g *gen) count(outcome, upgrade string, weak bool, thumb string, mustStartTLS bool, failure string, token string) {
	exp := g.exp
	if outcome != "None" {
		if upgrade == "STARTTLS" {
			exp.StartTLS[g.dir]++
		} else {
			exp.AnonymousTLS[g.dir]++
		}
	}
	if weak {
		exp.Weak[g.dir]++
	}
	if thumb != "" {
		exp.Certificates[thumb]++
	}
	if mustStartTLS {
		exp.MustIssueStartTLS[g.dir]++
	}
	if failure != "" {
		exp.Failures[failure]++
	}
	if outcome == "Unknown" {
		exp.UnknownProtocols[token]++
	}
}

func (g *gen) receiveScript(s *gsession, outcome, upgrade string, t time.Time) []line {
	l := func(ev byte, data, ctx string) line { return line{event: ev, data: data, context: ctx, local: true} }
	name := s.rem.name
	ehlo := "EHLO " + name
	if g.rnd.IntN(20) == 0 {
		ehlo = "HELO " + name
	}
	caps := "250  mail.contoso.com Hello [" + s.rem.addr.String() + "] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST"
	ls := []line{
		l('+', "", ""),
		l('>', g.banner("mail.contoso.com", t), ""),
		l('<', ehlo, ""),
		l('>', caps, ""),
	}
	srvCert := g.certs[0]
	if !strings.Contains(s.conn, "Default Frontend") {
		srvCert = g.certs[1]
	}
	var weak, must bool
	var thumb, failure, token string
	switch outcome {
	case "None":
		if g.rnd.IntN(3) == 0 {
			ls = append(ls, l('<', "GET / HTTP/1.1\r\nHost: mail.contoso.com\r\n", ""), l('>', "500 5.3.3 Unrecognized command 'GET'", ""))
		}
		ls = append(ls, l('<', "MAIL FROM:<newsletter@bulk.example>", ""))
		if g.rnd.IntN(2) == 0 {
			must = true
			ls = append(ls, l('>', "451 5.7.3 Must issue a STARTTLS command first", ""), l('<', "QUIT", ""), l('>', "221 2.0.0 Closing connection.", ""), l('-', "", "Local"))
			g.count(outcome, upgrade, weak, thumb, must, failure, token)
			return ls
		}
		ls = append(ls,
			l('*', "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders", "Set Session Permissions"),
			l('>', "250 2.1.0 Sender OK", ""))
	case "Failed":
		failure = failureReasons[g.rnd.IntN(len(failureReasons))]
		thumb = srvCert.thumb
		ls = append(ls, l('<', upgrade, ""), l('>', "220 2.0.0 SMTP server ready", ""))
		ls = append(ls, g.certLines(srvCert, true)...)
		ls = append(ls, l('*', "", "TLS negotiation failed with error "+failure), l('-', "", "Local"))
		g.count(outcome, upgrade, weak, thumb, must, failure, token)
		return ls
	default:
		su := g.suiteFor(outcome)
		weak = su.weak
		thumb = srvCert.thumb
		token = su.token + "_SERVER"
		ls = append(ls, l('<', upgrade, ""), l('>', "220 2.0.0 SMTP server ready", ""))
		ls = append(ls, g.certLines(srvCert, true)...)
		ls = append(ls,
			l('*', "", g.tlsContext(su, 0)),
			l('<', ehlo, ""),
			l('*', "", "Client certificate chain validation status: 'EmptyCertificate'"),
			l('*', "", "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'"),
			l('>', strings.Replace(caps, " STARTTLS X-ANONYMOUSTLS", "", 1), ""),
			l('<', "MAIL FROM:<someone@"+strings.TrimPrefix(name, "mx1.")+"> SIZE=48213", ""),
			l('*', "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders", "Set Session Permissions"),
			l('>', "250 2.1.0 Sender OK", ""))
	}
	ls = append(ls,
		l('<', "RCPT TO:<user"+strconv.Itoa(g.rnd.IntN(500))+"@contoso.com>", ""),
		l('>', "250 2.1.5 Recipient OK", ""),
		l('<', "BDAT 48213 LAST", ""),
		l('*', "08DC3C84A4B5C6D7;"+t.Format("2006-01-02T15:04:05.000Z")+";1", "receiving message"),
		l('>', "250 2.6.0 <"+strconv.FormatUint(s.sid, 36)+"@"+name+"> [InternalId=1234567, Hostname=EX01.contoso.com] 49012 bytes in 0.112, 427.1 KB/sec Queued mail for delivery", ""),
		l('<', "QUIT", ""),
		l('>', "221 2.0.0 Closing connection.", ""),
		l('-', "", "Local"),
	)
	g.count(outcome, upgrade, weak, thumb, must, failure, token)
	return ls
}

func (g *gen) sendScript(s *gsession, outcome, upgrade string, t time.Time) []line {
	l := func(ev byte, data, ctx string) line { return line{event: ev, data: data, context: ctx, local: true} }
	host := s.rem.name
	ls := []line{
		{event: '*', context: "attempting to connect"},
		l('+', "", ""),
		l('<', g.banner(host, t), ""),
		l('>', "EHLO mail.contoso.com", ""),
		l('<', "250  "+host+" Hello [10.0.0.1] SIZE 157286400 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS 8BITMIME BINARYMIME CHUNKING", ""),
	}
	var weak, must bool
	var thumb, failure, token string
	switch outcome {
	case "None":
		ls = append(ls, l('>', "MAIL FROM:<user@contoso.com> SIZE=1234", ""))
		if g.rnd.IntN(2) == 0 {
			must = true
			ls = append(ls, l('<', "451 5.7.3 Must issue a STARTTLS command first", ""), l('>', "QUIT", ""), l('-', "", "Local"))
			g.count(outcome, upgrade, weak, thumb, must, failure, token)
			return ls
		}
		ls = append(ls, l('<', "250 2.1.0 Sender OK", ""))
	case "Failed":
		failure = failureReasons[g.rnd.IntN(len(failureReasons))]
		ls = append(ls, l('>', upgrade, ""), l('<', "220 2.0.0 SMTP server ready", ""),
			l('*', "", "TLS negotiation failed with error "+failure), l('-', "", "Local"))
		g.count(outcome, upgrade, weak, thumb, must, failure, token)
		return ls
	default:
		su := g.suiteFor(outcome)
		weak = su.weak
		token = su.token + "_CLIENT"
		thumb = s.rem.cert.thumb
		ls = append(ls, l('>', upgrade, ""), l('<', "220 2.0.0 SMTP server ready", ""))
		ls = append(ls, g.certLines(s.rem.cert, false)...)
		ls = append(ls,
			l('*', "", g.tlsContext(su, 1)),
			l('>', "EHLO mail.contoso.com", ""),
			l('<', "250  "+host+" Hello [10.0.0.1] SIZE 157286400 PIPELINING DSN ENHANCEDSTATUSCODES 8BITMIME BINARYMIME CHUNKING", ""),
			l('*', "", "sending message with RecordId 51539607553 and InternetMessageId <"+strconv.FormatUint(s.sid, 36)+"@contoso.com>"),
			l('>', "MAIL FROM:<user@contoso.com> SIZE=1234", ""),
			l('<', "250 2.1.0 Sender OK", ""))
	}
	ls = append(ls,
		l('>', "RCPT TO:<someone@"+host+">", ""),
		l('<', "250 2.1.5 Recipient OK", ""),
		l('>', "BDAT 1234 LAST", ""),
		l('<', "250 2.6.0 <"+strconv.FormatUint(s.sid, 36)+"@contoso.com> Queued mail for delivery", ""),
		l('>', "QUIT", ""),
		l('<', "221 2.0.0 Service closing transmission channel", ""),
		l('-', "", "Local"),
	)
	g.count(outcome, upgrade, weak, thumb, must, failure, token)
	return ls
}

// Bytes is a helper for benchmarks: it returns all files concatenated and
// panics on error (generation into memory cannot fail).
func Bytes(cfg Config) ([]byte, *Expected) {
	b, exp, err := Concat(cfg)
	if err != nil {
		panic(err)
	}
	return b, exp
}
