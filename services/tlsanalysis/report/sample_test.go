package report

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; run go test ./report/ -update and review the diff", path)
	}
}

const (
	recv = tlsanalysisv1.Direction_DIRECTION_RECEIVE
	send = tlsanalysisv1.Direction_DIRECTION_SEND
)

// upgrade says how a sample remote's TLS sessions asked for TLS.
type upgrade int

const (
	viaStartTLS upgrade = iota
	viaAnonymousTLS
)

// sampleRemote is one remote endpoint of the sample: its sessions per day
// (scaled by the day's weight) by outcome, in outcomes() order.
type sampleRemote struct {
	dir   tlsanalysisv1.Direction
	ip    string
	names []string
	conns []string // sessions are counted on the first
	per   [8]int64 // none ssl3 tls1_0 tls1_1 tls1_2 tls1_3 unknown failed
	days  []int    // days active (indexes into sampleDays); nil means every day
	how   upgrade
	weak  bool  // its SSL 3.0/TLS 1.0 sessions used weak crypto
	must  int64 // 451 5.7.3 answers per active day
}

func sampleDays() []time.Time {
	start := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	days := make([]time.Time, 7)
	for i := range days {
		days[i] = start.AddDate(0, 0, i)
	}
	return days
}

// dayWeight thins the weekend (2026-11-21 and 22 are Saturday and Sunday), in tenths.
func dayWeight() []int64 { return []int64{10, 11, 10, 9, 4, 3, 12} }

func sampleRemotes() []sampleRemote {
	const (
		frontend = `EX01\Default Frontend EX01`
		hub      = `EX01\Default EX01`
		relay    = `EX01\Relay – Geräte (Scanner)`
		japanese = `EX02\既定の受信コネクタ EX02`
		internet = `Connecteur d'envoi, Internet`
		exo      = `Outbound to Office 365 - 5f1c2e8a-7b3d-4e1f-9a6b-2c8d0e4f6a1b`
	)
	return []sampleRemote{
		{dir: recv, ip: "203.0.113.25", names: []string{"mail.fabrikam.example"}, conns: []string{frontend}, per: [8]int64{0, 0, 40, 0, 5, 0, 0, 0}, weak: true},
		{dir: recv, ip: "198.51.100.7", names: []string{"mx1.legacy-bank.example", "mx2.legacy-bank.example", "MX1", "mx1.legacy-bank.example."}, conns: []string{frontend}, per: [8]int64{0, 3, 6, 0, 0, 0, 0, 1}, weak: true, days: []int{0, 1, 2, 3, 6}},
		{dir: recv, ip: "2001:db8:85a3::8a2e:370:7334", names: []string{"relay.tailspin.example"}, conns: []string{frontend}, per: [8]int64{0, 0, 0, 8, 12, 0, 0, 0}},
		{dir: recv, ip: "10.1.2.30", names: []string{"SCANNER-3F"}, conns: []string{relay}, per: [8]int64{25, 0, 0, 0, 0, 0, 0, 0}},
		{dir: recv, ip: "10.1.2.31", names: []string{`<script>alert("pwned")</script>`, `=HYPERLINK("x","click")`}, conns: []string{japanese, relay}, per: [8]int64{3, 0, 2, 0, 0, 0, 0, 0}, must: 1, days: []int{1, 3, 6}},
		{dir: recv, ip: "198.51.100.66", names: []string{"+1-555-0100", "@evil"}, conns: []string{japanese}, per: [8]int64{0, 0, 0, 2, 0, 0, 0, 0}, days: []int{2, 6}},
		{dir: recv, ip: "2001:db8:4::25", names: []string{"mail-ipv6.contoso.example"}, conns: []string{frontend}, per: [8]int64{0, 0, 0, 0, 30, 10, 0, 0}},
		{dir: recv, ip: "10.0.0.12", names: []string{"EX02.corp.contoso.example"}, conns: []string{hub}, per: [8]int64{0, 0, 0, 0, 60, 0, 0, 0}, how: viaAnonymousTLS},
		{dir: recv, ip: "203.0.113.99", names: []string{"probe.unknown-proto.example"}, conns: []string{frontend}, per: [8]int64{0, 0, 0, 0, 0, 0, 3, 0}, days: []int{0, 3}},
		{dir: send, ip: "2001:db8:ffff::1", names: []string{"mx.northwind.example"}, conns: []string{internet}, per: [8]int64{0, 0, 0, 0, 20, 15, 0, 0}},
		{dir: send, ip: "198.51.100.200", names: []string{"smtp.oldpartner.example"}, conns: []string{internet}, per: [8]int64{2, 0, 7, 0, 0, 0, 0, 0}},
		{dir: send, ip: "52.101.68.5", names: []string{"contoso-com.mail.protection.outlook.com"}, conns: []string{exo}, per: [8]int64{0, 0, 0, 0, 50, 0, 0, 0}},
		{dir: send, ip: "192.0.2.80", names: []string{"-cmd"}, conns: []string{internet}, per: [8]int64{0, 0, 0, 0, 0, 0, 0, 2}, days: []int{4, 5}},
	}
}

