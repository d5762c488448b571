package analysis

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// Malformed is a line that could not be read: file, 1-based line, reason.
type Malformed = exlog.Malformed

// Result is the outcome of an analysis.
type Result struct {
	Files          int64 // files (or archive entries) read
	Lines          int64 // physical lines, = Records + HeaderLines + BlankLines + MalformedLines
	Records        int64
	HeaderLines    int64
	BlankLines     int64
	Bytes          int64 // uncompressed bytes read
	MalformedLines int64
	Sessions       int64
	// IncompleteSessions were missing their connect or disconnect line (the
	// log that held it was not given, or has rolled over).
	IncompleteSessions int64
	// EvictedSessions were closed early because more than
	// Options.MaxOpenSessions were open; a later part of one counts again.
	EvictedSessions int64

	Malformed []Malformed // the first Options.MaxMalformed, in file-name then line order

	Totals       map[Direction]*Counts // sessions per outcome and direction
	Connectors   []*GroupStats         // by legacy sessions desc, then direction and name
	Remotes      []*RemoteStats        // by legacy sessions desc, then sessions desc, direction and IP
	Days         []*DayStats           // by day, then direction
	Ciphers      []*CipherStats        // every negotiated suite: weak first, then sessions desc
	Certificates []*CertStats          // by sessions desc, then thumbprint

	UnknownProtocols map[string]int64 // protocol token → sessions (OutcomeUnknown)
	Failures         map[string]int64 // TLS failure reason → sessions (OutcomeFailed)
}

// GroupStats aggregates the sessions of one connector.
type GroupStats struct {
	Direction         Direction
	Connector         string
	Counts            Counts
	StartTLS          int64 // sessions upgraded with STARTTLS
	AnonymousTLS      int64 // sessions upgraded with X-ANONYMOUSTLS
	MustIssueStartTLS int64 // sessions answered 451 5.7.3
	Weak              int64 // sessions that negotiated weak crypto
	FirstSeen         time.Time
	LastSeen          time.Time
}

// RemoteStats aggregates the sessions with one remote IP address.
type RemoteStats struct {
	Direction Direction
	// IP is the remote address without port, or the endpoint as logged when it
	// is not an IP address ("" when the log had none).
	IP                string
	Names             []string // EHLO/HELO names (receive) or banner hosts (send), sorted
	NamesTruncated    bool     // more names were seen than Options.MaxNamesPerRemote
	Connectors        []string // sorted
	ConnectorsTrunc   bool     // more connectors than Options.MaxConnectorsPerRemote
	FirstSeen         time.Time
	LastSeen          time.Time
	Counts            Counts
	StartTLS          int64
	AnonymousTLS      int64
	MustIssueStartTLS int64
	Weak              int64
	Ciphers           map[string]int64 // CipherStats.Name() → sessions
}

// DayStats aggregates sessions by the UTC day they started.
type DayStats struct {
	Day       time.Time // midnight UTC
	Direction Direction
	Counts    Counts
}

// CipherStats counts sessions per negotiated protocol and algorithms.
type CipherStats struct {
	Direction       Direction
	Outcome         Outcome
	Protocol        string // token as logged
	Cipher          string
	CipherBits      int // -1 when not logged
	Hash            string
	HashBits        int
	KeyExchange     string
	KeyExchangeBits int
	Sessions        int64
	Weak            Weakness
	Reason          string // Weak.String(); "" when not weak
}

// Name returns a short description such as
// "TLS1.2 CALG_AES_256/CALG_SHA_384/CALG_ECDHE".
func (c *CipherStats) Name() string {
	return cipherName(c.Outcome, c.Protocol, c.Cipher, c.Hash, c.KeyExchange)
}

func cipherName(o Outcome, proto, cipher, hash, kex string) string {
	p := o.String()
	if o == OutcomeUnknown {
		p = proto
	}
	return p + " " + cipher + "/" + hash + "/" + kex
}

// CertStats counts sessions per certificate.
type CertStats struct {
	Direction      Direction
	Role           CertRole
	Thumbprint     string
	Subject        string
	Issuer         string
	SerialNumber   string
	NotBefore      string
	NotAfter       string
	AlternateNames string
	Sessions       int64
	FirstSeen      time.Time
	LastSeen       time.Time
}

type groupKey struct {
	dir  Direction
	conn string
}

type remoteKey struct {
	dir  Direction
	addr netip.Addr
	host string // only when addr is not valid
}

type dayKey struct {
	dir Direction
	day int64 // days since the Unix epoch
}

