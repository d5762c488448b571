package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

func TestCSVGolden(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	for _, table := range Tables() {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := CSV(&buf, an, table); err != nil {
				t.Fatal(err)
			}
			golden(t, table+".csv", buf.Bytes())
		})
	}
}

func TestCSVDefaultTableIsRemotes(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	var def, remotes bytes.Buffer
	if err := CSV(&def, an, ""); err != nil {
		t.Fatal(err)
	}
	if err := CSV(&remotes, an, "remotes"); err != nil {
		t.Fatal(err)
	}
	if def.String() != remotes.String() {
		t.Error(`CSV(w, an, "") differs from CSV(w, an, "remotes")`)
	}
	if Tables()[0] != DefaultTable {
		t.Errorf("Tables()[0] = %q, want the default %q first", Tables()[0], DefaultTable)
	}
}

func TestCSVUnknownTable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := CSV(&buf, sampleAnalysis(), "sessions")
	if err == nil {
		t.Fatal("CSV accepted an unknown table")
	}
	for _, name := range Tables() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list the valid table %q", err, name)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("CSV wrote %d bytes before failing", buf.Len())
	}
}

// TestCSVRoundTrip reads every table back with encoding/csv and compares each
// cell with the value it came from.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	ts := func(x interface{ AsTime() time.Time }) string { return x.AsTime().UTC().Format(time.RFC3339) }
	counts := func(c *tlsanalysisv1.OutcomeCounts) []string {
		return ints(c.GetNone(), c.GetSsl3(), c.GetTls1_0(), c.GetTls1_1(), c.GetTls1_2(), c.GetTls1_3(), c.GetUnknown(), c.GetFailed(), c.GetLegacy(), c.GetTotal())
	}
	ups := func(u *tlsanalysisv1.Upgrades) []string {
		return ints(u.GetStarttls(), u.GetAnonymousTls(), u.GetMustIssueStarttls(), u.GetWeak())
	}
	want := map[string][][]string{}
	for _, r := range an.GetRemotes() {
		row := []string{directionKey(r.GetDirection()), r.GetIp(), SafeCell(strings.Join(r.GetNames(), "; ")), SafeCell(strings.Join(r.GetConnectors(), "; ")), ts(r.GetFirstSeen()), ts(r.GetLastSeen())}
		want["remotes"] = append(want["remotes"], slices.Concat(row, counts(r.GetCounts()), ups(r.GetUpgrades())))
	}
	for _, g := range an.GetConnectors() {
		row := []string{directionKey(g.GetDirection()), SafeCell(g.GetConnector()), ts(g.GetFirstSeen()), ts(g.GetLastSeen())}
		want["connectors"] = append(want["connectors"], slices.Concat(row, counts(g.GetCounts()), ups(g.GetUpgrades())))
	}
	for _, d := range an.GetDays() {
		want["days"] = append(want["days"], slices.Concat([]string{d.GetDay(), directionKey(d.GetDirection())}, counts(d.GetCounts())))
	}
	for _, c := range an.GetCiphers() {
		want["ciphers"] = append(want["ciphers"], []string{directionKey(c.GetDirection()), c.GetProtocol(), c.GetCipher(), itoa(c.GetCipherBits()), c.GetHash(), itoa(c.GetHashBits()), c.GetKeyExchange(), itoa(c.GetKeyExchangeBits()), itoa(c.GetSessions()), strings.Join(c.GetWeaknesses(), "; ")})
	}
	for _, c := range an.GetCertificates() {
		want["certificates"] = append(want["certificates"], []string{directionKey(c.GetDirection()), c.GetRole(), c.GetThumbprint(), c.GetSubject(), c.GetIssuer(), c.GetSerialNumber(), c.GetNotBefore(), c.GetNotAfter(), c.GetAlternateNames(), itoa(c.GetSessions())})
	}
	for _, tot := range an.GetTotals() {
		want["totals"] = append(want["totals"], slices.Concat([]string{directionKey(tot.GetDirection())}, counts(tot.GetCounts())))
	}
	for _, m := range an.GetMalformed() {
		want["malformed"] = append(want["malformed"], []string{m.GetFile(), itoa(m.GetLine()), m.GetReason()})
	}

	for _, table := range Tables() {
		var buf bytes.Buffer
		if err := CSV(&buf, an, table); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(buf.String(), "\r\n") || strings.Count(buf.String(), "\n") != strings.Count(buf.String(), "\r\n") {
			t.Errorf("%s: lines do not end in CRLF", table)
		}
		r := csv.NewReader(&buf)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: reading back: %v", table, err)
		}
		if len(recs) == 0 {
			t.Fatalf("%s: no header row", table)
		}
		if recs[0][0] != strings.ToLower(recs[0][0]) || slices.Contains(recs[0], "") {
			t.Errorf("%s: header %q", table, recs[0])
		}
		got := recs[1:]
		if len(got) != len(want[table]) {
			t.Fatalf("%s: %d rows, want %d", table, len(got), len(want[table]))
		}
		for i := range got {
			if !slices.Equal(got[i], want[table][i]) {
				t.Errorf("%s row %d:\n got %q\nwant %q", table, i+1, got[i], want[table][i])
			}
		}
	}
}

