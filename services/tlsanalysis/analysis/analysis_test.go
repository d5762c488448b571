package analysis_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

// run analyses fixture files in the given order and returns the result and
// every session by session-id.
func run(t *testing.T, opts analysis.Options, files ...string) (*analysis.Result, map[string]*analysis.Session) {
	t.Helper()
	sessions := map[string]*analysis.Session{}
	var mu sync.Mutex
	opts.OnSession = func(s *analysis.Session) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := sessions[s.SessionID]; dup {
			t.Errorf("session %s reported twice", s.SessionID)
		}
		sessions[s.SessionID] = s
	}
	a := analysis.New(opts)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".gz") {
			gz, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(gz); err != nil {
				t.Fatal(err)
			}
			f = strings.TrimSuffix(f, ".gz")
		}
		if err := a.AddFile(context.Background(), f, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	res := a.Finish()
	if res.Lines != res.Records+res.HeaderLines+res.BlankLines+res.MalformedLines {
		t.Errorf("line accounting: %d lines, %d records, %d headers, %d blank, %d malformed", res.Lines, res.Records, res.HeaderLines, res.BlankLines, res.MalformedLines)
	}
	var total int64
	for _, c := range res.Totals {
		total += c.Total()
	}
	if total != res.Sessions || int64(len(sessions)) != res.Sessions {
		t.Errorf("Sessions = %d, totals add up to %d, %d sessions reported", res.Sessions, total, len(sessions))
	}
	return res, sessions
}