type cipherKey struct {
	dir                         Direction
	outcome                     Outcome
	protocol, cipher, hash, kex string
	cipherBits, hashBits, kex2  int
}

type certKey struct {
	dir        Direction
	role       CertRole
	thumbprint string
	subject    string
}

type remoteAgg struct {
	RemoteStats
	ciphers map[cipherKey]int64
}

type certAgg struct {
	CertStats
	first, last int64
}

type groupAgg struct {
	GroupStats
	first, last int64
}

// agg accumulates finished sessions. One lives in each file state and one in
// the Analyzer; file aggregates are merged into the Analyzer's.
type agg struct {
	opts       *Options
	sessions   int64
	incomplete int64
	evicted    int64
	totals     [3]Counts
	groups     map[groupKey]*groupAgg
	remotes    map[remoteKey]*remoteAgg
	days       map[dayKey]*Counts
	ciphers    map[cipherKey]int64
	certs      map[certKey]*certAgg
	unknown    map[string]int64
	failures   map[string]int64
}

func newAgg(opts *Options) *agg {
	return &agg{
		opts:     opts,
		groups:   make(map[groupKey]*groupAgg),
		remotes:  make(map[remoteKey]*remoteAgg),
		days:     make(map[dayKey]*Counts),
		ciphers:  make(map[cipherKey]int64),
		certs:    make(map[certKey]*certAgg),
		unknown:  make(map[string]int64),
		failures: make(map[string]int64),
	}
}

const nsPerDay = 86400 * int64(time.Second)

func (g *agg) add(s *session) {
	o := s.outcome
	if !s.haveTLS {
		o = OutcomeNone
	}
	g.sessions++
	if !s.complete() {
		g.incomplete++
	}
	if s.evicted {
		g.evicted++
	}
	g.totals[s.dir][o]++

	gk := groupKey{s.dir, s.conn}
	grp := g.groups[gk]
	if grp == nil {
		grp = &groupAgg{GroupStats: GroupStats{Direction: s.dir, Connector: s.conn}, first: s.first, last: s.last}
		g.groups[gk] = grp
	}
	grp.Counts[o]++
	grp.first, grp.last = min(grp.first, s.first), max(grp.last, s.last)
	countUpgrade(s, &grp.StartTLS, &grp.AnonymousTLS, &grp.MustIssueStartTLS, &grp.Weak)

	rk := remoteKey{dir: s.dir, addr: s.remote}
	if !s.remote.IsValid() {
		rk.host = s.remoteHost
	}
	rem := g.remotes[rk]
	if rem == nil {
		ip := rk.host
		if rk.addr.IsValid() {
			ip = rk.addr.String()
		}
		rem = &remoteAgg{RemoteStats: RemoteStats{Direction: s.dir, IP: ip, FirstSeen: time.Unix(0, s.first).UTC(), LastSeen: time.Unix(0, s.last).UTC()}}
		g.remotes[rk] = rem
	}
	rem.Counts[o]++
	if f := time.Unix(0, s.first); f.Before(rem.FirstSeen) {
		rem.FirstSeen = f.UTC()
	}
	if l := time.Unix(0, s.last); l.After(rem.LastSeen) {
		rem.LastSeen = l.UTC()
	}
	countUpgrade(s, &rem.StartTLS, &rem.AnonymousTLS, &rem.MustIssueStartTLS, &rem.Weak)
	if s.name != "" {
		rem.Names, rem.NamesTruncated = addBounded(rem.Names, s.name, g.opts.MaxNamesPerRemote, rem.NamesTruncated)
	}
	rem.Connectors, rem.ConnectorsTrunc = addBounded(rem.Connectors, s.conn, g.opts.MaxConnectorsPerRemote, rem.ConnectorsTrunc)

	dk := dayKey{s.dir, floorDiv(s.first, nsPerDay)}
	day := g.days[dk]
	if day == nil {
		day = new(Counts)
		g.days[dk] = day
	}
	day[o]++

	switch {
	case o == OutcomeFailed:
		g.failures[s.failure]++
	case o != OutcomeNone:
		ck := cipherKey{dir: s.dir, outcome: o, protocol: s.protocol, cipher: s.cipher, hash: s.hash, kex: s.kex,
			cipherBits: s.cipherBits, hashBits: s.hashBits, kex2: s.kexBits}
		g.ciphers[ck]++
		if rem.ciphers == nil {
			rem.ciphers = make(map[cipherKey]int64)
		}
		rem.ciphers[ck]++
		if o == OutcomeUnknown {
			g.unknown[s.protocol]++
		}
	}

	for _, c := range s.certs {
		if c == nil || (c.Thumbprint == "" && c.Subject == "") {
			continue
		}
		k := certKey{dir: s.dir, role: c.Role, thumbprint: c.Thumbprint}
		if c.Thumbprint == "" {
			k.subject = c.Subject
		}
		ca := g.certs[k]
		if ca == nil {
			ca = &certAgg{CertStats: CertStats{Direction: s.dir, Role: c.Role, Thumbprint: c.Thumbprint, Subject: c.Subject,
				Issuer: c.Issuer, SerialNumber: c.SerialNumber, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
				AlternateNames: c.AlternateNames}, first: s.first, last: s.last}
			g.certs[k] = ca
		}
		ca.Sessions++
		ca.first, ca.last = min(ca.first, s.first), max(ca.last, s.last)
	}
}

