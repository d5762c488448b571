package report

import (
	"bufio"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

//go:embed report.html.tmpl
var htmlTemplate string

// HTMLOptions tune the HTML report.
type HTMLOptions struct {
	// Title heads the report; default "Exchange SMTP TLS report: <display name>".
	Title string
	// Generated is shown as the report's generation time when set.
	Generated time.Time
	// TopN is how many legacy remote partners are listed (default 25).
	TopN int
}

// DefaultTopN is how many legacy remote partners HTML lists by default.
const DefaultTopN = 25

// maxMalformedShown caps the malformed lines listed in the HTML report.
const maxMalformedShown = 50

// HTML writes the analysis as one self-contained HTML page: inline CSS and
// SVG, no script, no external resource, readable on screen and on paper. It
// has a summary, outcomes by day, totals, the top legacy partners, connectors,
// weak ciphers, certificates, unknown protocols and failures, malformed lines
// and what to do next. Every value from the analysis is escaped by
// html/template.
func HTML(w io.Writer, an *tlsanalysisv1.Analysis, opts HTMLOptions) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"brk":   breakParts,
		"count": func(n int) string { return fmtInt(int64(n)) },
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("report: parsing HTML template: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := t.Execute(bw, buildHTMLView(an, opts)); err != nil {
		return fmt.Errorf("report: writing HTML: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing HTML: %w", err)
	}
	return nil
}

type htmlView struct {
	Title       string
	DisplayName string
	Name        string
	Created     string
	Generated   string
	Period      string

	Sessions   string
	Directions []dirSummary // received and sent, for the lead sentence and cards
	Breakers   int          // distinct remote IPs that negotiated SSL 3.0/TLS 1.0/1.1
	Plain      int          // distinct remote IPs with sessions without TLS
	WeakCount  string       // sessions that negotiated a weak cipher suite
	Stats      []keyValue

	Legend []legendItem
	Charts []chartView

	TotalsHead []string
	Totals     []totalsRow

	Remotes        []remoteRow
	RemotesLegacy  int
	RemotesShown   int
	RemotesTotal   int
	RemotesOmitted int

	Connectors []connectorRow

	WeakCiphers []cipherRow
	CipherCount int

	Certificates []certRow

	Unknown  []keyValue
	Failures []keyValue

	Malformed      []malformedRow
	MalformedTotal string
	MalformedMore  bool
}

type dirSummary struct {
	Label  string // "received", "sent"
	Has    bool
	Pct    string
	Legacy string
	Total  string
	Hot    bool
}

type keyValue struct{ Key, Value string }

type legendItem struct {
	Key, Label, Color string
	Legacy            bool
}

type cell struct {
	N, Pct string
	Hot    bool // a legacy count above zero
}

type totalsRow struct {
	Direction string
	Cells     []cell
	Legacy    cell
	Total     string
	All       bool
}

type remoteRow struct {
	Direction   string
	DirKey      string
	Names       []string
	MoreNames   int
	IP          string
	Connectors  string
	Cells       []cell // none, ssl3, tls1_0, tls1_1
	Modern      string // TLS 1.2 + 1.3
	Other       string // unknown + failed
	Legacy      cell
	Total       string
	First, Last string // UTC days
}

type connectorRow struct {
	Direction string
	Name      string
	Cells     []cell // none, ssl3, tls1_0, tls1_1
	Modern    string // TLS 1.2 + 1.3
	Other     string // unknown + failed
	Legacy    cell
	Total     string
	StartTLS  string
	AnonTLS   string
	MustTLS   string
	Weak      string
	Hot       bool
}

type cipherRow struct {
	Direction, Protocol, Cipher, Hash, KeyExchange string
	Sessions, Why                                  string
}

type certRow struct {
	Direction, Role, Thumbprint, Subject, Issuer, NotAfter, Sessions string
	Expired                                                          bool
}

type malformedRow struct{ Where, Reason string }

