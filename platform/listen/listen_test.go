package listen

import (
	"strings"
	"testing"
)

func TestLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":       true,
		"127.0.0.2:389":        true,
		"[::1]:8080":           true,
		"[::ffff:127.0.0.1]:1": true,
		"localhost:8080":       true,
		":8080":                false,
		"0.0.0.0:8080":         false,
		"[::]:8080":            false,
		"10.0.0.5:8080":        false,
		"example.com:8080":     false,
		"127.0.0.1":            false, // no port: not an address
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckPlaintext(t *testing.T) {
	t.Parallel()
	if err := CheckPlaintext("gateway", "127.0.0.1:8080", false); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
	if err := CheckPlaintext("gateway", "0.0.0.0:8080", true); err != nil {
		t.Errorf("--insecure-listen refused: %v", err)
	}
	err := CheckPlaintext("gateway", "0.0.0.0:8080", false)
	if err == nil || !strings.Contains(err.Error(), "--insecure-listen") || !strings.Contains(err.Error(), "0.0.0.0:8080") {
		t.Errorf("non-loopback without TLS: %v", err)
	}
}