func counts(pairs ...any) analysis.Counts {
	var c analysis.Counts
	for i := 0; i < len(pairs); i += 2 {
		c[pairs[i].(analysis.Outcome)] = int64(pairs[i+1].(int))
	}
	return c
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sessionWant is what a test checks of one session; zero fields are not checked
// unless noted.
type sessionWant struct {
	dir        analysis.Direction
	connector  string
	remote     string // address, or RemoteHost when not an address
	local      string
	name       string // checked even when empty
	outcome    analysis.Outcome
	protocol   string
	cipher     string
	cipherBits int
	hash       string
	kex        string
	kexBits    int
	upgrade    analysis.Upgrade
	weak       analysis.Weakness
	failure    string
	must       bool
	first      string
	last       string
	thumbs     []string
}

func checkSession(t *testing.T, id string, got *analysis.Session, w sessionWant) {
	t.Helper()
	if got == nil {
		t.Errorf("session %s missing", id)
		return
	}
	var thumbs []string
	for _, c := range got.Certificates {
		thumbs = append(thumbs, c.Thumbprint)
	}
	remote := got.Remote.String()
	if !got.Remote.IsValid() {
		remote = got.RemoteHost
	}
	local := ""
	if got.Local.IsValid() {
		local = got.Local.String()
	}
	bad := got.Direction != w.dir || got.Connector != w.connector || remote != w.remote || got.RemoteName != w.name ||
		got.Outcome != w.outcome || got.Protocol != w.protocol || got.Cipher != w.cipher || got.Hash != w.hash ||
		got.KeyExchange != w.kex || got.Upgrade != w.upgrade || got.Weak != w.weak || got.FailureReason != w.failure ||
		got.MustIssueStartTLS != w.must || !slices.Equal(thumbs, w.thumbs) || !got.Started || !got.Ended || got.Evicted ||
		(w.local != "" && local != w.local) || (w.cipherBits != 0 && got.CipherBits != w.cipherBits) ||
		(w.kexBits != 0 && got.KeyExchangeBits != w.kexBits) ||
		(w.first != "" && !got.FirstSeen.Equal(ts(w.first))) || (w.last != "" && !got.LastSeen.Equal(ts(w.last)))
	if bad {
		t.Errorf("session %s:\n got %+v\nwant %+v (thumbprints %q)", id, *got, w, thumbs)
	}
}

func TestExchange2010DailyReceive(t *testing.T) {
	t.Parallel()
	res, ss := run(t, analysis.Options{}, "e2010/RECV20240304-1.LOG")
	if res.Files != 1 || res.Lines != 46 || res.Records != 41 || res.HeaderLines != 5 || res.MalformedLines != 0 || res.Sessions != 3 {
		t.Errorf("files %d lines %d records %d headers %d malformed %d sessions %d", res.Files, res.Lines, res.Records, res.HeaderLines, res.MalformedLines, res.Sessions)
	}
	if got, want := *res.Totals[analysis.DirectionReceive], counts(analysis.OutcomeNone, 1, analysis.OutcomeSSL3, 1, analysis.OutcomeTLS10, 1); got != want {
		t.Errorf("receive totals %v, want %v", got, want)
	}
	if got := *res.Totals[analysis.DirectionSend]; got.Total() != 0 {
		t.Errorf("send totals %v, want none", got)
	}
	const thumb = "A1B2C3D4E5F60718293A4B5C6D7E8F9011223344"
	checkSession(t, "08CD3C1A2B3C4D01", ss["08CD3C1A2B3C4D01"], sessionWant{
		dir: analysis.DirectionReceive, connector: `EX2010\Default EX2010`, remote: "203.0.113.7", local: "192.168.1.10",
		name: "legacy-mta.fabrikam.example", outcome: analysis.OutcomeTLS10, protocol: "SP_PROT_TLS1_0_SERVER",
		cipher: "CALG_RC4", cipherBits: 128, hash: "CALG_MD5", kex: "CALG_RSA_KEYX", kexBits: 1024, upgrade: analysis.UpgradeStartTLS,
		weak:  analysis.WeakCipher | analysis.WeakHash | analysis.WeakKeyExchange,
		first: "2024-03-04T08:15:02.101Z", last: "2024-03-04T08:15:03.001Z", thumbs: []string{thumb},
	})
	checkSession(t, "08CD3C1A2B3C4D02", ss["08CD3C1A2B3C4D02"], sessionWant{
		dir: analysis.DirectionReceive, connector: `EX2010\Default EX2010`, remote: "198.51.100.20", name: "old-scanner",
		outcome: analysis.OutcomeSSL3, protocol: "SP_PROT_SSL3_SERVER", cipher: "CALG_3DES", cipherBits: 168, hash: "CALG_SHA1",
		kex: "CALG_RSA_KEYX", kexBits: 2048, upgrade: analysis.UpgradeStartTLS, weak: analysis.WeakCipher | analysis.WeakHash,
		thumbs: []string{thumb},
	})
	checkSession(t, "08CD3C1A2B3C4D03", ss["08CD3C1A2B3C4D03"], sessionWant{
		dir: analysis.DirectionReceive, connector: `EX2010\Relay EX2010`, remote: "192.0.2.55", name: "printer01.contoso.local",
		outcome: analysis.OutcomeNone, first: "2024-03-04T21:40:00Z", last: "2024-03-04T21:40:00.05Z",
	})

	if len(res.Connectors) != 2 || res.Connectors[0].Connector != `EX2010\Default EX2010` || res.Connectors[0].Counts.Legacy() != 2 ||
		res.Connectors[0].StartTLS != 2 || res.Connectors[0].Weak != 2 || res.Connectors[1].Connector != `EX2010\Relay EX2010` ||
		res.Connectors[1].Counts[analysis.OutcomeNone] != 1 {
		t.Errorf("connectors %+v %+v", res.Connectors[0], res.Connectors[1])
	}
	var ips []string
	for _, r := range res.Remotes {
		ips = append(ips, r.IP+"="+strings.Join(r.Names, ","))
	}
	if want := []string{"192.0.2.55=printer01.contoso.local", "198.51.100.20=old-scanner", "203.0.113.7=legacy-mta.fabrikam.example"}; !slices.Equal(ips, want) {
		t.Errorf("remotes %q, want %q", ips, want)
	}
	if len(res.Ciphers) != 2 {
		t.Fatalf("ciphers %+v", res.Ciphers)
	}
	for _, c := range res.Ciphers {
		var want string
		switch c.Outcome {
		case analysis.OutcomeTLS10:
			want = "weak cipher; weak MAC hash; short key exchange"
		case analysis.OutcomeSSL3:
			want = "weak cipher; weak MAC hash"
		}
		if c.Reason != want || c.Sessions != 1 {
			t.Errorf("cipher %s: reason %q sessions %d, want %q 1", c.Name(), c.Reason, c.Sessions, want)
		}
	}
	if len(res.Certificates) != 1 {
		t.Fatalf("certificates %+v", res.Certificates)
	}
	c := res.Certificates[0]
	if c.Thumbprint != thumb || c.Subject != "CN=ex2010.contoso.local, OU=IT, O=Contoso, C=US" ||
		c.Issuer != "CN=Contoso Issuing CA, DC=contoso, DC=local" || c.SerialNumber != "61A2B3C4000000000012" ||
		c.AlternateNames != "ex2010.contoso.local;mail.contoso.com" || c.Role != analysis.CertSent || c.Sessions != 2 {
		t.Errorf("certificate %+v", c)
	}
	if len(res.Days) != 1 || !res.Days[0].Day.Equal(ts("2024-03-04T00:00:00Z")) || res.Days[0].Counts.Total() != 3 {
		t.Errorf("days %+v", res.Days)
	}
}

func TestSubscriptionEditionHourlySend(t *testing.T) {
	t.Parallel()
	res, ss := run(t, analysis.Options{}, "se/SEND2024030410-1.LOG")
	want := counts(analysis.OutcomeNone, 1, analysis.OutcomeTLS12, 2, analysis.OutcomeTLS13, 2, analysis.OutcomeUnknown, 1, analysis.OutcomeFailed, 1)
	if got := *res.Totals[analysis.DirectionSend]; got != want {
		t.Errorf("send totals %v, want %v", got, want)
	}
	out := "Outbound to Internet"
	send := analysis.DirectionSend
	checkSession(t, "08DC3C84A4B5D001", ss["08DC3C84A4B5D001"], sessionWant{
		dir: send, connector: out, remote: "203.0.113.25", local: "10.0.0.10", name: "mx1.fabrikam.example",
		outcome: analysis.OutcomeTLS12, protocol: "SP_PROT_TLS1_2_CLIENT", cipher: "CALG_AES_256", cipherBits: 256,
		hash: "CALG_SHA_384", kex: "CALG_ECDHE", kexBits: 384, upgrade: analysis.UpgradeStartTLS,
		first: "2024-03-04T10:00:01Z", last: "2024-03-04T10:00:01.32Z", thumbs: []string{"9F8E7D6C5B4A39281706F5E4D3C2B1A098765432"},
	})
	checkSession(t, "08DC3C84A4B5D002", ss["08DC3C84A4B5D002"], sessionWant{
		dir: send, connector: out, remote: "2001:db8:10::25", local: "2001:db8::10", name: "mx.tailspin.example",
		outcome: analysis.OutcomeTLS13, protocol: "SP_PROT_TLS1_3_CLIENT", cipher: "CALG_AES_256", hash: "CALG_SHA_384",
		kex: "CALG_ECDHE", upgrade: analysis.UpgradeStartTLS,
	})
	checkSession(t, "08DC3C84A4B5D003", ss["08DC3C84A4B5D003"], sessionWant{
		dir: send, connector: out, remote: "198.51.100.30", name: "mail.wingtip.example", outcome: analysis.OutcomeTLS13,
		protocol: "8192", cipher: "CALG_AES_128", hash: "CALG_SHA_256", kex: "CALG_ECDHE", kexBits: 256, upgrade: analysis.UpgradeStartTLS,
	})
	checkSession(t, "08DC3C84A4B5D004", ss["08DC3C84A4B5D004"], sessionWant{
		dir: send, connector: out, remote: "198.51.100.31", name: "smtp.adatum.example", outcome: analysis.OutcomeUnknown,
		protocol: "SP_PROT_DTLS1_2_CLIENT", cipher: "CALG_AES_256", hash: "CALG_SHA_384", kex: "CALG_ECDHE", upgrade: analysis.UpgradeStartTLS,
	})
	checkSession(t, "08DC3C84A4B5D005", ss["08DC3C84A4B5D005"], sessionWant{
		dir: send, connector: "Intra-Organization SMTP Send Connector", remote: "10.0.0.5", name: "EX02.contoso.local",
		outcome: analysis.OutcomeTLS12, protocol: "SP_PROT_TLS1_2_CLIENT", cipher: "CALG_AES_256", hash: "CALG_SHA_384",
		kex: "CALG_ECDH_EPHEM", upgrade: analysis.UpgradeAnonymousTLS,
	})
	checkSession(t, "08DC3C84A4B5D006", ss["08DC3C84A4B5D006"], sessionWant{
		dir: send, connector: out, remote: "192.0.2.80", name: "legacy.example.net", outcome: analysis.OutcomeNone, must: true,
	})
	checkSession(t, "08DC3C84A4B5D007", ss["08DC3C84A4B5D007"], sessionWant{
		dir: send, connector: out, remote: "192.0.2.81", name: "broken.example.org", outcome: analysis.OutcomeFailed,
		failure: "SocketError", upgrade: analysis.UpgradeStartTLS,
	})
	if len(res.UnknownProtocols) != 1 || res.UnknownProtocols["SP_PROT_DTLS1_2_CLIENT"] != 1 {
		t.Errorf("unknown protocols %v", res.UnknownProtocols)
	}
	if len(res.Failures) != 1 || res.Failures["SocketError"] != 1 {
		t.Errorf("failures %v", res.Failures)
	}
	if len(res.Certificates) != 1 {
		t.Fatalf("certificates %+v", res.Certificates)
	}
	c := res.Certificates[0]
	if c.Role != analysis.CertReceived || c.Subject != "CN=mx1.fabrikam.example" || c.Issuer != "CN=R3, O=Let's Encrypt, C=US" ||
		c.SerialNumber != "04A1B2C3D4E5F60718293A4B5C6D7E8F90" || c.NotBefore != "2024-01-15T00:00:00.000Z" ||
		c.NotAfter != "2024-04-14T23:59:59.000Z" || c.AlternateNames != "mx1.fabrikam.example;fabrikam.example" || c.Sessions != 1 {
		t.Errorf("certificate %+v", c)
	}
	var groups []string
	for _, g := range res.Connectors {
		groups = append(groups, g.Connector)
	}
	if want := []string{out, "Intra-Organization SMTP Send Connector"}; !slices.Equal(groups, want) {
		t.Errorf("connectors %q, want %q", groups, want)
	}
	g := res.Connectors[0]
	if g.StartTLS != 5 || g.AnonymousTLS != 0 || g.MustIssueStartTLS != 1 || g.Counts.Legacy() != 1 || g.Counts.Total() != 6 {
		t.Errorf("Outbound to Internet: %+v", g)
	}
	if res.Connectors[1].AnonymousTLS != 1 {
		t.Errorf("intra-org: %+v", res.Connectors[1])
	}
	// The one legacy remote comes first; then by sessions, then by address.
	if res.Remotes[0].IP != "192.0.2.80" || res.Remotes[0].MustIssueStartTLS != 1 {
		t.Errorf("first remote %+v", res.Remotes[0])
	}
	for _, r := range res.Remotes {
		if r.IP == "2001:db8:10::25" && r.Ciphers["TLS1.3 CALG_AES_256/CALG_SHA_384/CALG_ECDHE"] != 1 {
			t.Errorf("remote %s ciphers %v", r.IP, r.Ciphers)
		}
		if r.IP == "198.51.100.31" && r.Ciphers["SP_PROT_DTLS1_2_CLIENT CALG_AES_256/CALG_SHA_384/CALG_ECDHE"] != 1 {
			t.Errorf("remote %s ciphers %v", r.IP, r.Ciphers)
		}
	}
	for _, c := range res.Ciphers {
		if c.Weak != 0 || c.Outcome == analysis.OutcomeFailed {
			t.Errorf("cipher %+v", c)
		}
	}
}

func TestHeaderBlockMidFileWithNewFieldOrder(t *testing.T) {
	t.Parallel()
	res, ss := run(t, analysis.Options{}, "reorder/RECV2024030410-1.LOG")
	if res.MalformedLines != 0 || res.HeaderLines != 10 || res.Records != 10 || res.Sessions != 2 {
		t.Errorf("malformed %d headers %d records %d sessions %d", res.MalformedLines, res.HeaderLines, res.Records, res.Sessions)
	}
	fe := `EX01\Default Frontend EX01`
	checkSession(t, "08DC3C84A4B5E101", ss["08DC3C84A4B5E101"], sessionWant{
		dir: analysis.DirectionReceive, connector: fe, remote: "198.51.100.7", name: "first.example", outcome: analysis.OutcomeTLS11,
		protocol: "SP_PROT_TLS1_1_SERVER", cipher: "CALG_AES_128", hash: "CALG_SHA1", kex: "CALG_ECDH_EPHEM",
		upgrade: analysis.UpgradeStartTLS, weak: analysis.WeakHash, first: "2024-03-04T10:00:01Z", last: "2024-03-04T10:05:02Z",
	})
	checkSession(t, "08DC3C84A4B5E102", ss["08DC3C84A4B5E102"], sessionWant{
		dir: analysis.DirectionReceive, connector: fe, remote: "198.51.100.8", name: "second.example", outcome: analysis.OutcomeTLS12,
		protocol: "SP_PROT_TLS1_2_SERVER", cipher: "CALG_AES_256", hash: "CALG_SHA_384", kex: "CALG_ECDHE", upgrade: analysis.UpgradeStartTLS,
	})
}

func TestSessionAcrossFiles(t *testing.T) {
	t.Parallel()
	for name, order := range map[string][]string{
		"in order": {"split/RECV2024030409-1.LOG", "split/RECV2024030410-1.LOG"},
		"reversed": {"split/RECV2024030410-1.LOG", "split/RECV2024030409-1.LOG"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, ss := run(t, analysis.Options{}, order...)
			if res.Files != 2 || res.Sessions != 3 || res.IncompleteSessions != 0 {
				t.Errorf("files %d sessions %d incomplete %d", res.Files, res.Sessions, res.IncompleteSessions)
			}
			want := counts(analysis.OutcomeNone, 1, analysis.OutcomeTLS11, 1, analysis.OutcomeTLS12, 1)
			if got := *res.Totals[analysis.DirectionReceive]; got != want {
				t.Errorf("totals %v, want %v", got, want)
			}
			checkSession(t, "08DC3C84A4B5F002", ss["08DC3C84A4B5F002"], sessionWant{
				dir: analysis.DirectionReceive, connector: `EX01\Default Frontend EX01`, remote: "203.0.113.41", name: "mx.adatum.example",
				outcome: analysis.OutcomeTLS12, protocol: "SP_PROT_TLS1_2_SERVER", cipher: "CALG_AES_256", hash: "CALG_SHA_384",
				kex: "CALG_ECDHE", upgrade: analysis.UpgradeStartTLS, first: "2024-03-04T09:59:58.5Z", last: "2024-03-04T10:00:01Z",
				thumbs: []string{"0123456789ABCDEF0123456789ABCDEF01234567"},
			})
			checkSession(t, "08DC3C84A4B5F003", ss["08DC3C84A4B5F003"], sessionWant{
				dir: analysis.DirectionReceive, connector: `EX01\Default Frontend EX01`, remote: "192.0.2.90", name: "plain.example",
				outcome: analysis.OutcomeNone,
			})
			c := res.Certificates[0]
			if c.Subject != "CN=mail.contoso.com" || c.Issuer != "CN=Contoso Issuing CA" || c.SerialNumber != "1A2B3C" {
				t.Errorf("certificate %+v", c)
			}
		})
	}
	// Only the first hour: the session that goes on is reported, incomplete.
	res, ss := run(t, analysis.Options{}, "split/RECV2024030409-1.LOG")
	s := ss["08DC3C84A4B5F002"]
	if res.Sessions != 2 || res.IncompleteSessions != 1 || s == nil || s.Ended || !s.Started || s.Outcome != analysis.OutcomeNone || s.Upgrade != analysis.UpgradeStartTLS {
		t.Errorf("first hour alone: sessions %d incomplete %d, %+v", res.Sessions, res.IncompleteSessions, s)
	}
}

