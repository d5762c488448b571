// Package report renders a TLS analysis (tlsanalysisv1.Analysis) for people:
// CSV tables for spreadsheets, a self-contained HTML report to mail to a
// manager, and a plain-text summary for a terminal.
//
// Everything in an Analysis that came from a log (EHLO names, connector names,
// certificate fields, file names) is treated as hostile: CSV cells are made
// safe against formula injection, HTML goes through html/template, and the
// terminal summary shows control characters as escapes.
package report

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// outcome describes one field of OutcomeCounts, in report order.
type outcome struct {
	key    string // CSV column and CSS class
	label  string // human label
	color  string // chart colour, chosen to stay apart in greyscale print
	legacy bool   // counts towards legacy
	count  func(*tlsanalysisv1.OutcomeCounts) int64
}

// outcomes lists the outcomes; legacy ones first so they sit at the bottom of
// the stacked bars, where their share is easiest to read.
func outcomes() [8]outcome {
	return [8]outcome{
		{"none", "No TLS", "#67000d", true, (*tlsanalysisv1.OutcomeCounts).GetNone},
		{"ssl3", "SSL 3.0", "#cb181d", true, (*tlsanalysisv1.OutcomeCounts).GetSsl3},
		{"tls1_0", "TLS 1.0", "#f16913", true, (*tlsanalysisv1.OutcomeCounts).GetTls1_0},
		{"tls1_1", "TLS 1.1", "#fdae6b", true, (*tlsanalysisv1.OutcomeCounts).GetTls1_1},
		{"tls1_2", "TLS 1.2", "#6baed6", false, (*tlsanalysisv1.OutcomeCounts).GetTls1_2},
		{"tls1_3", "TLS 1.3", "#08306b", false, (*tlsanalysisv1.OutcomeCounts).GetTls1_3},
		{"unknown", "Unknown", "#bdbdbd", false, (*tlsanalysisv1.OutcomeCounts).GetUnknown},
		{"failed", "Failed", "#6a51a3", false, (*tlsanalysisv1.OutcomeCounts).GetFailed},
	}
}

// oldTLS counts the sessions that negotiated SSL 3.0, TLS 1.0 or TLS 1.1: the
// ones that fail once those protocols are turned off (plain-text sessions do not).
func oldTLS(c *tlsanalysisv1.OutcomeCounts) int64 {
	return c.GetSsl3() + c.GetTls1_0() + c.GetTls1_1()
}

// directionKey is the direction as written in CSV and terminal output.
func directionKey(d tlsanalysisv1.Direction) string {
	switch d {
	case tlsanalysisv1.Direction_DIRECTION_RECEIVE:
		return "receive"
	case tlsanalysisv1.Direction_DIRECTION_SEND:
		return "send"
	}
	return "unspecified"
}

// directionLabel is the direction as shown in the HTML report.
func directionLabel(d tlsanalysisv1.Direction) string {
	switch d {
	case tlsanalysisv1.Direction_DIRECTION_RECEIVE:
		return "Received"
	case tlsanalysisv1.Direction_DIRECTION_SEND:
		return "Sent"
	}
	return "Unspecified"
}

// directions in report order.
func directions() [3]tlsanalysisv1.Direction {
	return [3]tlsanalysisv1.Direction{
		tlsanalysisv1.Direction_DIRECTION_RECEIVE,
		tlsanalysisv1.Direction_DIRECTION_SEND,
		tlsanalysisv1.Direction_DIRECTION_UNSPECIFIED,
	}
}

// directionTotals sums the analysis totals per direction (an analysis normally
// has one row per direction; summing tolerates more).
func directionTotals(an *tlsanalysisv1.Analysis) map[tlsanalysisv1.Direction]*tlsanalysisv1.OutcomeCounts {
	out := map[tlsanalysisv1.Direction]*tlsanalysisv1.OutcomeCounts{}
	for _, t := range an.GetTotals() {
		c := out[t.GetDirection()]
		if c == nil {
			c = &tlsanalysisv1.OutcomeCounts{}
			out[t.GetDirection()] = c
		}
		addCounts(c, t.GetCounts())
	}
	return out
}

func addCounts(dst, src *tlsanalysisv1.OutcomeCounts) {
	dst.None += src.GetNone()
	dst.Ssl3 += src.GetSsl3()
	dst.Tls1_0 += src.GetTls1_0()
	dst.Tls1_1 += src.GetTls1_1()
	dst.Tls1_2 += src.GetTls1_2()
	dst.Tls1_3 += src.GetTls1_3()
	dst.Unknown += src.GetUnknown()
	dst.Failed += src.GetFailed()
	dst.Legacy += src.GetLegacy()
	dst.Total += src.GetTotal()
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign, digits := "", s
	if n < 0 {
		sign, digits = "-", s[1:]
	}
	if len(digits) <= 3 {
		return s
	}
	b := make([]byte, 0, len(s)+len(digits)/3)
	b = append(b, sign...)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	return string(b)
}

// fmtPct is part/total as a percentage with one decimal; it never rounds a
// non-zero share to 0% or a partial one to 100%, which would mislead.
func fmtPct(part, total int64) string {
	if total <= 0 {
		return "–"
	}
	p := 100 * float64(part) / float64(total)
	switch {
	case part > 0 && p < 0.05:
		return "<0.1%"
	case part < total && p > 99.95:
		return ">99.9%"
	}
	return strconv.FormatFloat(math.Round(p*10)/10, 'f', 1, 64) + "%"
}

// FormatBytes writes a byte count in decimal units (kB, MB, GB), for reports and progress text.
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + string("kMGTP"[i]) + "B"
}

// humanTime is a timestamp for people, in UTC to the minute; "" when unset.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// visible shows control, format (bidi override) and invalid characters of an
// untrusted string as escapes, so that a hostile EHLO name cannot move the
// terminal cursor, reorder the text around it or hide itself.
func visible(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r != ' ' && !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}
