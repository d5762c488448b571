package ldapconn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
)

const testPassword = "S3cret-Pa55word!"

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := secret.New(testPassword)
	tests := []struct {
		name    string
		cfg     ldapconn.Config
		wantErr string // "" means valid
	}{
		{"ldaps", ldapconn.Config{URL: "ldaps://dc1.example.com", BindDN: "CN=a,DC=example,DC=com", Password: pw}, ""},
		{"ldaps with port", ldapconn.Config{URL: "ldaps://dc1.example.com:3269"}, ""},
		{"ipv6", ldapconn.Config{URL: "ldaps://[::1]:636", ServerName: "dc1.example.com"}, ""},
		{"starttls", ldapconn.Config{URL: "ldap://dc1.example.com", StartTLS: true}, ""},
		{"plaintext allowed", ldapconn.Config{URL: "ldap://dc1.example.com", InsecurePlaintext: true}, ""},
		{"ntlm", ldapconn.Config{URL: "ldaps://dc1", NTLM: true, Domain: "EXAMPLE", BindDN: "svc", Password: pw}, ""},
		{"plaintext refused", ldapconn.Config{URL: "ldap://dc1.example.com"}, "in clear"},
		{"plaintext refused with password", ldapconn.Config{URL: "ldap://dc1:389", BindDN: "CN=a,DC=b", Password: pw}, "in clear"},
		{"starttls on ldaps", ldapconn.Config{URL: "ldaps://dc1", StartTLS: true}, "StartTLS is for ldap://"},
		{"plaintext flag with ldaps", ldapconn.Config{URL: "ldaps://dc1", InsecurePlaintext: true}, "contradicts TLS"},
		{"no URL", ldapconn.Config{}, "no URL"},
		{"http", ldapconn.Config{URL: "https://dc1"}, "scheme must be ldaps or ldap"},
		{"no host", ldapconn.Config{URL: "ldaps://:636"}, "no host"},
		{"base DN in URL", ldapconn.Config{URL: "ldaps://dc1/DC=example,DC=com"}, "host[:port] only"},
		{"user in URL", ldapconn.Config{URL: "ldaps://admin:" + testPassword + "@dc1"}, "host[:port] only"},
		{"password without user", ldapconn.Config{URL: "ldaps://dc1", Password: pw}, "without a bind DN"},
		{"user without password", ldapconn.Config{URL: "ldaps://dc1", BindDN: "CN=a,DC=b"}, "no password"},
		{"ntlm without user", ldapconn.Config{URL: "ldaps://dc1", NTLM: true}, "NTLM needs a user"},
		{"page size too big", ldapconn.Config{URL: "ldaps://dc1", PageSize: 5000}, "page size 5000"},
		{"missing CA file", ldapconn.Config{URL: "ldaps://dc1", CAFile: "/nonexistent/ca.pem"}, "no such file"},
		{"CA file without PEM", ldapconn.Config{URL: "ldaps://dc1", CAFile: caFile}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate accepted %+v, want an error containing %q", tt.cfg, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %v, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestDialRefusesPlaintextBeforeConnecting(t *testing.T) {
	t.Parallel()
	// Port 9 (discard) on TEST-NET-1: if Dial tried to connect it would hang
	// or fail differently; it must refuse at once.
	_, err := ldapconn.Dial(context.Background(), ldapconn.Config{
		URL: "ldap://192.0.2.1:9", BindDN: "CN=a,DC=b", Password: secret.New(testPassword),
	})
	if err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("Dial = %v, want a refusal to send the password in clear", err)
	}
}

func TestConfigNeverPrintsPassword(t *testing.T) {
	t.Parallel()
	cfg := ldapconn.Config{URL: "ldaps://dc1", BindDN: "CN=svc,DC=example,DC=com", Password: secret.New(testPassword)}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg, "password", cfg.Password)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v":   fmt.Sprintf("%v", cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"slog": logged.String(),
		"json": string(js),
	} {
		if strings.Contains(out, testPassword) {
			t.Errorf("%s prints the password: %s", name, out)
		}
		if !strings.Contains(out, "CN=svc") {
			t.Errorf("%s lost the bind DN: %s", name, out)
		}
	}
}

// TestSDFlagsControlEncoding checks the BER that goes on the wire:
// SEQUENCE { INTEGER flags }, which go-ldap's constructor leaves at 0.
func TestSDFlagsControlEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flags ldapconn.SDFlags
		want  []byte
	}{
		{ldapconn.SDFlagsDACL, []byte{0x30, 0x03, 0x02, 0x01, 0x04}},
		{ldapconn.SDFlagsRead, []byte{0x30, 0x03, 0x02, 0x01, 0x07}},
		{ldapconn.SDFlagsRead | ldapconn.SDFlagsSACL, []byte{0x30, 0x03, 0x02, 0x01, 0x0f}},
	}
	for _, tt := range tests {
		p := ldapconn.SDFlagsControl(tt.flags).Encode()
		if len(p.Children) != 3 {
			t.Fatalf("flags %d: control has %d parts, want type, criticality, value", tt.flags, len(p.Children))
		}
		if oid := p.Children[0].Value; oid != ldap.ControlTypeMicrosoftSDFlags {
			t.Errorf("flags %d: OID %v", tt.flags, oid)
		}
		if crit, _ := p.Children[1].Value.(bool); !crit {
			t.Errorf("flags %d: not critical", tt.flags)
		}
		value := p.Children[2].Bytes()
		// OCTET STRING header (04 05), then the value.
		if got := value[2:]; !bytes.Equal(got, tt.want) {
			t.Errorf("flags %d: value % x, want % x", tt.flags, got, tt.want)
		}
	}
}
