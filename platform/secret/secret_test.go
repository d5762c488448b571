package secret

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValueNeverPrints(t *testing.T) {
	t.Parallel()
	const pw = "hunter2-very-secret"
	v := New(pw)
	type holder struct {
		Password Value
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("bind", "password", v, "holder", holder{v})
	js, err := json.Marshal(holder{v})
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"%v":   fmt.Sprintf("%v", v),
		"%s":   fmt.Sprintf("%s", v),
		"%q":   fmt.Sprintf("%q", v),
		"%#v":  fmt.Sprintf("%#v", holder{v}),
		"%+v":  fmt.Sprintf("%+v", holder{v}),
		"%x":   fmt.Sprintf("%x", v),
		"json": string(js),
		"slog": logs.String(),
	}
	for how, out := range outs {
		if strings.Contains(out, pw) || strings.Contains(out, fmt.Sprintf("%x", pw)) {
			t.Errorf("%s leaked the secret: %s", how, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say [redacted]: %s", how, out)
		}
	}
	if v.Reveal() != pw || !v.IsSet() {
		t.Errorf("Reveal() = %q", v.Reveal())
	}
	if New("").String() != "" || New("").IsSet() {
		t.Error("an empty secret should print as empty and not be set")
	}
}

func TestSourceLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("from-file\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: nil, want: ""},
		{args: []string{"-client-secret", "direct"}, want: "direct"},
		{args: []string{"-client-secret-file", file}, want: "from-file"},
		{args: []string{"-client-secret", "x", "-client-secret-file", file}, wantErr: "both set"},
		{args: []string{"-client-secret-file", filepath.Join(dir, "missing")}, wantErr: "no such file"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var s Source
		s.Flags(fs, "client-secret", "the client secret")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		v, err := s.Load()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || v.Reveal() != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.args, v.Reveal(), err, tc.want)
		}
	}
}
