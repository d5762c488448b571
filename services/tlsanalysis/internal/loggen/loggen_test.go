package loggen_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/internal/loggen"
)

func TestGenerateIsDeterministicAndConsistent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cfg   loggen.Config
		files *regexp.Regexp
		count int64
	}{
		{"hourly both directions", loggen.Config{Seed: 1, Hours: 3, SessionsPerHour: 50}, regexp.MustCompile(`^(RECV|SEND)20240304(00|01|02)-1\.LOG$`), 6},
		{"daily 2010", loggen.Config{Seed: 1, Hours: 30, SessionsPerHour: 5, Exchange2010: true}, regexp.MustCompile(`^(RECV|SEND)2024030[45]-1\.LOG$`), 4},
		{"receive only", loggen.Config{Seed: 2, Hours: 2, SessionsPerHour: 20, ReceiveOnly: true, MalformedEvery: 10}, regexp.MustCompile(`^RECV202403040[01]-1\.LOG$`), 2},
		{"send only", loggen.Config{Seed: 2, Hours: 1, SessionsPerHour: 20, SendOnly: true}, regexp.MustCompile(`^SEND2024030400-1\.LOG$`), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var names []string
			var all []byte
			exp, err := loggen.Generate(tc.cfg, func(name string, data []byte) error {
				names = append(names, name)
				all = append(all, data...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if !tc.files.MatchString(n) {
					t.Errorf("file name %q", n)
				}
			}
			if exp.Files != tc.count || int64(len(names)) != tc.count {
				t.Errorf("%d files (%d reported), want %d", len(names), exp.Files, tc.count)
			}
			if exp.Bytes != int64(len(all)) || exp.Lines != int64(bytes.Count(all, []byte{'\n'})) ||
				exp.Lines != exp.Records+exp.HeaderLines+exp.MalformedLines {
				t.Errorf("bytes %d/%d lines %d/%d = %d+%d+%d", exp.Bytes, len(all), exp.Lines, bytes.Count(all, []byte{'\n'}), exp.Records, exp.HeaderLines, exp.MalformedLines)
			}
			var sessions int64
			for _, n := range exp.Outcomes {
				sessions += n
			}
			if want := int64(tc.cfg.Hours * tc.cfg.SessionsPerHour); sessions != exp.Sessions || (exp.Sessions != want && exp.Sessions != 2*want) {
				t.Errorf("sessions %d (outcomes add to %d), want %d per direction", exp.Sessions, sessions, want)
			}
			again, _ := loggen.Bytes(tc.cfg)
			if !bytes.Equal(all, again) {
				t.Error("same seed, different logs")
			}
		})
	}
}

func TestGenerateCoversEveryCase(t *testing.T) {
	t.Parallel()
	data, exp := loggen.Bytes(loggen.Config{Seed: 5, Hours: 2, SessionsPerHour: 400})
	for _, o := range []string{"None", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "Unknown", "Failed"} {
		if exp.Outcomes[loggen.Key{Direction: "receive", Outcome: o}] == 0 || exp.Outcomes[loggen.Key{Direction: "send", Outcome: o}] == 0 {
			t.Errorf("no %s session", o)
		}
	}
	for _, want := range []string{
		`,"EX01\Relay, internal",`, `,"Partner ""secure"" route, TLS",`, "für Partner", "Österreich", "]:25,", `,X-ANONYMOUSTLS,`,
		`\r\n`, "451 5.7.3", "Sending certificate", "Received certificate", "TLS protocol 8192 ", "SP_PROT_DTLS1_2_SERVER",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %q in the logs", want)
		}
	}
	if exp.SplitSessions == 0 || exp.HeaderLines <= 4*5 {
		t.Errorf("split sessions %d, header lines %d: want sessions across files and header blocks mid-file", exp.SplitSessions, exp.HeaderLines)
	}
	if len(exp.UnknownProtocols) == 0 || len(exp.Failures) != 3 || len(exp.Certificates) < 2 || exp.Weak["receive"] == 0 {
		t.Errorf("unknown %v failures %v certificates %d weak %v", exp.UnknownProtocols, exp.Failures, len(exp.Certificates), exp.Weak)
	}
}
