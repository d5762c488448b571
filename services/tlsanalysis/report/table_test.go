package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Table(&buf, sampleAnalysis(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", buf.Bytes())
}

func TestTableTopNAndControlCharacters(t *testing.T) {
	t.Parallel()
	an := bigAnalysis(300)
	an.Remotes[0].Names = []string{"evil\x1b]0;owned\x07\ttab"}
	an.Remotes[0].Counts.Legacy, an.Remotes[0].Counts.None = 1_000_000, 1_000_000
	var buf bytes.Buffer
	if err := Table(&buf, an, TableOptions{TopN: 3}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07\t") {
		t.Errorf("table output contains raw control characters:\n%s", out)
	}
	if !strings.Contains(out, `evil\x1b]0;owned\a\ttab`) {
		t.Errorf("table output does not show the hostile name escaped:\n%s", out)
	}
	if !strings.Contains(out, "top 3 legacy remotes of ") {
		t.Errorf("TopN 3 not honoured:\n%s", out)
	}
	sect := out[strings.Index(out, "top 3"):strings.Index(out, "connectors:")]
	if n := strings.Count(sect, "\n"); n != 1+1+3+1 { // title, header, 3 rows, blank line
		t.Errorf("top-3 section has %d lines:\n%s", n, sect)
	}
}

func TestTableEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Table(&buf, nil, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0 sessions", "no sessions", "no remote had a legacy session"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("empty table output lacks %q:\n%s", want, buf.String())
		}
	}
}