func newCounts(per [8]int64) *tlsanalysisv1.OutcomeCounts {
	c := &tlsanalysisv1.OutcomeCounts{
		None: per[0], Ssl3: per[1], Tls1_0: per[2], Tls1_1: per[3],
		Tls1_2: per[4], Tls1_3: per[5], Unknown: per[6], Failed: per[7],
	}
	c.Legacy = c.None + c.Ssl3 + c.Tls1_0 + c.Tls1_1
	c.Total = c.Legacy + c.Tls1_2 + c.Tls1_3 + c.Unknown + c.Failed
	return c
}

func addUpgrades(dst, src *tlsanalysisv1.Upgrades) {
	dst.Starttls += src.GetStarttls()
	dst.AnonymousTls += src.GetAnonymousTls()
	dst.MustIssueStarttls += src.GetMustIssueStarttls()
	dst.Weak += src.GetWeak()
}

// sampleAnalysis is a week of a two-server organisation: both directions,
// every outcome, weak ciphers, IPv6, non-ASCII connector names (one with a
// comma) and hostile EHLO names. Days, totals, remotes and connectors are
// aggregated from the same sessions, so they agree as the analyser's would.
func sampleAnalysis() *tlsanalysisv1.Analysis {
	days, weight := sampleDays(), dayWeight()
	an := &tlsanalysisv1.Analysis{
		Name:               "analyses/01JD7Q9ZB3K2M4N5P6Q7R8S9T0",
		DisplayName:        "Contoso EX01/EX02 — week 47",
		CreateTime:         timestamppb.New(time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC)),
		Files:              336,
		Bytes:              734_003_200,
		Lines:              2_512_344,
		MalformedLines:     57,
		IncompleteSessions: 12,
		UnknownProtocols:   map[string]int64{},
		Failures:           map[string]int64{},
	}
	type dayKey struct {
		day int
		dir tlsanalysisv1.Direction
	}
	type connKey struct {
		dir  tlsanalysisv1.Direction
		name string
	}
	dayCounts := map[dayKey]*tlsanalysisv1.OutcomeCounts{}
	totals := map[tlsanalysisv1.Direction]*tlsanalysisv1.OutcomeCounts{}
	conns := map[connKey]*tlsanalysisv1.GroupSummary{}
	var connOrder []connKey

	for ri, sr := range sampleRemotes() {
		active := sr.days
		if active == nil {
			active = []int{0, 1, 2, 3, 4, 5, 6}
		}
		rc := &tlsanalysisv1.OutcomeCounts{}
		up := &tlsanalysisv1.Upgrades{}
		for _, d := range active {
			var per [8]int64
			for i, n := range sr.per {
				per[i] = max(n*weight[d]/10, min(n, 1)) // a remote active that day has at least one session
			}
			c := newCounts(per)
			addCounts(rc, c)
			k := dayKey{d, sr.dir}
			if dayCounts[k] == nil {
				dayCounts[k] = &tlsanalysisv1.OutcomeCounts{}
			}
			addCounts(dayCounts[k], c)
			tls := c.Total - c.None
			switch sr.how {
			case viaStartTLS:
				up.Starttls += tls
			case viaAnonymousTLS:
				up.AnonymousTls += tls
			}
			up.MustIssueStarttls += sr.must
			if sr.weak {
				up.Weak += c.Ssl3 + c.Tls1_0
			}
		}
		first := days[active[0]].Add(time.Duration(ri)*7*time.Minute + 12*time.Second)
		last := days[active[len(active)-1]].Add(23*time.Hour + time.Duration(ri)*3*time.Minute + 41*time.Second)
		an.Remotes = append(an.Remotes, &tlsanalysisv1.RemoteSummary{
			Direction:  sr.dir,
			Ip:         sr.ip,
			Names:      sr.names,
			Connectors: sr.conns,
			FirstSeen:  timestamppb.New(first),
			LastSeen:   timestamppb.New(last),
			Counts:     rc,
			Upgrades:   up,
		})
		if totals[sr.dir] == nil {
			totals[sr.dir] = &tlsanalysisv1.OutcomeCounts{}
		}
		addCounts(totals[sr.dir], rc)
		ck := connKey{sr.dir, sr.conns[0]}
		g := conns[ck]
		if g == nil {
			g = &tlsanalysisv1.GroupSummary{Direction: sr.dir, Connector: ck.name, Counts: &tlsanalysisv1.OutcomeCounts{}, Upgrades: &tlsanalysisv1.Upgrades{},
				FirstSeen: timestamppb.New(first), LastSeen: timestamppb.New(last)}
			conns[ck] = g
			connOrder = append(connOrder, ck)
		}
		addCounts(g.Counts, rc)
		addUpgrades(g.Upgrades, up)
		if first.Before(g.FirstSeen.AsTime()) {
			g.FirstSeen = timestamppb.New(first)
		}
		if last.After(g.LastSeen.AsTime()) {
			g.LastSeen = timestamppb.New(last)
		}
		if rc.Unknown > 0 {
			an.UnknownProtocols["SP_PROT_DTLS1_2_SERVER"] += rc.Unknown
		}
		if rc.Failed > 0 {
			if sr.dir == recv {
				an.Failures["UnknownCredentials"] += rc.Failed
			} else {
				an.Failures["SocketError"] += rc.Failed
			}
		}
	}
	slices.SortStableFunc(an.Remotes, func(a, b *tlsanalysisv1.RemoteSummary) int {
		return cmp.Compare(b.Counts.Legacy, a.Counts.Legacy)
	})
	for _, ck := range connOrder {
		an.Connectors = append(an.Connectors, conns[ck])
	}
	slices.SortStableFunc(an.Connectors, func(a, b *tlsanalysisv1.GroupSummary) int {
		return cmp.Compare(b.Counts.Legacy, a.Counts.Legacy)
	})
	for _, dir := range []tlsanalysisv1.Direction{recv, send} {
		an.Totals = append(an.Totals, &tlsanalysisv1.DirectionTotals{Direction: dir, Counts: totals[dir]})
		an.Sessions += totals[dir].Total
	}
	for d := range days {
		for _, dir := range []tlsanalysisv1.Direction{recv, send} {
			if c := dayCounts[dayKey{d, dir}]; c != nil {
				an.Days = append(an.Days, &tlsanalysisv1.DaySummary{Day: days[d].Format(time.DateOnly), Direction: dir, Counts: c})
			}
		}
	}

	an.Ciphers = []*tlsanalysisv1.CipherSummary{
		{Direction: recv, Protocol: "SP_PROT_TLS1_2_SERVER", Cipher: "CALG_AES_256", CipherBits: 256, Hash: "CALG_SHA_384", HashBits: 0, KeyExchange: "CALG_ECDHE", KeyExchangeBits: 384, Sessions: 812},
		{Direction: recv, Protocol: "SP_PROT_TLS1_0_SERVER", Cipher: "CALG_3DES", CipherBits: 168, Hash: "CALG_SHA1", HashBits: 160, KeyExchange: "CALG_RSA_KEYX", KeyExchangeBits: 2048, Sessions: 241, Weaknesses: []string{"weak cipher", "weak MAC hash"}},
		{Direction: recv, Protocol: "SP_PROT_SSL3_SERVER", Cipher: "CALG_RC4", CipherBits: 128, Hash: "CALG_MD5", HashBits: 128, KeyExchange: "CALG_RSA_KEYX", KeyExchangeBits: 1024, Sessions: 15, Weaknesses: []string{"weak cipher", "weak MAC hash", "short key exchange"}},
		{Direction: recv, Protocol: "SP_PROT_TLS1_1_SERVER", Cipher: "CALG_AES_128", CipherBits: 128, Hash: "CALG_SHA1", HashBits: 160, KeyExchange: "CALG_ECDH_EPHEM", KeyExchangeBits: 256, Sessions: 58, Weaknesses: []string{"weak MAC hash"}},
		{Direction: send, Protocol: "SP_PROT_TLS1_2_CLIENT", Cipher: "CALG_AES_256", CipherBits: 256, Hash: "CALG_SHA_384", HashBits: 0, KeyExchange: "CALG_ECDHE", KeyExchangeBits: 384, Sessions: 489},
		{Direction: send, Protocol: "SP_PROT_TLS1_0_CLIENT", Cipher: "CALG_AES_128", CipherBits: 128, Hash: "CALG_SHA1", HashBits: 160, KeyExchange: "CALG_ECDH_EPHEM", KeyExchangeBits: 256, Sessions: 49, Weaknesses: []string{"weak MAC hash"}},
	}
	an.Certificates = []*tlsanalysisv1.CertificateSummary{
		{Direction: recv, Role: "sent", Thumbprint: "3C5A9F4E2B7D1C8A6F0E9D3B5A7C1E4F2D8B6A90", Subject: "CN=mail.contoso.example, O=Contoso Ltd, C=DE", Issuer: "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US", SerialNumber: "0A1B2C3D4E5F60718293A4B5C6D7E8F9", NotBefore: "1/15/2026 12:00:00 AM", NotAfter: "2/14/2027 11:59:59 PM", AlternateNames: "mail.contoso.example;autodiscover.contoso.example", Sessions: 1118},
		{Direction: send, Role: "received", Thumbprint: "9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B3A2F1E0D", Subject: "CN=mx.northwind.example", Issuer: "CN=R11, O=Let's Encrypt, C=US", SerialNumber: "04F1A2B3C4D5E6F708192A3B4C5D6E7F8091", NotBefore: "10/30/2026 6:12:41 PM", NotAfter: "1/28/2027 6:12:40 PM", AlternateNames: "mx.northwind.example", Sessions: 252},
		{Direction: recv, Role: "sent", Thumbprint: "B0A1C2D3E4F5061728394A5B6C7D8E9F00112233", Subject: "CN=EX01", Issuer: "CN=EX01", SerialNumber: "5E3F1A2B", NotBefore: "3/2/2021 9:14:05 AM", NotAfter: "3/2/2026 9:14:05 AM", AlternateNames: "EX01;EX01.corp.contoso.example", Sessions: 420},
	}
	an.Malformed = []*tlsanalysisv1.MalformedLine{
		{File: `FrontEnd\ProtocolLog\SmtpReceive\RECV2026112109-1.LOG`, Line: 1877, Reason: "9 fields expected, 4 found"},
		{File: "logs.zip/Hub/SEND2026112314-2.LOG", Line: 22, Reason: "date-time: not a UTC time"},
		{File: "RECV20261124-1.LOG", Line: 9041, Reason: "unterminated quoted field"},
	}
	return an
}

