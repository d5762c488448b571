package exlog_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

func TestSplitEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		host string
		port int
		ok   bool
		addr string // ParseEndpointAddr, "" when not an address
	}{
		{"10.0.0.1:25", "10.0.0.1", 25, true, "10.0.0.1"},
		{"203.0.113.7:50211", "203.0.113.7", 50211, true, "203.0.113.7"},
		{"[2001:db8::1]:25", "2001:db8::1", 25, true, "2001:db8::1"},
		{"[::ffff:198.51.100.9]:50000", "::ffff:198.51.100.9", 50000, true, "198.51.100.9"},
		{"[fe80::1%eth0]:25", "fe80::1%eth0", 25, true, "fe80::1"},
		{"[2001:db8::1]", "2001:db8::1", -1, true, "2001:db8::1"},
		{"2001:db8::7:49153", "2001:db8::7", 49153, true, "2001:db8::7"}, // bare, read generously
		{"2001:db8:20::25:25", "2001:db8:20::25", 25, true, "2001:db8:20::25"},
		{"2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:1", -1, true, "2001:db8::1"}, // no port: the prefix is not an address
		{"fe80::1", "fe80::1", -1, true, "fe80::1"},
		{"10.0.0.1", "10.0.0.1", -1, true, "10.0.0.1"},
		{"mail.contoso.com:25", "mail.contoso.com", 25, true, ""},
		{"10.0.0.01:25", "10.0.0.01", 25, true, ""},
		{"256.0.0.1:25", "256.0.0.1", 25, true, ""},
		{"10.0.0.1:99999", "", -1, false, ""},
		{"10.0.0.1:", "", -1, false, ""},
		{":25", "", -1, false, ""},
		{"[2001:db8::1", "", -1, false, ""},
		{"[2001:db8::1]x25", "", -1, false, ""},
		{"", "", -1, false, ""},
	}
	for _, tc := range cases {
		host, port, ok := exlog.SplitEndpoint([]byte(tc.in))
		if ok != tc.ok || (ok && (string(host) != tc.host || port != tc.port)) {
			t.Errorf("SplitEndpoint(%q) = %q, %d, %v; want %q, %d, %v", tc.in, host, port, ok, tc.host, tc.port, tc.ok)
		}
		a, ok := exlog.ParseEndpointAddr([]byte(tc.in))
		want := netip.Addr{}
		if tc.addr != "" {
			want = netip.MustParseAddr(tc.addr)
		}
		if ok != (tc.addr != "") || a != want {
			t.Errorf("ParseEndpointAddr(%q) = %v, %v; want %v", tc.in, a, ok, want)
		}
	}
}

func TestParseFileName(t *testing.T) {
	t.Parallel()
	hour := func(s string) time.Time {
		tm, err := time.Parse("2006010215", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		in   string
		ok   bool
		want exlog.FileInfo
	}{
		{"RECV2024030410-1.LOG", true, exlog.FileInfo{LogType: exlog.LogTypeReceive, Period: hour("2024030410"), Length: time.Hour, Seq: 1}},
		{"SEND2024030423-12.LOG", true, exlog.FileInfo{LogType: exlog.LogTypeSend, Period: hour("2024030423"), Length: time.Hour, Seq: 12}},
		{"RECV20240304-3.LOG", true, exlog.FileInfo{LogType: exlog.LogTypeReceive, Period: hour("2024030400"), Length: 24 * time.Hour, Seq: 3}},
		{`C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV2024030410-1.LOG`, true,
			exlog.FileInfo{LogType: exlog.LogTypeReceive, Period: hour("2024030410"), Length: time.Hour, Seq: 1}},
		{"logs.zip/send20240304-1.log.gz", true, exlog.FileInfo{LogType: exlog.LogTypeSend, Period: hour("2024030400"), Length: 24 * time.Hour, Seq: 1}},
		{"RECV2024030424-1.LOG", false, exlog.FileInfo{}},
		{"RECV20240230-1.LOG", false, exlog.FileInfo{}},
		{"RECV202403041-1.LOG", false, exlog.FileInfo{}},
		{"RECV2024030410.LOG", false, exlog.FileInfo{}},
		{"RECV2024030410-x.LOG", false, exlog.FileInfo{}},
		{"MSGTRK2024030410-1.LOG", false, exlog.FileInfo{}},
		{"RECV2024030410-1.TXT", false, exlog.FileInfo{}},
	}
	for _, tc := range cases {
		got, ok := exlog.ParseFileName(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseFileName(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.Hourly() != (got.Length == time.Hour) {
			t.Errorf("Hourly() inconsistent for %q", tc.in)
		}
	}
}

func TestCompareFileNames(t *testing.T) {
	t.Parallel()
	in := []string{
		"notes.txt",
		"b/RECV2024030409-1.LOG",
		"a/SEND2024030410-1.LOG",
		"a/RECV2024030410-10.LOG",
		"a/RECV2024030410-9.LOG",
		"a/RECV2024030409-1.LOG",
		"a/RECV20240303-1.LOG",
		"a/readme.txt",
		"a/RECV2024030410-2.LOG",
	}
	want := []string{
		"notes.txt",
		"a/RECV20240303-1.LOG",
		"a/RECV2024030409-1.LOG",
		"a/RECV2024030410-2.LOG",
		"a/RECV2024030410-9.LOG",
		"a/RECV2024030410-10.LOG",
		"a/SEND2024030410-1.LOG",
		"a/readme.txt",
		"b/RECV2024030409-1.LOG",
	}
	slices.SortFunc(in, exlog.CompareFileNames)
	if !slices.Equal(in, want) {
		t.Errorf("sorted:\n%q\nwant\n%q", in, want)
	}
}
