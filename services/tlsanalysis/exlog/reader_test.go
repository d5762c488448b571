package exlog_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// rec is the part of a Record a test compares.
type rec struct {
	Line      int64
	Time      string // RFC 3339 with milliseconds
	Connector string
	SessionID string
	Sequence  int64
	Local     string
	Remote    string
	Event     byte
	Data      string
	Context   string
	LogType   exlog.LogType
}

func readAll(t *testing.T, name string, src io.Reader, opts exlog.Options) ([]rec, *exlog.Reader) {
	t.Helper()
	r := exlog.NewReaderOptions(src, name, opts)
	var out []rec
	for r.Next() {
		x := r.Record()
		out = append(out, rec{
			Line: x.Line, Time: x.DateTime.Format("2006-01-02T15:04:05.000Z07:00"), Connector: string(x.Connector),
			SessionID: string(x.SessionID), Sequence: x.Sequence, Local: string(x.Local), Remote: string(x.Remote),
			Event: x.Event, Data: string(x.Data), Context: string(x.Context), LogType: x.LogType,
		})
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	st := r.Stats()
	if st.Lines != st.Records+st.HeaderLines+st.BlankLines+st.MalformedLines {
		t.Errorf("line accounting: %+v", st)
	}
	return out, r
}

func openFixture(t *testing.T, name string) io.Reader {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		return gz
	}
	return f
}