func countUpgrade(s *session, startTLS, anon, must, weak *int64) {
	switch s.upgrade {
	case UpgradeStartTLS:
		*startTLS++
	case UpgradeAnonymousTLS:
		*anon++
	}
	if s.mustStartTLS {
		*must++
	}
	if s.weak != 0 && s.haveTLS && s.outcome != OutcomeFailed {
		*weak++
	}
}

func addBounded(list []string, v string, limit int, truncated bool) ([]string, bool) {
	if slices.Contains(list, v) {
		return list, truncated
	}
	if len(list) >= limit {
		return list, true
	}
	return append(list, v), truncated
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// merge adds o into g.
func (g *agg) merge(o *agg) {
	g.sessions += o.sessions
	g.incomplete += o.incomplete
	g.evicted += o.evicted
	for i := range g.totals {
		g.totals[i].add(&o.totals[i])
	}
	for k, v := range o.groups {
		grp := g.groups[k]
		if grp == nil {
			g.groups[k] = v
			continue
		}
		grp.Counts.add(&v.Counts)
		grp.StartTLS += v.StartTLS
		grp.AnonymousTLS += v.AnonymousTLS
		grp.MustIssueStartTLS += v.MustIssueStartTLS
		grp.Weak += v.Weak
		grp.first, grp.last = min(grp.first, v.first), max(grp.last, v.last)
	}
	for k, v := range o.remotes {
		rem := g.remotes[k]
		if rem == nil {
			g.remotes[k] = v
			continue
		}
		rem.Counts.add(&v.Counts)
		rem.StartTLS += v.StartTLS
		rem.AnonymousTLS += v.AnonymousTLS
		rem.MustIssueStartTLS += v.MustIssueStartTLS
		rem.Weak += v.Weak
		if v.FirstSeen.Before(rem.FirstSeen) {
			rem.FirstSeen = v.FirstSeen
		}
		if v.LastSeen.After(rem.LastSeen) {
			rem.LastSeen = v.LastSeen
		}
		rem.NamesTruncated = rem.NamesTruncated || v.NamesTruncated
		for _, n := range v.Names {
			rem.Names, rem.NamesTruncated = addBounded(rem.Names, n, g.opts.MaxNamesPerRemote, rem.NamesTruncated)
		}
		rem.ConnectorsTrunc = rem.ConnectorsTrunc || v.ConnectorsTrunc
		for _, n := range v.Connectors {
			rem.Connectors, rem.ConnectorsTrunc = addBounded(rem.Connectors, n, g.opts.MaxConnectorsPerRemote, rem.ConnectorsTrunc)
		}
		if len(v.ciphers) > 0 && rem.ciphers == nil {
			rem.ciphers = make(map[cipherKey]int64, len(v.ciphers))
		}
		for ck, n := range v.ciphers {
			rem.ciphers[ck] += n
		}
	}
	for k, v := range o.days {
		if d := g.days[k]; d != nil {
			d.add(v)
		} else {
			g.days[k] = v
		}
	}
	for k, v := range o.ciphers {
		g.ciphers[k] += v
	}
	for k, v := range o.certs {
		ca := g.certs[k]
		if ca == nil {
			g.certs[k] = v
			continue
		}
		ca.Sessions += v.Sessions
		ca.first, ca.last = min(ca.first, v.first), max(ca.last, v.last)
	}
	for k, v := range o.unknown {
		g.unknown[k] += v
	}
	for k, v := range o.failures {
		g.failures[k] += v
	}
}

// fill writes the aggregates into res, sorted as documented on Result.
func (g *agg) fill(res *Result) {
	res.Sessions = g.sessions
	res.IncompleteSessions = g.incomplete
	res.EvictedSessions = g.evicted
	res.Totals = make(map[Direction]*Counts)
	for d := range g.totals {
		if g.totals[d].Total() > 0 || Direction(d) != DirectionUnknown {
			c := g.totals[d]
			res.Totals[Direction(d)] = &c
		}
	}
	for _, v := range g.groups {
		v.FirstSeen, v.LastSeen = time.Unix(0, v.first).UTC(), time.Unix(0, v.last).UTC()
		gs := v.GroupStats
		res.Connectors = append(res.Connectors, &gs)
	}
	slices.SortFunc(res.Connectors, func(a, b *GroupStats) int {
		if c := cmp.Compare(b.Counts.Legacy(), a.Counts.Legacy()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Direction, b.Direction); c != 0 {
			return c
		}
		return cmp.Compare(a.Connector, b.Connector)
	})
	type keyed struct {
		k remoteKey
		r *RemoteStats
	}
	remotes := make([]keyed, 0, len(g.remotes))
	for k, v := range g.remotes {
		rs := v.RemoteStats
		slices.Sort(rs.Names)
		slices.Sort(rs.Connectors)
		rs.Names = slices.Clone(rs.Names)
		rs.Connectors = slices.Clone(rs.Connectors)
		rs.Ciphers = make(map[string]int64, len(v.ciphers))
		for ck, n := range v.ciphers {
			rs.Ciphers[cipherName(ck.outcome, ck.protocol, ck.cipher, ck.hash, ck.kex)] += n
		}
		remotes = append(remotes, keyed{k, &rs})
	}
	slices.SortFunc(remotes, func(a, b keyed) int {
		if c := cmp.Compare(b.r.Counts.Legacy(), a.r.Counts.Legacy()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.r.Counts.Total(), a.r.Counts.Total()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.k.dir, b.k.dir); c != 0 {
			return c
		}
		return compareAddr(a.k, b.k)
	})
	res.Remotes = make([]*RemoteStats, len(remotes))
	for i, kr := range remotes {
		res.Remotes[i] = kr.r
	}
	for k, v := range g.days {
		res.Days = append(res.Days, &DayStats{Day: time.Unix(k.day*86400, 0).UTC(), Direction: k.dir, Counts: *v})
	}
	slices.SortFunc(res.Days, func(a, b *DayStats) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return cmp.Compare(a.Direction, b.Direction)
	})
	for k, n := range g.ciphers {
		w := weakness(k.cipher, k.cipherBits, k.hash, k.kex, k.kex2)
		res.Ciphers = append(res.Ciphers, &CipherStats{Direction: k.dir, Outcome: k.outcome, Protocol: k.protocol,
			Cipher: k.cipher, CipherBits: k.cipherBits, Hash: k.hash, HashBits: k.hashBits, KeyExchange: k.kex,
			KeyExchangeBits: k.kex2, Sessions: n, Weak: w, Reason: w.String()})
	}
	slices.SortFunc(res.Ciphers, func(a, b *CipherStats) int {
		if aw, bw := a.Weak != 0, b.Weak != 0; aw != bw {
			if aw {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Sessions, a.Sessions); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Direction, b.Direction); c != 0 {
			return c
		}
		return cmp.Compare(a.Name()+strconv.Itoa(a.CipherBits)+"/"+strconv.Itoa(a.KeyExchangeBits),
			b.Name()+strconv.Itoa(b.CipherBits)+"/"+strconv.Itoa(b.KeyExchangeBits))
	})
	for _, v := range g.certs {
		v.FirstSeen, v.LastSeen = time.Unix(0, v.first).UTC(), time.Unix(0, v.last).UTC()
		cs := v.CertStats
		res.Certificates = append(res.Certificates, &cs)
	}
	slices.SortFunc(res.Certificates, func(a, b *CertStats) int {
		if c := cmp.Compare(b.Sessions, a.Sessions); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Thumbprint, b.Thumbprint); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Direction, b.Direction); c != 0 {
			return c
		}
		return cmp.Compare(a.Role, b.Role)
	})
	res.UnknownProtocols = maps.Clone(g.unknown)
	res.Failures = maps.Clone(g.failures)
}

// compareAddr orders addresses numerically, and non-addresses after them by text.
func compareAddr(a, b remoteKey) int {
	switch {
	case a.addr.IsValid() && b.addr.IsValid():
		return a.addr.Compare(b.addr)
	case a.addr.IsValid():
		return -1
	case b.addr.IsValid():
		return 1
	}
	return cmp.Compare(a.host, b.host)
}
