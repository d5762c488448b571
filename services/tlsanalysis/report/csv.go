package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// DefaultTable is the CSV table written when none is named.
const DefaultTable = "remotes"

// Tables lists the tables CSV can write, the default first.
func Tables() []string {
	return []string{"remotes", "connectors", "days", "ciphers", "certificates", "totals", "malformed"}
}

// CSV writes one table of the analysis as RFC 4180 CSV (CRLF line ends, a
// header row): "remotes" (the default when table is ""), "connectors",
// "days", "ciphers", "certificates", "totals" or "malformed".
//
// Times are RFC 3339 in UTC; lists (names, connectors, weaknesses) are joined
// with "; ". Cells are made safe for spreadsheets: a cell that starts with
// = + - @ tab or CR gets a leading single quote, so that a hostile EHLO name
// such as =HYPERLINK(...) stays text, and CR/LF inside a value are written as
// the two characters \r and \n (as Exchange itself logs them), so each record
// is one line.
func CSV(w io.Writer, an *tlsanalysisv1.Analysis, table string) error {
	if table == "" {
		table = DefaultTable
	}
	var write func(*csvRows, *tlsanalysisv1.Analysis)
	switch table {
	case "remotes":
		write = csvRemotes
	case "connectors":
		write = csvConnectors
	case "days":
		write = csvDays
	case "ciphers":
		write = csvCiphers
	case "certificates":
		write = csvCertificates
	case "totals":
		write = csvTotals
	case "malformed":
		write = csvMalformed
	default:
		return fmt.Errorf("report: unknown table %q (valid: %s)", table, strings.Join(Tables(), ", "))
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	r := &csvRows{cw: cw, row: make([]string, 0, 32)}
	write(r, an)
	if r.err != nil {
		return fmt.Errorf("report: writing %s CSV: %w", table, r.err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing %s CSV: %w", table, err)
	}
	return nil
}

// countColumns are the OutcomeCounts columns, in order.
func countColumns() []string {
	return []string{"none", "ssl3", "tls1_0", "tls1_1", "tls1_2", "tls1_3", "unknown", "failed", "legacy", "total"}
}

// upgradeColumns are the Upgrades columns, in order.
func upgradeColumns() []string {
	return []string{"starttls", "anonymous_tls", "must_issue_starttls", "weak"}
}

func csvRemotes(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"direction", "ip", "names", "connectors", "first_seen", "last_seen"}, countColumns(), upgradeColumns())
	for _, rm := range an.GetRemotes() {
		r.text(directionKey(rm.GetDirection()))
		r.text(rm.GetIp())
		r.list(rm.GetNames())
		r.list(rm.GetConnectors())
		r.time(rm.GetFirstSeen())
		r.time(rm.GetLastSeen())
		r.counts(rm.GetCounts())
		r.upgrades(rm.GetUpgrades())
		r.end()
	}
}

func csvConnectors(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"direction", "connector", "first_seen", "last_seen"}, countColumns(), upgradeColumns())
	for _, g := range an.GetConnectors() {
		r.text(directionKey(g.GetDirection()))
		r.text(g.GetConnector())
		r.time(g.GetFirstSeen())
		r.time(g.GetLastSeen())
		r.counts(g.GetCounts())
		r.upgrades(g.GetUpgrades())
		r.end()
	}
}

func csvDays(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"day", "direction"}, countColumns())
	for _, d := range an.GetDays() {
		r.text(d.GetDay())
		r.text(directionKey(d.GetDirection()))
		r.counts(d.GetCounts())
		r.end()
	}
}

func csvCiphers(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"direction", "protocol", "cipher", "cipher_bits", "hash", "hash_bits", "key_exchange", "key_exchange_bits", "sessions", "weaknesses"})
	for _, c := range an.GetCiphers() {
		r.text(directionKey(c.GetDirection()))
		r.text(c.GetProtocol())
		r.text(c.GetCipher())
		r.int(int64(c.GetCipherBits()))
		r.text(c.GetHash())
		r.int(int64(c.GetHashBits()))
		r.text(c.GetKeyExchange())
		r.int(int64(c.GetKeyExchangeBits()))
		r.int(c.GetSessions())
		r.list(c.GetWeaknesses())
		r.end()
	}
}

func csvCertificates(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"direction", "role", "thumbprint", "subject", "issuer", "serial_number", "not_before", "not_after", "alternate_names", "sessions"})
	for _, c := range an.GetCertificates() {
		r.text(directionKey(c.GetDirection()))
		r.text(c.GetRole())
		r.text(c.GetThumbprint())
		r.text(c.GetSubject())
		r.text(c.GetIssuer())
		r.text(c.GetSerialNumber())
		r.text(c.GetNotBefore())
		r.text(c.GetNotAfter())
		r.text(c.GetAlternateNames())
		r.int(c.GetSessions())
		r.end()
	}
}

func csvTotals(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"direction"}, countColumns())
	for _, t := range an.GetTotals() {
		r.text(directionKey(t.GetDirection()))
		r.counts(t.GetCounts())
		r.end()
	}
}

func csvMalformed(r *csvRows, an *tlsanalysisv1.Analysis) {
	r.header([]string{"file", "line", "reason"})
	for _, m := range an.GetMalformed() {
		r.text(m.GetFile())
		r.int(m.GetLine())
		r.text(m.GetReason())
		r.end()
	}
}

// csvRows builds one row at a time and keeps the first write error.
type csvRows struct {
	cw  *csv.Writer
	row []string
	err error
}

func (r *csvRows) header(groups ...[]string) {
	for _, g := range groups {
		r.row = append(r.row, g...)
	}
	r.end()
}

// text appends an untrusted string cell.
func (r *csvRows) text(s string) { r.row = append(r.row, SafeCell(s)) }

func (r *csvRows) list(l []string) { r.text(strings.Join(l, "; ")) }

func (r *csvRows) int(n int64) { r.row = append(r.row, strconv.FormatInt(n, 10)) }

func (r *csvRows) time(ts *timestamppb.Timestamp) {
	if ts == nil {
		r.row = append(r.row, "")
		return
	}
	r.row = append(r.row, ts.AsTime().UTC().Format(time.RFC3339))
}

func (r *csvRows) counts(c *tlsanalysisv1.OutcomeCounts) {
	for _, n := range [...]int64{c.GetNone(), c.GetSsl3(), c.GetTls1_0(), c.GetTls1_1(), c.GetTls1_2(), c.GetTls1_3(), c.GetUnknown(), c.GetFailed(), c.GetLegacy(), c.GetTotal()} {
		r.int(n)
	}
}

func (r *csvRows) upgrades(u *tlsanalysisv1.Upgrades) {
	r.int(u.GetStarttls())
	r.int(u.GetAnonymousTls())
	r.int(u.GetMustIssueStarttls())
	r.int(u.GetWeak())
}

func (r *csvRows) end() {
	if r.err == nil {
		r.err = r.cw.Write(r.row)
	}
	r.row = r.row[:0]
}

// SafeCell returns s as a spreadsheet-safe CSV cell: a leading = + - @ tab
// or CR (which Excel, LibreOffice and Google Sheets may run as a formula) gets
// a single quote in front, and CR and LF become the two-character escapes \r
// and \n. Other characters are kept.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		s = "'" + s
	}
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
	}
	return s
}
