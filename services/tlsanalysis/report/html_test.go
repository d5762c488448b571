package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

func sampleHTML(t testing.TB, an *tlsanalysisv1.Analysis, opts HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, an, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// textOf drops the line-break hints that HTML puts inside long values.
func textOf(html string) string { return strings.ReplaceAll(html, "<wbr>", "") }

func sampleOptions() HTMLOptions {
	return HTMLOptions{Generated: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
}

func TestHTMLGolden(t *testing.T) {
	t.Parallel()
	golden(t, "report.html", []byte(sampleHTML(t, sampleAnalysis(), sampleOptions())))
}

func TestHTMLEscapesLogContent(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	an.DisplayName = `</title><script>alert(1)</script>`
	an.Connectors[0].Connector = `<img src=x onerror=alert(2)>`
	an.Certificates[0].Subject = `CN="><svg onload=alert(3)>`
	an.Malformed[0].Reason = `<iframe src="javascript:alert(4)">`
	an.Days[0].Day = `<script>alert(5)</script>`
	an.Failures[`<b onmouseover=alert(6)>`] = 1
	out := textOf(sampleHTML(t, an, sampleOptions()))
	// Escaped, the payloads are harmless text; only their markup must not survive.
	for _, bad := range []string{"<script", "<img", "<iframe", "<b ", "<svg onload", `src="javascript:`} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("HTML contains %q unescaped: …%s…", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", // the hostile EHLO name of the sample
		"&lt;img src=x onerror=alert(2)&gt;",
		"&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks the escaped text %q", want)
		}
	}
}

func TestHTMLShowsControlCharactersAsEscapes(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	an.Remotes[0].Names = []string{"evil\u202egpj.exe\x1b[31m"}
	out := textOf(sampleHTML(t, an, sampleOptions()))
	if strings.ContainsAny(out, "\u202e\x1b") {
		t.Error("HTML contains a raw bidi override or escape character from a log value")
	}
	if !strings.Contains(out, `evil\u202egpj.exe\x1b[31m`) {
		t.Error("HTML does not show the control characters of a name as escapes")
	}
}

// TestHTMLSelfContained checks that the report loads nothing: no script, no
// external URL apart from the learn.microsoft.com references, no fonts or images.
func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	out := sampleHTML(t, sampleAnalysis(), sampleOptions())
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "@font-face", " src=", "xlink:href", "javascript:", "data:"} {
		if strings.Contains(lower, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	refs := 0
	for i := 0; ; {
		j := strings.Index(lower[i:], "http")
		if j < 0 {
			break
		}
		i += j
		if !strings.HasPrefix(out[i:], "https://learn.microsoft.com/") {
			t.Errorf("HTML has a URL that is not a learn.microsoft.com reference: …%s…", out[i:min(len(out), i+60)])
		}
		refs++
		i += 4
	}
	if refs == 0 {
		t.Error("HTML has no learn.microsoft.com references")
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[1], "https://learn.microsoft.com/") {
			t.Errorf("link to %q", m[1])
		}
	}
}

