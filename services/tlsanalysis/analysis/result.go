package analysis

import (
	"cmp"
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
	IP                  string
	Names               []string // EHLO/HELO names (receive) or banner hosts (send), sorted
	NamesTruncated      bool     // more names were seen than Options.MaxNamesPerRemote
	Connectors          []string // sorted
	ConnectorsTruncated bool     // more connectors than Options.MaxConnectorsPerRemote
	FirstSeen           time.Time
	LastSeen            time.Time
	Counts              Counts
	StartTLS            int64
	AnonymousTLS        int64
	MustIssueStartTLS   int64
	Weak                int64
	Ciphers             map[string]int64 // CipherStats.Name() → sessions
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
	conn uint32
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

type suiteKey struct {
	dir   Direction
	suite int32
}

type certKey struct {
	dir  Direction
	cert int32
}

type groupAgg struct {
	counts                     Counts
	startTLS, anon, must, weak int64
	first, last                int64
}

type remoteAgg struct {
	counts                     Counts
	startTLS, anon, must, weak int64
	first, last                int64
	names                      []string
	conns                      []uint32
	namesTrunc, connsTrunc     bool
	suites                     map[int32]int64
}

type certAgg struct {
	sessions    int64
	first, last int64
}

// agg accumulates finished sessions. One lives in each file state and one in
// the Analyzer; file aggregates are merged into the Analyzer's. Keys are the
// small ids of the Analyzer's tables, so adding a session costs a few map
// operations on integers.
type agg struct {
	opts       *Options
	sessions   int64
	incomplete int64
	evicted    int64
	totals     [3]Counts
	groups     map[groupKey]*groupAgg
	remotes    map[remoteKey]*remoteAgg
	days       map[dayKey]*Counts
	lastDay    *Counts // days[lastDayKey]: sessions mostly come day by day
	lastDayKey dayKey
	suites     map[suiteKey]int64
	certs      map[certKey]*certAgg
}

func newAgg(opts *Options) *agg {
	return &agg{
		opts:    opts,
		groups:  make(map[groupKey]*groupAgg),
		remotes: make(map[remoteKey]*remoteAgg),
		days:    make(map[dayKey]*Counts),
		suites:  make(map[suiteKey]int64),
		certs:   make(map[certKey]*certAgg),
	}
}

const nsPerDay = 86400 * int64(time.Second)

// add counts a resolved session.
func (g *agg) add(s *session) {
	o := s.outcome
	if s.suite < 0 {
		o = OutcomeNone
	}
	weak := s.suite >= 0 && s.weak != 0 && o != OutcomeFailed
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
		grp = &groupAgg{first: s.first, last: s.last}
		g.groups[gk] = grp
	}
	grp.counts[o]++
	grp.first, grp.last = min(grp.first, s.first), max(grp.last, s.last)
	countUpgrade(s, weak, &grp.startTLS, &grp.anon, &grp.must, &grp.weak)

	rk := remoteKey{dir: s.dir, addr: s.remote}
	if !s.remote.IsValid() {
		rk.host = s.remoteHost
	}
	rem := g.remotes[rk]
	if rem == nil {
		rem = &remoteAgg{first: s.first, last: s.last}
		g.remotes[rk] = rem
	}
	rem.counts[o]++
	rem.first, rem.last = min(rem.first, s.first), max(rem.last, s.last)
	countUpgrade(s, weak, &rem.startTLS, &rem.anon, &rem.must, &rem.weak)
	if s.name != "" {
		rem.names, rem.namesTrunc = addBounded(rem.names, s.name, g.opts.MaxNamesPerRemote, rem.namesTrunc)
	}
	rem.conns, rem.connsTrunc = addBounded(rem.conns, s.conn, g.opts.MaxConnectorsPerRemote, rem.connsTrunc)

	dk := dayKey{s.dir, floorDiv(s.first, nsPerDay)}
	day := g.lastDay
	if day == nil || dk != g.lastDayKey {
		if day = g.days[dk]; day == nil {
			day = new(Counts)
			g.days[dk] = day
		}
		g.lastDay, g.lastDayKey = day, dk
	}
	day[o]++

	if s.suite >= 0 {
		g.suites[suiteKey{s.dir, s.suite}]++
		if rem.suites == nil {
			rem.suites = make(map[int32]int64)
		}
		rem.suites[s.suite]++
	}
	for _, c := range s.certs {
		if c < 0 {
			continue
		}
		k := certKey{s.dir, c}
		ca := g.certs[k]
		if ca == nil {
			ca = &certAgg{first: s.first, last: s.last}
			g.certs[k] = ca
		}
		ca.sessions++
		ca.first, ca.last = min(ca.first, s.first), max(ca.last, s.last)
	}
}

func countUpgrade(s *session, weak bool, startTLS, anon, must, weakN *int64) {
	switch s.upgrade {
	case UpgradeStartTLS:
		*startTLS++
	case UpgradeAnonymousTLS:
		*anon++
	}
	if s.mustStartTLS {
		*must++
	}
	if weak {
		*weakN++
	}
}