func TestQuotingEscapesIPv6AndAnonymousTLS(t *testing.T) {
	t.Parallel()
	res, ss := run(t, analysis.Options{}, "quirks/RECV2024030411-1.LOG")
	if res.MalformedLines != 0 || res.Sessions != 3 {
		t.Fatalf("malformed %d sessions %d", res.MalformedLines, res.Sessions)
	}
	relay := `EX01\Relay, "partners"`
	partner := `EX01\Empfangsconnector für Partner`
	checkSession(t, "08DC3C84A4B5A001", ss["08DC3C84A4B5A001"], sessionWant{
		dir: analysis.DirectionReceive, connector: relay, remote: "2001:db8::1:25", local: "2001:db8::10", name: "relay.partner.example",
		outcome: analysis.OutcomeTLS12, protocol: "SP_PROT_TLS1_2_SERVER", cipher: "CALG_AES_128", hash: "CALG_SHA_256",
		kex: "CALG_ECDH_EPHEM", upgrade: analysis.UpgradeAnonymousTLS, thumbs: []string{"12DEABC6565646512346ABDC1345689413589876"},
	})
	checkSession(t, "08DC3C84A4B5A002", ss["08DC3C84A4B5A002"], sessionWant{
		dir: analysis.DirectionReceive, connector: partner, remote: "2001:db8::7", name: "lowercase.example",
		outcome: analysis.OutcomeNone, must: true,
	})
	checkSession(t, "08DC3C84A4B5A003", ss["08DC3C84A4B5A003"], sessionWant{
		dir: analysis.DirectionReceive, connector: partner, remote: "198.51.100.9", name: "mapped.example",
		outcome: analysis.OutcomeFailed, failure: "UnknownCredentials", upgrade: analysis.UpgradeStartTLS,
	})
	c := res.Certificates[0]
	if c.Subject != "CN=EX01, OU=Exchange, O=Contoso Ltd" || c.Issuer != "CN=EX01, OU=Exchange, O=Contoso Ltd" || c.SerialNumber != "5D7E9F" {
		t.Errorf("certificate %+v", c)
	}
	var names []string
	for _, g := range res.Connectors {
		names = append(names, g.Connector)
	}
	// Both have one legacy session: by name.
	if want := []string{partner, relay}; !slices.Equal(names, want) {
		t.Errorf("connectors %q, want %q", names, want)
	}
	if res.Connectors[1].AnonymousTLS != 1 || res.Connectors[0].MustIssueStartTLS != 1 || res.Connectors[0].StartTLS != 1 {
		t.Errorf("connector counts %+v %+v", res.Connectors[0], res.Connectors[1])
	}
	var ips []string
	for _, r := range res.Remotes {
		ips = append(ips, r.IP)
	}
	if want := []string{"2001:db8::7", "198.51.100.9", "2001:db8::1:25"}; !slices.Equal(ips, want) {
		t.Errorf("remotes %q, want %q", ips, want)
	}
	if res.Failures["UnknownCredentials"] != 1 {
		t.Errorf("failures %v", res.Failures)
	}
}