func TestHTMLSections(t *testing.T) {
	t.Parallel()
	an := sampleAnalysis()
	out := textOf(sampleHTML(t, an, sampleOptions()))
	var recvTotal, sendTotal *tlsanalysisv1.OutcomeCounts
	for _, tot := range an.Totals {
		if tot.Direction == recv {
			recvTotal = tot.Counts
		} else {
			sendTotal = tot.Counts
		}
	}
	lead := fmt.Sprintf("%s sessions; <strong>%s</strong> received and <strong>%s</strong> sent still legacy; partners that would break if TLS 1.0/1.1 were turned off: <strong>6</strong>.",
		fmtInt(an.Sessions), fmtPct(recvTotal.Legacy, recvTotal.Total), fmtPct(sendTotal.Legacy, sendTotal.Total))
	for _, want := range []string{
		"<title>Exchange SMTP TLS report: Contoso EX01/EX02 — week 47</title>",
		"analysed 2026-11-26 08:30 UTC",
		"report generated 2026-11-26 09:00 UTC",
		lead,
		`<section id="days">`, `<section id="totals">`, `<section id="partners">`, `<section id="connectors">`,
		`<section id="ciphers">`, `<section id="certificates">`, `<section id="problems">`, `<section id="malformed">`, `<section id="todo">`,
		"Received sessions per day", "Sent sessions per day",
		"2001:db8:85a3::8a2e:370:7334",
		`EX01\Relay – Geräte (Scanner)`, `EX02\既定の受信コネクタ EX02`, "Connecteur d&#39;envoi, Internet",
		"CALG_3DES (168 bits)", "weak cipher, weak MAC hash, short key exchange",
		"3C5A9F4E2B7D1C8A6F0E9D3B5A7C1E4F2D8B6A90", "CN=mail.contoso.example, O=Contoso Ltd, C=DE", "2/14/2027 11:59:59 PM",
		"SP_PROT_DTLS1_2_SERVER", "UnknownCredentials", "SocketError",
		`FrontEnd\ProtocolLog\SmtpReceive\RECV2026112109-1.LOG:1877`, "57 lines could not be parsed; the first 3:",
		"All 7 remote endpoints with legacy sessions",
		`mx1.legacy-bank.example, mx2.legacy-bank.example, MX1 <span class="sub">and 1 more</span>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(out, "mx1.legacy-bank.example.") {
		t.Error("a remote's names are not cut to three")
	}
}

func TestHTMLTopN(t *testing.T) {
	t.Parallel()
	an := bigAnalysis(200)
	legacy := 0
	for _, r := range an.Remotes {
		if r.Counts.Legacy > 0 {
			legacy++
		}
	}
	for _, tc := range []struct{ topN, want int }{{0, DefaultTopN}, {-3, DefaultTopN}, {5, 5}, {1000, legacy}} {
		out := sampleHTML(t, an, HTMLOptions{TopN: tc.topN})
		part := out[strings.Index(out, `<section id="partners">`):strings.Index(out, `<section id="connectors">`)]
		if got := strings.Count(part, "<tr><td>"); got != tc.want {
			t.Errorf("TopN %d: %d partner rows, want %d", tc.topN, got, tc.want)
		}
		note := fmt.Sprintf("The %d remote endpoints with the most legacy sessions, of %d with any (%d more are in the CSV export", tc.want, legacy, legacy-tc.want)
		if tc.want < legacy && !strings.Contains(part, note) {
			t.Errorf("TopN %d: no note %q", tc.topN, note)
		}
		if tc.want == legacy && strings.Contains(part, "more are in the CSV") {
			t.Errorf("TopN %d: a note about more partners when all are shown", tc.topN)
		}
	}
	// The most legacy sessions first.
	out := textOf(sampleHTML(t, sampleAnalysis(), sampleOptions()))
	part := out[strings.Index(out, `<section id="partners">`):]
	if a, b := strings.Index(part, "203.0.113.25"), strings.Index(part, "198.51.100.200"); a < 0 || b < 0 || a > b {
		t.Error("partners are not ordered by legacy sessions")
	}
}

var (
	svgRe  = regexp.MustCompile(`(?s)<svg class="chart"[^>]*data-scale="([^"]+)">(.*?)</svg>`)
	barRe  = regexp.MustCompile(`(?s)<g class="bar">(.*?)</g>`)
	rectRe = regexp.MustCompile(`<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="(#[0-9a-f]{6})" data-outcome="(\w+)" data-n="(\d+)"/>`)
)

// TestHTMLBarsProportional parses the SVG charts back: every segment's height
// is its count times the chart's scale, segments stack without gaps, the
// bars' counts are the analysis' days, and the tallest bar fits the plot.
func TestHTMLBarsProportional(t *testing.T) {
	t.Parallel()
	for name, an := range map[string]*tlsanalysisv1.Analysis{"sample": sampleAnalysis(), "big": bigAnalysis(1000)} {
		out := sampleHTML(t, an, HTMLOptions{})
		charts := svgRe.FindAllStringSubmatch(out, -1)
		if len(charts) != 2 {
			t.Fatalf("%s: %d charts, want received and sent", name, len(charts))
		}
		for ci, dir := range []tlsanalysisv1.Direction{recv, send} {
			var want []int64
			for _, d := range an.Days {
				if d.Direction == dir {
					want = append(want, d.Counts.Total)
				}
			}
			scale, err := strconv.ParseFloat(charts[ci][1], 64)
			if err != nil || scale <= 0 {
				t.Fatalf("%s chart %d: scale %q", name, ci, charts[ci][1])
			}
			bars := barRe.FindAllStringSubmatch(charts[ci][2], -1)
			if len(bars) != len(want) {
				t.Fatalf("%s chart %d: %d bars, want %d", name, ci, len(bars), len(want))
			}
			for bi, bar := range bars {
				var sum int64
				top := float64(chartH - chartBottom)
				for _, m := range rectRe.FindAllStringSubmatch(bar[1], -1) {
					y, _ := strconv.ParseFloat(m[2], 64)
					h, _ := strconv.ParseFloat(m[4], 64)
					n, _ := strconv.ParseInt(m[7], 10, 64)
					if math.Abs(h-float64(n)*scale) > 0.006 {
						t.Errorf("%s chart %d bar %d %s: height %v for %d sessions, want %v", name, ci, bi, m[6], h, n, float64(n)*scale)
					}
					if math.Abs(y+h-top) > 0.011 {
						t.Errorf("%s chart %d bar %d %s: segment ends at %v, previous starts at %v", name, ci, bi, m[6], y+h, top)
					}
					if y < chartTop-0.01 {
						t.Errorf("%s chart %d bar %d: segment above the plot (y %v)", name, ci, bi, y)
					}
					top = y
					sum += n
				}
				if sum != want[bi] {
					t.Errorf("%s chart %d bar %d: %d sessions drawn, day has %d", name, ci, bi, sum, want[bi])
				}
			}
		}
	}
}

