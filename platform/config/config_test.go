package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hybridkit.yaml")
	if err := os.WriteFile(file, []byte("tlsanalysis-addr: 127.0.0.1:1111\nshutdown-timeout: 3s\nlog-level: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HYBRIDKIT_SHUTDOWN_TIMEOUT", "7s")
	t.Setenv("HYBRIDKIT_CONFIG", file)

	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	addr := fs.String("tlsanalysis-addr", "127.0.0.1:50053", "")
	timeout := fs.Duration("shutdown-timeout", time.Second, "")
	level := fs.String("log-level", "info", "")
	if err := Parse(fs, []string{"-log-level", "debug"}); err != nil {
		t.Fatal(err)
	}
	if *addr != "127.0.0.1:1111" { // from the file
		t.Errorf("addr = %q", *addr)
	}
	if *timeout != 7*time.Second { // environment beats the file
		t.Errorf("timeout = %v", *timeout)
	}
	if *level != "debug" { // the command line beats both
		t.Errorf("level = %q", *level)
	}
}

func TestUnknownKeyInFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(file, []byte("no-such-flag: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if err := Parse(fs, []string{"-config", file}); err == nil {
		t.Fatal("a config key that names no flag was accepted")
	}
}