func buildHTMLView(an *tlsanalysisv1.Analysis, opts HTMLOptions) *htmlView {
	v := &htmlView{
		DisplayName: visible(an.GetDisplayName()),
		Name:        visible(an.GetName()),
		Title:       opts.Title,
		Generated:   humanTime(opts.Generated),
		Sessions:    fmtInt(an.GetSessions()),
	}
	if ct := an.GetCreateTime(); ct != nil {
		v.Created = humanTime(ct.AsTime())
	}
	if v.Title == "" {
		v.Title = "Exchange SMTP TLS report"
		if v.DisplayName != "" {
			v.Title += ": " + v.DisplayName
		}
	}
	if strings.Contains(v.Title, v.DisplayName) {
		v.DisplayName = "" // already in the title
	}

	totals := directionTotals(an)
	for _, dir := range [...]tlsanalysisv1.Direction{tlsanalysisv1.Direction_DIRECTION_RECEIVE, tlsanalysisv1.Direction_DIRECTION_SEND} {
		c := totals[dir]
		d := dirSummary{Label: strings.ToLower(directionLabel(dir)), Has: c.GetTotal() > 0}
		d.Pct = fmtPct(c.GetLegacy(), c.GetTotal())
		d.Legacy, d.Total, d.Hot = fmtInt(c.GetLegacy()), fmtInt(c.GetTotal()), c.GetLegacy() > 0
		v.Directions = append(v.Directions, d)
	}

	breakers, plain := map[string]bool{}, map[string]bool{}
	for _, rm := range an.GetRemotes() {
		if oldTLS(rm.GetCounts()) > 0 {
			breakers[rm.GetIp()] = true
		}
		if rm.GetCounts().GetNone() > 0 {
			plain[rm.GetIp()] = true
		}
	}
	v.Breakers, v.Plain = len(breakers), len(plain)

	var weak int64
	for _, c := range an.GetCiphers() {
		v.CipherCount++
		if len(c.GetWeaknesses()) == 0 {
			continue
		}
		weak += c.GetSessions()
		v.WeakCiphers = append(v.WeakCiphers, cipherRow{
			Direction:   directionLabel(c.GetDirection()),
			Protocol:    visible(c.GetProtocol()),
			Cipher:      withBits(c.GetCipher(), c.GetCipherBits()),
			Hash:        withBits(c.GetHash(), c.GetHashBits()),
			KeyExchange: withBits(c.GetKeyExchange(), c.GetKeyExchangeBits()),
			Sessions:    fmtInt(c.GetSessions()),
			Why:         visible(strings.Join(c.GetWeaknesses(), ", ")),
		})
	}
	v.WeakCount = fmtInt(weak)

	if days := an.GetDays(); len(days) > 0 {
		first, last, n := days[0].GetDay(), days[0].GetDay(), map[string]bool{}
		for _, d := range days {
			first, last = min(first, d.GetDay()), max(last, d.GetDay())
			n[d.GetDay()] = true
		}
		v.Period = visible(first)
		if last != first {
			v.Period += " to " + visible(last)
		}
		v.Period += fmt.Sprintf(" (%d days with sessions)", len(n))
		if len(n) == 1 {
			v.Period = strings.Replace(v.Period, "days", "day", 1)
		}
	}
	v.Stats = []keyValue{
		{"Files", fmtInt(an.GetFiles())},
		{"Log text", FormatBytes(an.GetBytes())},
		{"Lines", fmtInt(an.GetLines())},
		{"Malformed lines", fmtInt(an.GetMalformedLines())},
		{"Incomplete sessions", fmtInt(an.GetIncompleteSessions())},
	}

	for _, o := range outcomes() {
		v.Legend = append(v.Legend, legendItem{Key: o.key, Label: o.label, Color: o.color, Legacy: o.legacy})
		v.TotalsHead = append(v.TotalsHead, o.label)
	}
	v.Charts = dayCharts(an)

	all := &tlsanalysisv1.OutcomeCounts{}
	for _, dir := range directions() {
		c, ok := totals[dir]
		if !ok {
			continue
		}
		addCounts(all, c)
		v.Totals = append(v.Totals, totalsRow{Direction: directionLabel(dir), Cells: outcomeCells(c, true), Legacy: legacyCell(c), Total: fmtInt(c.GetTotal())})
	}
	if len(v.Totals) > 1 {
		v.Totals = append(v.Totals, totalsRow{Direction: "All", Cells: outcomeCells(all, true), Legacy: legacyCell(all), Total: fmtInt(all.GetTotal()), All: true})
	}

	v.Remotes, v.RemotesLegacy = topLegacyRemotes(an.GetRemotes(), cmp.Or(max(opts.TopN, 0), DefaultTopN))
	v.RemotesShown, v.RemotesTotal = len(v.Remotes), len(an.GetRemotes())
	v.RemotesOmitted = v.RemotesLegacy - v.RemotesShown

	for _, g := range an.GetConnectors() {
		c := g.GetCounts()
		v.Connectors = append(v.Connectors, connectorRow{
			Direction: directionLabel(g.GetDirection()),
			Name:      visible(g.GetConnector()),
			Cells:     outcomeCells(c, false)[:4],
			Modern:    fmtInt(c.GetTls1_2() + c.GetTls1_3()),
			Other:     fmtInt(c.GetUnknown() + c.GetFailed()),
			Legacy:    legacyCell(c),
			Total:     fmtInt(c.GetTotal()),
			StartTLS:  fmtInt(g.GetUpgrades().GetStarttls()),
			AnonTLS:   fmtInt(g.GetUpgrades().GetAnonymousTls()),
			MustTLS:   fmtInt(g.GetUpgrades().GetMustIssueStarttls()),
			Weak:      fmtInt(g.GetUpgrades().GetWeak()),
			Hot:       c.GetLegacy() > 0,
		})
	}

	// Certificates expire relative to when the logs were analysed.
	ref := opts.Generated
	if ct := an.GetCreateTime(); ct != nil {
		ref = ct.AsTime()
	}
	for _, c := range an.GetCertificates() {
		expired, known := certExpired(c.GetNotAfter(), ref)
		v.Certificates = append(v.Certificates, certRow{
			Expired:    expired && known && !ref.IsZero(),
			Direction:  directionLabel(c.GetDirection()),
			Role:       certRole(c.GetRole()),
			Thumbprint: visible(c.GetThumbprint()),
			Subject:    visible(c.GetSubject()),
			Issuer:     visible(c.GetIssuer()),
			NotAfter:   visible(c.GetNotAfter()),
			Sessions:   fmtInt(c.GetSessions()),
		})
	}

	v.Unknown = countsByKey(an.GetUnknownProtocols())
	v.Failures = countsByKey(an.GetFailures())

	v.MalformedTotal = fmtInt(an.GetMalformedLines())
	for i, m := range an.GetMalformed() {
		if i == maxMalformedShown {
			v.MalformedMore = true
			break
		}
		where := visible(m.GetFile())
		if m.GetLine() > 0 {
			where += fmt.Sprintf(":%d", m.GetLine())
		}
		v.Malformed = append(v.Malformed, malformedRow{Where: where, Reason: visible(m.GetReason())})
	}
	v.MalformedMore = v.MalformedMore || int64(len(v.Malformed)) < an.GetMalformedLines()
	return v
}

