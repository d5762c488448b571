package exlog

import (
	"bytes"
	"testing"
)

// FuzzSplitDefault checks the quick splitter against the general one: when
// the quick one accepts a line, both must give the same fields.
func FuzzSplitDefault(f *testing.F) {
	for _, s := range []string{
		`2024-03-04T10:00:00.000Z,EX01\Default Frontend EX01,08DC3C84A4B5C801,0,10.0.0.1:25,198.51.100.7:1000,+,,`,
		`2024-03-04T10:00:00.000Z,"EX01\Relay, ""x""",08DC3C84A4B5C801,12,10.0.0.1:25,[2001:db8::1]:25,*,,"TLS protocol a, b"`,
		`2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,1,,198.51.100.7:1000,<,"220 a, b",`,
		`2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,1,,1,<,a"b,c"d`,
		`2024-03-04T10:00:00.000Z,C,08DC3C84A4B5C801,1,"",1,<,,`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\r\n") {
			return
		}
		var r Reader
		r.setDefaultLayout()
		var fast, slow Record
		var f [NumFields][]byte
		s1 := make([]byte, 0, 2*len(line))
		s2 := make([]byte, 0, 2*len(line))
		if r.splitDefault(line, &fast, &s1) < 0 {
			return
		}
		if why := r.splitGeneric(line, &f, &s2); why != "" {
			t.Fatalf("quick splitter accepted what the general one refuses (%s): %q", why, line)
		}
		if !bytes.Equal(f[FieldDateTime], line[:24]) {
			t.Fatalf("date-time: quick %q, general %q", line[:24], f[FieldDateTime])
		}
		if why := setFields(&slow, &f); why != "" {
			t.Fatalf("quick splitter accepted what the general one refuses (%s): %q", why, line)
		}
		for _, c := range [][2][]byte{{fast.Connector, slow.Connector}, {fast.SessionID, slow.SessionID}, {fast.Local, slow.Local},
			{fast.Remote, slow.Remote}, {fast.Data, slow.Data}, {fast.Context, slow.Context}} {
			if !bytes.Equal(c[0], c[1]) {
				t.Fatalf("quick %q, general %q, line %q", c[0], c[1], line)
			}
		}
		if fast.Sequence != slow.Sequence || fast.Event != slow.Event {
			t.Fatalf("sequence %d/%d event %q/%q, line %q", fast.Sequence, slow.Sequence, fast.Event, slow.Event, line)
		}
	})
}