func TestMalformedLinesAndGarbage(t *testing.T) {
	t.Parallel()
	res, ss := run(t, analysis.Options{}, "malformed/RECV2024030412-1.LOG", "malformed/RECV2024030413-1.LOG.gz")
	const f1, f2 = "malformed/RECV2024030412-1.LOG", "malformed/RECV2024030413-1.LOG"
	want := []analysis.Malformed{
		{File: f1, Line: 7, Reason: "fewer fields than the #Fields line names"},
		{File: f1, Line: 9, Reason: "fewer fields than the #Fields line names"},
		{File: f1, Line: 10, Reason: "unterminated quoted field"},
		{File: f1, Line: 12, Reason: "bad date-time"},
		{File: f2, Line: 2, Reason: "line longer than 65536 bytes"},
	}
	if !slices.Equal(res.Malformed, want) || res.MalformedLines != 5 {
		t.Errorf("malformed (%d):\n%+v\nwant\n%+v", res.MalformedLines, res.Malformed, want)
	}
	if res.Lines != 17 || res.BlankLines != 1 || res.Records != 6 {
		t.Errorf("lines %d blank %d records %d", res.Lines, res.BlankLines, res.Records)
	}
	checkSession(t, "08DC3C84A4B5B001", ss["08DC3C84A4B5B001"], sessionWant{
		dir: analysis.DirectionReceive, connector: `EX01\Default Frontend EX01`, remote: "198.51.100.50", name: "",
		outcome: analysis.OutcomeTLS10, protocol: "SP_PROT_TLS1_0_SERVER", cipher: "CALG_AES_128", hash: "CALG_SHA1",
		kex: "CALG_ECDH_EPHEM", upgrade: analysis.UpgradeStartTLS, weak: analysis.WeakHash,
	})
	checkSession(t, "08DC3C84A4B5C901", ss["08DC3C84A4B5C901"], sessionWant{
		dir: analysis.DirectionReceive, connector: `EX01\X`, remote: "198.51.100.9", outcome: analysis.OutcomeNone,
	})
	// The malformed list is bounded, the count is not.
	res, _ = run(t, analysis.Options{MaxMalformed: 2}, "malformed/RECV2024030412-1.LOG", "malformed/RECV2024030413-1.LOG.gz")
	if !slices.Equal(res.Malformed, want[:2]) || res.MalformedLines != 5 {
		t.Errorf("MaxMalformed 2: %+v (%d)", res.Malformed, res.MalformedLines)
	}
}