// topLegacyRemotes returns the n remotes with the most legacy sessions (ties:
// more sessions, then IP) and how many remotes had any.
func topLegacyRemotes(remotes []*tlsanalysisv1.RemoteSummary, n int) ([]remoteRow, int) {
	rank := func(a, b *tlsanalysisv1.RemoteSummary) int {
		return cmp.Or(
			cmp.Compare(b.GetCounts().GetLegacy(), a.GetCounts().GetLegacy()),
			cmp.Compare(b.GetCounts().GetTotal(), a.GetCounts().GetTotal()),
			cmp.Compare(a.GetIp(), b.GetIp()),
			cmp.Compare(a.GetDirection(), b.GetDirection()),
		)
	}
	// Keep the best n in order while scanning: far cheaper than sorting
	// every remote when an analysis has thousands and the report shows 25.
	top := make([]*tlsanalysisv1.RemoteSummary, 0, min(n, len(remotes))+1)
	legacy := 0
	for _, rm := range remotes {
		if rm.GetCounts().GetLegacy() <= 0 {
			continue
		}
		legacy++
		if len(top) == n && rank(rm, top[n-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, rm, rank)
		top = slices.Insert(top, i, rm)
		if len(top) > n {
			top = top[:n]
		}
	}
	rows := make([]remoteRow, 0, len(top))
	for _, rm := range top {
		c := rm.GetCounts()
		names := rm.GetNames()
		const maxNames = 3
		row := remoteRow{
			Direction:  directionLabel(rm.GetDirection()),
			DirKey:     directionKey(rm.GetDirection()),
			IP:         visible(rm.GetIp()),
			Connectors: visible(strings.Join(rm.GetConnectors(), "; ")),
			Cells:      outcomeCells(c, false)[:4],
			Modern:     fmtInt(c.GetTls1_2() + c.GetTls1_3()),
			Other:      fmtInt(c.GetUnknown() + c.GetFailed()),
			Legacy:     legacyCell(c),
			Total:      fmtInt(c.GetTotal()),
		}
		for _, name := range names[:min(maxNames, len(names))] {
			row.Names = append(row.Names, visible(name))
		}
		row.MoreNames = len(names) - len(row.Names)
		if ts := rm.GetFirstSeen(); ts != nil {
			row.First = ts.AsTime().UTC().Format(time.DateOnly)
		}
		if ts := rm.GetLastSeen(); ts != nil {
			row.Last = ts.AsTime().UTC().Format(time.DateOnly)
		}
		rows = append(rows, row)
	}
	return rows, legacy
}

// outcomeCells are the outcome counts of c, with their share when pct is set.
func outcomeCells(c *tlsanalysisv1.OutcomeCounts, pct bool) []cell {
	cells := make([]cell, 0, 8)
	for _, o := range outcomes() {
		n := o.count(c)
		x := cell{N: fmtInt(n), Hot: o.legacy && n > 0}
		if pct {
			x.Pct = fmtPct(n, c.GetTotal())
		}
		cells = append(cells, x)
	}
	return cells
}

func legacyCell(c *tlsanalysisv1.OutcomeCounts) cell {
	return cell{N: fmtInt(c.GetLegacy()), Pct: fmtPct(c.GetLegacy(), c.GetTotal()), Hot: c.GetLegacy() > 0}
}

func withBits(name string, bits int32) string {
	name = visible(name)
	if bits > 0 {
		return fmt.Sprintf("%s (%d bits)", name, bits)
	}
	return name
}

func certRole(role string) string {
	switch role {
	case "sent":
		return "This server's"
	case "received":
		return "Remote's"
	case "", "unknown":
		return "Unknown"
	}
	return visible(role)
}

// countsByKey sorts a count map by count, most first, then by key.
func countsByKey(m map[string]int64) []keyValue {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	out := make([]keyValue, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyValue{Key: visible(k), Value: fmtInt(m[k])})
	}
	return out
}

// certExpired reports whether a Not after, as logged, lies before ref. The
// text depends on the server's locale; known is false when it cannot be read,
// or when it reads both ways (day/month or month/day) with different answers.
func certExpired(notAfter string, ref time.Time) (expired, known bool) {
	notAfter = strings.TrimSpace(notAfter)
	n := 0
	for _, layout := range [...]string{
		time.RFC3339, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02",
		"1/2/2006 3:04:05 PM", "2/1/2006 3:04:05 PM", "1/2/2006 15:04:05", "2/1/2006 15:04:05",
		"2.1.2006 15:04:05", "2.1.2006",
	} {
		t, err := time.Parse(layout, notAfter)
		if err != nil {
			continue
		}
		e := t.Before(ref)
		if n > 0 && e != expired {
			return false, false
		}
		expired = e
		n++
	}
	return expired, n > 0
}

// breakParts cuts s after each separator (. : _ - \ / @ , ;) so that the HTML
// can offer a line break there (<wbr>) instead of in the middle of a word.
func breakParts(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.', ':', '_', '-', '\\', '/', '@', ',', ';':
			if i+1 < len(s) {
				parts = append(parts, s[start:i+1])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}
