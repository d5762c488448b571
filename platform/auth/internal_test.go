package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

func TestParseAPIToken(t *testing.T) {
	t.Parallel()
	// A secret whose base64url spelling holds '_' and '-': the ID ends at the first '_'.
	secret := make([]byte, secretBytes)
	for i := range secret {
		secret[i] = 0xff
	}
	enc := base64.RawURLEncoding.EncodeToString(secret)
	if !strings.ContainsAny(enc, "_-") {
		t.Fatalf("test secret %s has no '_' or '-'", enc)
	}
	id := "0123456789abcdef0123456789abcdef"
	gotID, hash, err := parseAPIToken("hk_" + id + "_" + enc)
	if err != nil || gotID != id || hash != sha256.Sum256(secret) {
		t.Fatalf("parse = %q, %x, %v", gotID, hash, err)
	}
	for _, bad := range []string{
		"", "hk_", "hk_" + id, "hk_" + id + "_", "xx_" + id + "_" + enc,
		"hk_" + strings.ToUpper(id) + "_" + enc, // IDs are lower-case hex
		"hk_" + id[:31] + "_" + enc,
		"hk_" + id + "_" + enc[:42],       // short secret
		"hk_" + id + "_" + enc + "A",      // long secret
		"hk_" + id + "_" + enc[:42] + "=", // padding
		"hk_" + id + "_" + strings.Repeat("!", 43),
	} {
		if _, _, err := parseAPIToken(bad); err == nil {
			t.Errorf("parseAPIToken(%q) accepted", bad)
		}
	}
}

func TestAcceptedIssuers(t *testing.T) {
	t.Parallel()
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"https://login.microsoftonline.com/" + tid + "/v2.0", []string{"https://login.microsoftonline.com/" + tid + "/v2.0", "https://sts.windows.net/" + tid + "/"}},
		{"https://sts.windows.net/" + tid + "/", []string{"https://sts.windows.net/" + tid + "/", "https://login.microsoftonline.com/" + tid + "/v2.0"}},
		{"https://login.microsoftonline.us/" + tid + "/v2.0", []string{"https://login.microsoftonline.us/" + tid + "/v2.0", "https://sts.windows.net/" + tid + "/"}},
		{"https://login.chinacloudapi.cn/" + tid + "/v2.0", []string{"https://login.chinacloudapi.cn/" + tid + "/v2.0", "https://sts.chinacloudapi.cn/" + tid + "/"}},
		{"https://accounts.example.com", []string{"https://accounts.example.com"}},
		// Multi-tenant endpoints are not one issuer.
		{"https://login.microsoftonline.com/common/v2.0", []string{"https://login.microsoftonline.com/common/v2.0"}},
	} {
		if got := acceptedIssuers(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("acceptedIssuers(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestMethodName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/hybridkit.directory.v1.DirectoryService/GrantWriteback": "DirectoryService/GrantWriteback",
		"/Svc/M": "Svc/M",
		"odd":    "odd",
	} {
		if got := methodName(in); got != want {
			t.Errorf("methodName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTargetOfIgnoresNonMessages(t *testing.T) {
	t.Parallel()
	if got := targetOf("not a message"); got != "" {
		t.Errorf("targetOf(string) = %q", got)
	}
	if got := truncate(strings.Repeat("é", 10), 5); got != "éé…" {
		t.Errorf("truncate cuts inside a rune: %q", got)
	}
}