func TestHTMLEmptyAnalysis(t *testing.T) {
	t.Parallel()
	for _, an := range []*tlsanalysisv1.Analysis{nil, {}} {
		out := sampleHTML(t, an, HTMLOptions{Title: "Nothing"})
		for _, want := range []string{"<title>Nothing</title>", "No SMTP sessions were found in these logs.", "No negotiated cipher suites were logged.", "No sessions with a day were found.", "No remote partner had a legacy session", "Every line was parsed."} {
			if !strings.Contains(out, want) {
				t.Errorf("empty analysis: HTML lacks %q", want)
			}
		}
	}
}

func TestNiceStepAndNum(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ peak, want int64 }{{0, 1}, {3, 1}, {4, 1}, {5, 2}, {9, 5}, {40, 10}, {41, 20}, {199, 50}, {1234, 500}, {1_000_000, 500_000}} {
		if got := niceStep(tc.peak); got != tc.want {
			t.Errorf("niceStep(%d) = %d, want %d", tc.peak, got, tc.want)
		}
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{{0, "0"}, {12, "12"}, {12.5, "12.5"}, {12.345, "12.35"}, {0.004, "0"}} {
		if got := num(tc.f); got != tc.want {
			t.Errorf("num(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}} {
		if got := fmtInt(tc.n); got != tc.want {
			t.Errorf("fmtInt(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		part, total int64
		want        string
	}{{0, 0, "–"}, {0, 10, "0.0%"}, {1, 3, "33.3%"}, {1, 10000, "<0.1%"}, {9999, 10000, ">99.9%"}, {10, 10, "100.0%"}} {
		if got := fmtPct(tc.part, tc.total); got != tc.want {
			t.Errorf("fmtPct(%d, %d) = %q, want %q", tc.part, tc.total, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"mail.contoso.example", "mail.contoso.example"},
		{"a\tb", `a\tb`},
		{"\x1b[2J", `\x1b[2J`},
		{"rtl\u202eexe", `rtl\u202eexe`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"Geräte 既定", "Geräte 既定"},
	} {
		if got := visible(tc.in); got != tc.want {
			t.Errorf("visible(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCertExpired(t *testing.T) {
	t.Parallel()
	ref := time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		notAfter       string
		expired, known bool
	}{
		{"2/14/2027 11:59:59 PM", false, true},
		{"3/2/2026 9:14:05 AM", true, true},     // 2 March or 3 February: expired either way
		{"12/11/2026 9:14:05 AM", false, false}, // 11 December or 12 November: cannot tell
		{"26.11.2025 10:00:00", true, true},
		{"2027-01-28T18:12:40Z", false, true},
		{"soon", false, false},
		{"", false, false},
	} {
		expired, known := certExpired(tc.notAfter, ref)
		if expired != tc.expired || known != tc.known {
			t.Errorf("certExpired(%q) = %v, %v; want %v, %v", tc.notAfter, expired, known, tc.expired, tc.known)
		}
	}
	out := textOf(sampleHTML(t, sampleAnalysis(), sampleOptions()))
	if !strings.Contains(out, `class="expired">3/2/2026 9:14:05 AM<span class="sub expired">expired</span>`) || strings.Count(out, ">expired</span>") != 1 {
		t.Error("the sample's one expired certificate is not marked, or others are")
	}
}

func TestBreakParts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"EX01", []string{"EX01"}},
		{"mail.contoso.example", []string{"mail.", "contoso.", "example"}},
		{"2001:db8::1", []string{"2001:", "db8:", ":", "1"}},
		{`EX01\Default`, []string{`EX01\`, "Default"}},
		{"trailing.", []string{"trailing."}},
	} {
		got := breakParts(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("breakParts(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Join(got, "") != tc.in {
			t.Errorf("breakParts(%q) loses text: %q", tc.in, got)
		}
	}
}

// TestTopLegacyRemotesMatchesFullSort checks the running top-n against
// sorting every legacy remote.
func TestTopLegacyRemotesMatchesFullSort(t *testing.T) {
	t.Parallel()
	an := bigAnalysis(3000)
	var all []*tlsanalysisv1.RemoteSummary
	for _, r := range an.Remotes {
		if r.Counts.Legacy > 0 {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b *tlsanalysisv1.RemoteSummary) int {
		if a.Counts.Legacy != b.Counts.Legacy {
			return cmp.Compare(b.Counts.Legacy, a.Counts.Legacy)
		}
		if a.Counts.Total != b.Counts.Total {
			return cmp.Compare(b.Counts.Total, a.Counts.Total)
		}
		return cmp.Compare(a.Ip, b.Ip)
	})
	for _, n := range []int{1, 10, 25, 500, 5000} {
		rows, legacy := topLegacyRemotes(an.Remotes, n)
		if legacy != len(all) {
			t.Fatalf("n %d: %d legacy remotes, want %d", n, legacy, len(all))
		}
		if len(rows) != min(n, len(all)) {
			t.Fatalf("n %d: %d rows", n, len(rows))
		}
		for i, r := range rows {
			if r.IP != all[i].Ip {
				t.Fatalf("n %d: row %d is %s, want %s", n, i, r.IP, all[i].Ip)
			}
		}
	}
}
