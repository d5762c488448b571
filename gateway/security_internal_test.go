package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"testing"
	"time"
)

func writePair(t *testing.T, certFile, keyFile, cn string, mod time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	for f, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCertReloader(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := dir+"/c.pem", dir+"/k.pem"
	start := time.Now().Add(-time.Hour)
	writePair(t, certFile, keyFile, "first", start)
	r, err := newCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cn := func() string {
		t.Helper()
		c, err := r.getCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.Subject.CommonName
	}
	if got := cn(); got != "first" {
		t.Fatalf("certificate %q, want first", got)
	}
	// A renewed pair is served once the files are looked at again.
	writePair(t, certFile, keyFile, "renewed", start.Add(time.Minute))
	if got := cn(); got != "first" {
		t.Errorf("reloaded before the check interval: %q", got)
	}
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	if got := cn(); got != "renewed" {
		t.Errorf("after renewal: %q, want renewed", got)
	}
	// A broken file keeps the certificate in use.
	if err := os.WriteFile(certFile, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(certFile, start.Add(2*time.Minute), start.Add(2*time.Minute))
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	if got := cn(); got != "renewed" {
		t.Errorf("after a broken write: %q, want renewed kept", got)
	}
	if _, err := newCertReloader(dir+"/missing.pem", keyFile); err == nil {
		t.Error("a missing certificate file was accepted")
	}
}