func TestGarbageOnly(t *testing.T) {
	t.Parallel()
	a := analysis.New(analysis.Options{})
	junk := bytes.Repeat([]byte("\x00\xff\x13garbage,,,\"\n\xfe\xfe"), 1000)
	if err := a.AddFile(context.Background(), "junk.bin", bytes.NewReader(junk)); err != nil {
		t.Fatal(err)
	}
	res := a.Finish()
	if res.Sessions != 0 || res.Records != 0 || res.MalformedLines != res.Lines || res.Lines != 1001 || res.Bytes != int64(len(junk)) {
		t.Errorf("sessions %d records %d malformed %d lines %d bytes %d", res.Sessions, res.Records, res.MalformedLines, res.Lines, res.Bytes)
	}
	if len(res.Malformed) != 100 || res.Malformed[99].Line != 100 || res.Malformed[0].File != "junk.bin" {
		t.Errorf("malformed detail: %d, last %+v", len(res.Malformed), res.Malformed[len(res.Malformed)-1])
	}
}

func TestEvictionBoundsOpenSessions(t *testing.T) {
	t.Parallel()
	// 50 sessions open at once, none ever ends; at most 10 are held.
	var b strings.Builder
	b.WriteString("#Log-type: SMTP Receive Protocol Log\n")
	for i := range 50 {
		fmt.Fprintf(&b, "2024-03-04T10:00:00.000Z,C,08DC3C84A4B5%04X,0,10.0.0.1:25,198.51.100.1:1000,+,,\n", i)
	}
	a := analysis.New(analysis.Options{MaxOpenSessions: 10})
	if err := a.AddFile(context.Background(), "x.LOG", strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	res := a.Finish()
	if res.Sessions != 50 || res.EvictedSessions != 40 || res.IncompleteSessions != 50 {
		t.Errorf("sessions %d evicted %d incomplete %d; want 50, 40, 50", res.Sessions, res.EvictedSessions, res.IncompleteSessions)
	}
}

// loggenSmall returns a generated log large enough to need several context
// checks, and its line count.
func loggenSmall(t *testing.T) ([]byte, int64) {
	t.Helper()
	data, exp := loggen.Bytes(loggen.Config{Seed: 9, Hours: 1, SessionsPerHour: 3000, ReceiveOnly: true})
	return data, exp.Lines
}

func TestFinishAndCancel(t *testing.T) {
	t.Parallel()
	a := analysis.New(analysis.Options{})
	r1 := a.Finish()
	if r1 != a.Finish() {
		t.Error("Finish is not idempotent")
	}
	if err := a.AddFile(context.Background(), "x", strings.NewReader("")); !errors.Is(err, analysis.ErrFinished) {
		t.Errorf("AddFile after Finish: %v", err)
	}
	data, exp := loggenSmall(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := analysis.New(analysis.Options{})
	if err := b.AddFile(ctx, "RECV2024030400-1.LOG", bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if res := b.Finish(); res.Lines == 0 || res.Lines >= exp {
		t.Errorf("cancelled analysis read %d of %d lines; want it to stop early", res.Lines, exp)
	}
}

func TestEndpointsFallBackToText(t *testing.T) {
	t.Parallel()
	in := "#Log-type: SMTP Receive Protocol Log\n" +
		"2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C001,0,10.0.0.1:25,mail.example.com:1000,+,,\n" +
		"2024-03-04T10:00:01.000Z,C,08DC3C84A4B5C001,1,10.0.0.1:25,mail.example.com:1000,-,,\n" +
		"2024-03-04T10:00:00.000Z,C,not-hex-session,0,10.0.0.1:25,198.51.100.1:1000,+,,\n" +
		"2024-03-04T10:00:01.000Z,C,not-hex-session,1,10.0.0.1:25,198.51.100.1:1000,-,,\n"
	var got []*analysis.Session
	a := analysis.New(analysis.Options{OnSession: func(s *analysis.Session) { got = append(got, s) }})
	if err := a.AddFile(context.Background(), "x.LOG", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	res := a.Finish()
	if len(got) != 2 || got[0].RemoteHost != "mail.example.com" || got[0].Remote.IsValid() || got[1].SessionID != "not-hex-session" ||
		got[1].Remote != netip.MustParseAddr("198.51.100.1") {
		t.Fatalf("sessions %+v %+v", got[0], got[1])
	}
	if res.Remotes[0].IP != "198.51.100.1" || res.Remotes[1].IP != "mail.example.com" {
		t.Errorf("remotes %s, %s: addresses first", res.Remotes[0].IP, res.Remotes[1].IP)
	}
}