func TestCSVRemotesHeader(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := CSV(&buf, &tlsanalysisv1.Analysis{}, "remotes"); err != nil {
		t.Fatal(err)
	}
	want := "direction,ip,names,connectors,first_seen,last_seen,none,ssl3,tls1_0,tls1_1,tls1_2,tls1_3,unknown,failed,legacy,total,starttls,anonymous_tls,must_issue_starttls,weak\r\n"
	if buf.String() != want {
		t.Errorf("empty remotes table:\n got %q\nwant %q", buf.String(), want)
	}
}

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"mail.contoso.example", "mail.contoso.example"},
		{`=HYPERLINK("x","click")`, `'=HYPERLINK("x","click")`},
		{"=1+2", "'=1+2"},
		{"+1-555-0100", "'+1-555-0100"},
		{"-cmd", "'-cmd"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", `'\r=1`},
		{"a=b", "a=b"},
		{" =1", " =1"}, // Excel does not evaluate a cell that starts with a space
		{"'quoted", "'quoted"},
		{"line1\nline2\r\n", `line1\nline2\r\n`},
		{"既定の受信コネクタ", "既定の受信コネクタ"},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCSVInjection puts formula starters in every kind of untrusted cell and
// checks that no cell read back starts with one.
func TestCSVInjection(t *testing.T) {
	t.Parallel()
	hostile := []string{"=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@A1", "\t=1", "\r=1", "=a\nb"}
	an := &tlsanalysisv1.Analysis{}
	for _, h := range hostile {
		an.Remotes = append(an.Remotes, &tlsanalysisv1.RemoteSummary{Ip: h, Names: []string{h, "ok"}, Connectors: []string{h}})
		an.Connectors = append(an.Connectors, &tlsanalysisv1.GroupSummary{Connector: h})
		an.Certificates = append(an.Certificates, &tlsanalysisv1.CertificateSummary{Thumbprint: h, Subject: h, Issuer: h, SerialNumber: h, NotBefore: h, NotAfter: h, AlternateNames: h, Role: h})
		an.Ciphers = append(an.Ciphers, &tlsanalysisv1.CipherSummary{Protocol: h, Cipher: h, Hash: h, KeyExchange: h, Weaknesses: []string{h}})
		an.Malformed = append(an.Malformed, &tlsanalysisv1.MalformedLine{File: h, Reason: h})
		an.Days = append(an.Days, &tlsanalysisv1.DaySummary{Day: h})
	}
	for _, table := range Tables() {
		var buf bytes.Buffer
		if err := CSV(&buf, an, table); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for i, rec := range recs {
			if len(recs[0]) != len(rec) {
				t.Errorf("%s row %d: %d cells, header has %d", table, i, len(rec), len(recs[0]))
			}
			for _, c := range rec {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("%s row %d: cell %q starts with a formula character", table, i, c)
				}
				if strings.ContainsAny(c, "\r\n") {
					t.Errorf("%s row %d: cell %q spans lines", table, i, c)
				}
			}
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	an := bigAnalysis(2000)
	if err := CSV(&failWriter{n: 10_000}, an, "remotes"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("CSV on a failing writer: %v", err)
	}
	if err := HTML(&failWriter{n: 10_000}, an, HTMLOptions{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("HTML on a failing writer: %v", err)
	}
	if err := Table(&failWriter{n: 100}, an, TableOptions{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Table on a failing writer: %v", err)
	}
}

func FuzzSafeCellRoundTrip(f *testing.F) {
	for _, s := range []string{"", "=1", "a,b", `"q"`, "\r\n", "-", "@", "\t", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		an := &tlsanalysisv1.Analysis{Connectors: []*tlsanalysisv1.GroupSummary{{Connector: s}}}
		var buf bytes.Buffer
		if err := CSV(&buf, an, "connectors"); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.String(), err)
		}
		if len(recs) != 2 {
			t.Fatalf("%d records for one connector", len(recs))
		}
		got := recs[1][1]
		if got != SafeCell(s) {
			t.Fatalf("cell %q read back as %q, want %q", s, got, SafeCell(s))
		}
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("cell %q starts with a formula character", got)
		}
	})
}

func ints(ns ...int64) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.FormatInt(n, 10)
	}
	return out
}

func itoa[T int32 | int64](n T) string { return strconv.FormatInt(int64(n), 10) }