// bigAnalysis is an analysis with n remotes, n/100 connectors and 30 days,
// for benchmarks.
func bigAnalysis(n int) *tlsanalysisv1.Analysis {
	an := &tlsanalysisv1.Analysis{Name: "analyses/big", DisplayName: "big", CreateTime: timestamppb.New(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))}
	t0 := time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)
	for i := range n {
		dir := []tlsanalysisv1.Direction{recv, send}[i%2]
		c := newCounts([8]int64{int64(i % 3), int64(i % 5 / 4), int64(i % 7), int64(i % 4), int64(i % 50), int64(i % 20), int64(i % 97 / 96), int64(i % 13 / 12)})
		an.Remotes = append(an.Remotes, &tlsanalysisv1.RemoteSummary{
			Direction:  dir,
			Ip:         fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
			Names:      []string{fmt.Sprintf("host%d.partner%d.example", i, i%300)},
			Connectors: []string{fmt.Sprintf(`EX%02d\Default Frontend EX%02d`, i%100/10, i%100/10)},
			FirstSeen:  timestamppb.New(t0.Add(time.Duration(i) * time.Minute)),
			LastSeen:   timestamppb.New(t0.Add(time.Duration(i)*time.Minute + 20*24*time.Hour)),
			Counts:     c,
			Upgrades:   &tlsanalysisv1.Upgrades{Starttls: c.Total - c.None},
		})
	}
	for i := range max(1, n/100) {
		an.Connectors = append(an.Connectors, &tlsanalysisv1.GroupSummary{Direction: recv, Connector: fmt.Sprintf("connector %d", i), Counts: newCounts([8]int64{1, 2, 3, 4, 50, 6, 0, 1}), Upgrades: &tlsanalysisv1.Upgrades{}})
	}
	for d := range 30 {
		for _, dir := range []tlsanalysisv1.Direction{recv, send} {
			an.Days = append(an.Days, &tlsanalysisv1.DaySummary{Day: t0.AddDate(0, 0, d).Format(time.DateOnly), Direction: dir, Counts: newCounts([8]int64{int64(d), 2, int64(30 - d), 4, 500, int64(10 * d), 1, 3})})
		}
	}
	return an
}