func TestReaderFixtures(t *testing.T) {
	t.Parallel()
	const tls10 = "TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_RC4 with strength 128 bits, MAC hash algorithm CALG_MD5 with strength 128 bits and key exchange algorithm CALG_RSA_KEYX with strength 1024 bits"
	const tls12 = "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits"
	d2010 := `EX2010\Default EX2010`
	fe := `EX01\Default Frontend EX01`
	x := `EX01\X`
	recv, send := exlog.LogTypeReceive, exlog.LogTypeSend
	cases := []struct {
		file      string
		want      []rec
		stats     exlog.Stats // Bytes is checked against the file size
		malformed []exlog.Malformed
		version   string
	}{
		{
			file: "RECV20240304-1.LOG", // Exchange 2010, daily, LF, TLS 1.0
			want: []rec{
				{6, "2024-03-04T08:15:02.101Z", d2010, "08CD3C1A2B3C4D01", 0, "192.168.1.10:25", "203.0.113.7:50211", '+', "", "", recv},
				{7, "2024-03-04T08:15:02.104Z", d2010, "08CD3C1A2B3C4D01", 1, "192.168.1.10:25", "203.0.113.7:50211", '>', "220 ex2010.contoso.local Microsoft ESMTP MAIL Service ready at Mon, 4 Mar 2024 09:15:02 +0100", "", recv},
				{8, "2024-03-04T08:15:02.210Z", d2010, "08CD3C1A2B3C4D01", 2, "192.168.1.10:25", "203.0.113.7:50211", '<', "EHLO legacy-mta.fabrikam.example", "", recv},
				{9, "2024-03-04T08:15:02.211Z", d2010, "08CD3C1A2B3C4D01", 3, "192.168.1.10:25", "203.0.113.7:50211", '<', "STARTTLS", "", recv},
				{10, "2024-03-04T08:15:02.212Z", d2010, "08CD3C1A2B3C4D01", 4, "192.168.1.10:25", "203.0.113.7:50211", '>', "220 2.0.0 SMTP server ready", "", recv},
				{11, "2024-03-04T08:15:02.305Z", d2010, "08CD3C1A2B3C4D01", 5, "192.168.1.10:25", "203.0.113.7:50211", '*', "", tls10, recv},
				{12, "2024-03-04T08:15:03.001Z", d2010, "08CD3C1A2B3C4D01", 6, "192.168.1.10:25", "203.0.113.7:50211", '-', "", "Local", recv},
			},
			stats:   exlog.Stats{Lines: 12, Records: 7, HeaderLines: 5},
			version: "14.0.0.0",
		},
		{
			file: "bom_crlf.LOG", // BOM, CRLF, quoted commas, doubled quotes, non-ASCII connector, IPv6, escaped CR LF
			want: []rec{
				{6, "2024-03-04T10:00:01.500Z", `Outbound, "secure" route`, "08DC3C84A4B5C601", 0, "", "[2001:db8:10::25]:25", '*', "", "attempting to connect", send},
				{7, "2024-03-04T10:00:01.600Z", `Outbound, "secure" route`, "08DC3C84A4B5C601", 1, "[2001:db8::10]:50123", "[2001:db8:10::25]:25", '+', "", "", send},
				{8, "2024-03-04T10:00:01.700Z", "Sendeconnector für Österreich", "08DC3C84A4B5C602", 0, "10.0.0.10:50124", "2001:db8:20::25:25", '<', "250-mx.example Hello\r\n250 STARTTLS", "", send},
			},
			stats:   exlog.Stats{Lines: 8, Records: 3, HeaderLines: 5},
			version: "15.0.0.0",
		},
		{
			file: "reordered.LOG", // a second header block with another field order and an extra column
			want: []rec{
				{6, "2024-03-04T10:00:01.000Z", fe, "08DC3C84A4B5C701", 0, "10.0.0.1:25", "198.51.100.7:40000", '+', "", "", recv},
				{12, "2024-03-04T10:05:01.000Z", fe, "08DC3C84A4B5C702", 0, "10.0.0.1:25", "198.51.100.8:40001", '*', "", tls12, recv},
				{14, "2024-03-04T10:05:02.000Z", fe, "08DC3C84A4B5C702", 1, "10.0.0.1:25", "198.51.100.8:40001", '-', "", "Local", recv},
			},
			stats:   exlog.Stats{Lines: 14, Records: 3, HeaderLines: 10, BlankLines: 1},
			version: "15.0.0.0",
		},
		{
			file: "SEND2024030411-2.LOG", // no header: the documented fields, the type from the name
			want: []rec{
				{1, "2024-03-04T11:00:00.000Z", "Outbound to Internet", "08DC3C84A4B5CA01", 0, "", "203.0.113.25:25", '*', "", "attempting to connect", send},
				{2, "2024-03-04T11:00:00.100Z", "Outbound to Internet", "08DC3C84A4B5CA01", 1, "10.0.0.10:50200", "203.0.113.25:25", '+', "", "", send},
			},
			stats: exlog.Stats{Lines: 2, Records: 2},
		},
		{
			file: "malformed.LOG", // every kind of bad line, a blank line and a last line without newline
			want: []rec{
				{2, "2024-03-04T10:00:00.000Z", x, "08DC3C84A4B5C801", 0, "10.0.0.1:25", "198.51.100.7:1000", '+', "", "", exlog.LogTypeUnknown},
				{13, "2024-03-04T10:00:02.000Z", x, "08DC3C84A4B5C801", 2, "10.0.0.1:25", "198.51.100.7:1000", '-', "", "Local", exlog.LogTypeUnknown},
				{17, "2024-03-04T10:00:04.000Z", x, "08DC3C84A4B5C802", 0, "10.0.0.1:25", "198.51.100.8:1001", '+', "", "", exlog.LogTypeUnknown},
				{18, "2024-03-04T10:00:05.000Z", x, "08DC3C84A4B5C802", 1, "10.0.0.1:25", "198.51.100.8:1001", '-', "", "Local", exlog.LogTypeUnknown},
			},
			stats: exlog.Stats{Lines: 18, Records: 4, HeaderLines: 3, BlankLines: 1, MalformedLines: 10},
			malformed: []exlog.Malformed{
				{File: "malformed.LOG", Line: 3, Reason: "fewer fields than the #Fields line names"},
				{File: "malformed.LOG", Line: 4, Reason: "bad date-time"},
				{File: "malformed.LOG", Line: 5, Reason: "bad event"},
				{File: "malformed.LOG", Line: 6, Reason: "bad sequence-number"},
				{File: "malformed.LOG", Line: 7, Reason: "empty session-id"},
				{File: "malformed.LOG", Line: 8, Reason: "unterminated quoted field"},
				{File: "malformed.LOG", Line: 9, Reason: "text after a closing quote"},
				{File: "malformed.LOG", Line: 10, Reason: "more fields than the #Fields line names"},
				{File: "malformed.LOG", Line: 11, Reason: "fewer fields than the #Fields line names"},
				{File: "malformed.LOG", Line: 15, Reason: "#Fields line has no session-id column"},
			},
		},
		{
			file: "longline.LOG.gz", // a 1 MiB line is skipped without being buffered
			want: []rec{
				{1, "2024-03-04T10:00:00.000Z", x, "08DC3C84A4B5C901", 0, "10.0.0.1:25", "198.51.100.9:1002", '+', "", "", exlog.LogTypeUnknown},
				{3, "2024-03-04T10:00:01.000Z", x, "08DC3C84A4B5C901", 2, "10.0.0.1:25", "198.51.100.9:1002", '-', "", "Local", exlog.LogTypeUnknown},
			},
			stats:     exlog.Stats{Lines: 3, Records: 2, MalformedLines: 1},
			malformed: []exlog.Malformed{{File: "longline.LOG.gz", Line: 2, Reason: "line longer than 65536 bytes"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw, err := io.ReadAll(openFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, r := readAll(t, tc.file, bytes.NewReader(raw), exlog.Options{})
			if len(got) != len(tc.want) {
				t.Fatalf("%d records, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
			st := r.Stats()
			tc.stats.Bytes = int64(len(raw))
			if st != tc.stats {
				t.Errorf("Stats() = %+v, want %+v", st, tc.stats)
			}
			if bad := r.Malformed(); !equalMalformed(bad, tc.malformed) {
				t.Errorf("Malformed() = %+v, want %+v", bad, tc.malformed)
			}
			if r.Version() != tc.version {
				t.Errorf("Version() = %q, want %q", r.Version(), tc.version)
			}
		})
	}
}

func equalMalformed(a, b []exlog.Malformed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReaderLineEndingsAndBOM(t *testing.T) {
	t.Parallel()
	const body = "#Log-type: SMTP Receive Protocol Log\n" +
		"2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,0,10.0.0.1:25,198.51.100.7:1000,+,,\n"
	lf := body
	crlf := strings.ReplaceAll(body, "\n", "\r\n")
	bom := "\xef\xbb\xbf"
	for name, in := range map[string]string{
		"LF": lf, "CRLF": crlf, "BOM+LF": bom + lf, "BOM+CRLF": bom + crlf,
		"no final newline":          strings.TrimSuffix(crlf, "\r\n"),
		"BOM again after a restart": bom + crlf + bom + crlf,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, r := readAll(t, "x.LOG", strings.NewReader(in), exlog.Options{})
			wantN := strings.Count(in, "+,,")
			if len(got) != wantN || r.Stats().MalformedLines != 0 {
				t.Fatalf("%d records, %d malformed; want %d, 0", len(got), r.Stats().MalformedLines, wantN)
			}
			for _, g := range got {
				if g.Context != "" || g.Event != '+' || g.LogType != exlog.LogTypeReceive || g.Connector != "C" {
					t.Errorf("record %+v", g)
				}
			}
		})
	}
}

func TestReaderLogType(t *testing.T) {
	t.Parallel()
	line := "2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,0,10.0.0.1:25,198.51.100.7:1000,+,,\n"
	cases := []struct {
		name, file, header string
		want               exlog.LogType
	}{
		{"receive by header", "x.log", "#Log-type: SMTP Receive Protocol Log\n", exlog.LogTypeReceive},
		{"send by header", "x.log", "#Log-type: SMTP Send Protocol Log\n", exlog.LogTypeSend},
		{"header beats name", "RECV2024030410-1.LOG", "#Log-type: SMTP Send Protocol Log\n", exlog.LogTypeSend},
		{"receive by hourly name", "logs/RECV2024030410-1.LOG", "", exlog.LogTypeReceive},
		{"send by daily name", `C:\Logs\SEND20240304-3.LOG`, "", exlog.LogTypeSend},
		{"unknown", "upload.txt", "", exlog.LogTypeUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, r := readAll(t, tc.file, strings.NewReader(tc.header+line), exlog.Options{})
			if len(got) != 1 || got[0].LogType != tc.want || r.LogType() != tc.want {
				t.Errorf("records %+v, LogType() = %v; want %v", got, r.LogType(), tc.want)
			}
		})
	}
}

// TestReaderLongLines checks the line cap at its edges: a line that fits
// exactly, one byte over, and lines far longer than the buffer.
func TestReaderLongLines(t *testing.T) {
	t.Parallel()
	const limit = 4096
	prefix := "2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,1,10.0.0.1:25,198.51.100.7:1000,<,"
	mk := func(total int) string { // a record line of exactly total bytes with its LF
		return prefix + strings.Repeat("x", total-len(prefix)-2) + ",\n"
	}
	good := "2024-03-04T10:00:01.000Z,C,08DC3C84A4B5C801,2,10.0.0.1:25,198.51.100.7:1000,-,,\n"
	cases := []struct {
		name    string
		in      string
		records int64
		bad     int64
	}{
		{"exactly the cap", mk(limit) + good, 2, 0},
		{"one byte over", mk(limit+1) + good, 1, 1},
		{"far over", mk(10*limit) + good, 1, 1},
		{"over at the end without newline", good + strings.Repeat("y", 3*limit), 1, 1},
		{"two in a row", mk(5*limit) + mk(3*limit) + good, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, r := readAll(t, "x.LOG", strings.NewReader(tc.in), exlog.Options{MaxLineBytes: limit})
			st := r.Stats()
			if st.Records != tc.records || st.MalformedLines != tc.bad || st.Bytes != int64(len(tc.in)) {
				t.Errorf("Stats() = %+v, want %d records, %d malformed, %d bytes", st, tc.records, tc.bad, len(tc.in))
			}
			for _, m := range r.Malformed() {
				if m.Reason != "line longer than 4096 bytes" {
					t.Errorf("reason %q", m.Reason)
				}
			}
		})
	}
}

func TestReaderMalformedDetailBound(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("garbage\n", 250)
	_, r := readAll(t, "g.LOG", strings.NewReader(in), exlog.Options{})
	if st := r.Stats(); st.MalformedLines != 250 || len(r.Malformed()) != exlog.DefaultMaxMalformed {
		t.Errorf("%d malformed, %d in detail; want 250, %d", st.MalformedLines, len(r.Malformed()), exlog.DefaultMaxMalformed)
	}
	if last := r.Malformed()[exlog.DefaultMaxMalformed-1]; last.Line != exlog.DefaultMaxMalformed {
		t.Errorf("last detailed line %d", last.Line)
	}
	_, r = readAll(t, "g.LOG", strings.NewReader(in), exlog.Options{MaxMalformed: -1})
	if len(r.Malformed()) != 0 || r.Stats().MalformedLines != 250 {
		t.Errorf("MaxMalformed -1: %d kept, %d counted", len(r.Malformed()), r.Stats().MalformedLines)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderReadErrorAndReset(t *testing.T) {
	t.Parallel()
	line := "2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,0,10.0.0.1:25,198.51.100.7:1000,+,,\n"
	boom := io.ErrClosedPipe
	r := exlog.NewReader(&failingReader{data: []byte(line + line[:20]), err: boom}, "a.LOG")
	n := 0
	for r.Next() {
		n++
	}
	if n != 1 || r.Err() != boom {
		t.Fatalf("%d records, Err() = %v; want 1, %v", n, r.Err(), boom)
	}
	if st := r.Stats(); st.Lines != 1 || st.Records != 1 {
		t.Errorf("Stats() after error = %+v: the incomplete line must not count", st)
	}
	r.Reset(strings.NewReader(line+line), "SEND2024030410-1.LOG")
	n = 0
	for r.Next() {
		n++
		if r.Record().LogType != exlog.LogTypeSend {
			t.Errorf("after Reset: LogType %v", r.Record().LogType)
		}
	}
	if n != 2 || r.Err() != nil || r.FileName() != "SEND2024030410-1.LOG" {
		t.Errorf("after Reset: %d records, Err() %v, FileName %q", n, r.Err(), r.FileName())
	}
}

func TestReaderFields(t *testing.T) {
	t.Parallel()
	in := "#Fields: date-time,session-id,foo,event\n"
	r := exlog.NewReader(strings.NewReader(in), "x.LOG")
	for r.Next() {
	}
	want := []exlog.Field{exlog.FieldDateTime, exlog.FieldSessionID, 255, exlog.FieldEvent}
	got := r.Fields()
	if len(got) != len(want) {
		t.Fatalf("Fields() = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Fields()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestParseDateTime(t *testing.T) {
	t.Parallel()
	ms := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	cases := []struct {
		in string
		ok bool
	}{
		{"2024-03-04T10:00:00.123Z", true},
		{"1999-12-31T23:59:59.999Z", true},
		{"2024-02-29T00:00:00.000Z", true},
		{"2024-03-04T10:00:00Z", true},
		{"2024-03-04T10:00:00.1234567Z", true},
		{"1969-12-31T23:59:59.500Z", true},
		{"2023-02-29T00:00:00.000Z", false},
		{"2024-13-01T00:00:00.000Z", false},
		{"2024-03-04T24:00:00.000Z", false},
		{"2024-03-04T10:60:00.000Z", false},
		{"2024-03-04 10:00:00.000Z", false},
		{"2024-03-04T10:00:00.000", false},
		{"2024-03-04T10:00:00.Z", false},
		{"2024-03-04T10:00:00.12aZ", false},
		{"", false},
	}
	for _, tc := range cases {
		got, ok := exlog.ParseDateTime([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("ParseDateTime(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if ok && got != ms(tc.in) {
			t.Errorf("ParseDateTime(%q) = %d, want %d", tc.in, got, ms(tc.in))
		}
	}
}