func addBounded[T comparable](list []T, v T, limit int, truncated bool) ([]T, bool) {
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
		grp.counts.add(&v.counts)
		grp.startTLS += v.startTLS
		grp.anon += v.anon
		grp.must += v.must
		grp.weak += v.weak
		grp.first, grp.last = min(grp.first, v.first), max(grp.last, v.last)
	}
	for k, v := range o.remotes {
		rem := g.remotes[k]
		if rem == nil {
			g.remotes[k] = v
			continue
		}
		rem.counts.add(&v.counts)
		rem.startTLS += v.startTLS
		rem.anon += v.anon
		rem.must += v.must
		rem.weak += v.weak
		rem.first, rem.last = min(rem.first, v.first), max(rem.last, v.last)
		rem.namesTrunc = rem.namesTrunc || v.namesTrunc
		for _, n := range v.names {
			rem.names, rem.namesTrunc = addBounded(rem.names, n, g.opts.MaxNamesPerRemote, rem.namesTrunc)
		}
		rem.connsTrunc = rem.connsTrunc || v.connsTrunc
		for _, n := range v.conns {
			rem.conns, rem.connsTrunc = addBounded(rem.conns, n, g.opts.MaxConnectorsPerRemote, rem.connsTrunc)
		}
		if len(v.suites) > 0 && rem.suites == nil {
			rem.suites = make(map[int32]int64, len(v.suites))
		}
		for id, n := range v.suites {
			rem.suites[id] += n
		}
	}
	for k, v := range o.days {
		if d := g.days[k]; d != nil {
			d.add(v)
		} else {
			g.days[k] = v
		}
	}
	for k, v := range o.suites {
		g.suites[k] += v
	}
	for k, v := range o.certs {
		ca := g.certs[k]
		if ca == nil {
			g.certs[k] = v
			continue
		}
		ca.sessions += v.sessions
		ca.first, ca.last = min(ca.first, v.first), max(ca.last, v.last)
	}
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// fill writes the aggregates into res, sorted as documented on Result.
func (g *agg) fill(res *Result, v view) {
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
	for k, a := range g.groups {
		res.Connectors = append(res.Connectors, &GroupStats{
			Direction: k.dir, Connector: v.conns[k.conn], Counts: a.counts,
			StartTLS: a.startTLS, AnonymousTLS: a.anon, MustIssueStartTLS: a.must, Weak: a.weak,
			FirstSeen: unixTime(a.first), LastSeen: unixTime(a.last),
		})
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
	for k, a := range g.remotes {
		rs := &RemoteStats{
			Direction: k.dir, IP: k.host, Names: slices.Clone(a.names), NamesTruncated: a.namesTrunc,
			ConnectorsTruncated: a.connsTrunc, FirstSeen: unixTime(a.first), LastSeen: unixTime(a.last),
			Counts: a.counts, StartTLS: a.startTLS, AnonymousTLS: a.anon, MustIssueStartTLS: a.must, Weak: a.weak,
			Ciphers: make(map[string]int64, len(a.suites)),
		}
		if k.addr.IsValid() {
			rs.IP = k.addr.String()
		}
		slices.Sort(rs.Names)
		for _, c := range a.conns {
			rs.Connectors = append(rs.Connectors, v.conns[c])
		}
		slices.Sort(rs.Connectors)
		for id, n := range a.suites {
			su := v.suites[id]
			if su.outcome != OutcomeFailed {
				rs.Ciphers[cipherName(su.outcome, su.protocol, su.cipher, su.hash, su.kex)] += n
			}
		}
		remotes = append(remotes, keyed{k, rs})
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

	for k, c := range g.days {
		res.Days = append(res.Days, &DayStats{Day: time.Unix(k.day*86400, 0).UTC(), Direction: k.dir, Counts: *c})
	}
	slices.SortFunc(res.Days, func(a, b *DayStats) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return cmp.Compare(a.Direction, b.Direction)
	})

	res.UnknownProtocols = map[string]int64{}
	res.Failures = map[string]int64{}
	for k, n := range g.suites {
		su := v.suites[k.suite]
		switch su.outcome {
		case OutcomeFailed:
			res.Failures[su.failure] += n
			continue
		case OutcomeUnknown:
			res.UnknownProtocols[su.protocol] += n
		}
		res.Ciphers = append(res.Ciphers, &CipherStats{Direction: k.dir, Outcome: su.outcome, Protocol: su.protocol,
			Cipher: su.cipher, CipherBits: su.cipherBits, Hash: su.hash, HashBits: su.hashBits, KeyExchange: su.kex,
			KeyExchangeBits: su.kexBits, Sessions: n, Weak: su.weak, Reason: su.weak.String()})
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
		if c := cmp.Compare(a.Protocol, b.Protocol); c != 0 {
			return c
		}
		return cmp.Compare(a.Name()+" "+strconv.Itoa(a.CipherBits)+" "+strconv.Itoa(a.KeyExchangeBits),
			b.Name()+" "+strconv.Itoa(b.CipherBits)+" "+strconv.Itoa(b.KeyExchangeBits))
	})

	for k, a := range g.certs {
		c := v.certs[k.cert]
		res.Certificates = append(res.Certificates, &CertStats{Direction: k.dir, Role: c.Role, Thumbprint: c.Thumbprint,
			Subject: c.Subject, Issuer: c.Issuer, SerialNumber: c.SerialNumber, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			AlternateNames: c.AlternateNames, Sessions: a.sessions, FirstSeen: unixTime(a.first), LastSeen: unixTime(a.last)})
	}
	slices.SortFunc(res.Certificates, func(a, b *CertStats) int {
		if c := cmp.Compare(b.Sessions, a.Sessions); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Thumbprint, b.Thumbprint); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Direction, b.Direction); c != 0 {
			return c
		}
		return cmp.Compare(a.Role, b.Role)
	})
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
