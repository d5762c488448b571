package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// TableOptions tune the plain-text summary.
type TableOptions struct {
	// TopN is how many legacy remotes are listed (default 10).
	TopN int
}

// DefaultTableTopN is how many legacy remotes Table lists by default.
const DefaultTableTopN = 10

// Table writes a plain-text summary for a terminal: totals by direction and
// outcome with the legacy share, the top legacy remotes and the connectors,
// in columns aligned with text/tabwriter. Control characters in logged values
// are shown as escapes, so a hostile name cannot drive the terminal.
func Table(w io.Writer, an *tlsanalysisv1.Analysis, opts TableOptions) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	line := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	// text writes a line outside the tables; flushing first ends the table
	// above it, so each table is aligned on its own.
	text := func(format string, args ...any) {
		tw.Flush()
		fmt.Fprintf(bw, format, args...)
	}

	title := visible(an.GetDisplayName())
	if title == "" {
		title = visible(an.GetName())
	}
	if title != "" {
		text("%s\n", title)
	}
	if ct := an.GetCreateTime(); ct != nil {
		text("analysed %s\n", humanTime(ct.AsTime()))
	}
	text("%s sessions, %s files, %s lines (%s malformed), %s incomplete sessions\n\n",
		fmtInt(an.GetSessions()), fmtInt(an.GetFiles()), fmtInt(an.GetLines()),
		fmtInt(an.GetMalformedLines()), fmtInt(an.GetIncompleteSessions()))

	head := []string{"DIRECTION"}
	for _, o := range outcomes() {
		head = append(head, strings.ToUpper(strings.ReplaceAll(o.label, " ", "")))
	}
	head = append(head, "LEGACY", "TOTAL", "LEGACY%")
	line(head...)
	totals := directionTotals(an)
	for _, dir := range directions() {
		c, ok := totals[dir]
		if !ok {
			continue
		}
		row := []string{directionKey(dir)}
		for _, o := range outcomes() {
			row = append(row, fmtInt(o.count(c)))
		}
		row = append(row, fmtInt(c.GetLegacy()), fmtInt(c.GetTotal()), fmtPct(c.GetLegacy(), c.GetTotal()))
		line(row...)
	}
	if len(totals) == 0 {
		text("no sessions\n")
	}

	rows, legacy := topLegacyRemotes(an.GetRemotes(), cmp.Or(max(opts.TopN, 0), DefaultTableTopN))
	if len(rows) == 0 {
		text("\nno remote had a legacy session\n")
	} else {
		text("\ntop %d legacy remotes of %d:\n", len(rows), legacy)
		// Names and connector names go last: tabwriter counts runes, so a wide
		// (CJK) name would shift every column after it.
		line("DIRECTION", "IP", "NOTLS", "SSL3.0", "TLS1.0", "TLS1.1", "LEGACY", "TOTAL", "LAST SEEN (UTC)", "NAMES")
		for _, r := range rows {
			names := strings.Join(r.Names, ", ")
			if r.MoreNames > 0 {
				names += fmt.Sprintf(" (+%d more)", r.MoreNames)
			}
			line(r.DirKey, r.IP, r.Cells[0].N, r.Cells[1].N, r.Cells[2].N, r.Cells[3].N, r.Legacy.N, r.Total, cmp.Or(r.Last, "-"), cmp.Or(names, "-"))
		}
	}

	if conns := an.GetConnectors(); len(conns) > 0 {
		text("\nconnectors:\n")
		line("DIRECTION", "LEGACY", "TOTAL", "LEGACY%", "STARTTLS", "ANONTLS", "451", "WEAK", "CONNECTOR")
		for _, g := range conns {
			c, u := g.GetCounts(), g.GetUpgrades()
			line(directionKey(g.GetDirection()), fmtInt(c.GetLegacy()), fmtInt(c.GetTotal()),
				fmtPct(c.GetLegacy(), c.GetTotal()), fmtInt(u.GetStarttls()), fmtInt(u.GetAnonymousTls()),
				fmtInt(u.GetMustIssueStarttls()), fmtInt(u.GetWeak()), cmp.Or(visible(g.GetConnector()), "-"))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	return nil
}
