package analysis

import (
	"testing"
)

func TestParseTLSLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		ok    bool
		want  suite
		token string
	}{
		{
			in: "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDHE with strength 384 bits",
			ok: true, want: suite{outcome: OutcomeTLS12, protocol: "SP_PROT_TLS1_2_SERVER", cipher: "CALG_AES_256", cipherBits: 256, hash: "CALG_SHA_384", kex: "CALG_ECDHE", kexBits: 384},
		},
		{
			in: "TLS protocol SP_PROT_TLS1_CLIENT negotiation succeeded using bulk encryption algorithm CALG_RC4 with strength 40 bits, MAC hash algorithm CALG_SHA with strength 160 bits and key exchange algorithm CALG_DH_EPHEM with strength 512 bits",
			ok: true, want: suite{outcome: OutcomeTLS10, protocol: "SP_PROT_TLS1_CLIENT", cipher: "CALG_RC4", cipherBits: 40, hash: "CALG_SHA", hashBits: 160, kex: "CALG_DH_EPHEM", kexBits: 512,
				weak: WeakCipher | WeakCipherBits | WeakHash | WeakKeyExchange},
		},
		{
			in: "TLS protocol 0x1000 negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits",
			ok: true, want: suite{outcome: OutcomeTLS13, protocol: "0x1000", cipher: "CALG_AES_256", cipherBits: 256, hash: "CALG_SHA_384", kex: "CALG_ECDH_EPHEM", kexBits: 384},
		},
		{ // a wording this package has not seen: the token is kept, the algorithms are still found
			in: "TLS protocol SP_PROT_TLS1_4_SERVER negotiation succeeded using cipher algorithm CALG_CHACHA20 with strength 256 bits and key exchange algorithm CALG_X25519 with strength 255 bits",
			ok: true, want: suite{outcome: OutcomeUnknown, protocol: "SP_PROT_TLS1_4_SERVER", cipher: "CALG_CHACHA20", cipherBits: 256, kex: "CALG_X25519", kexBits: 255},
		},
		{
			in: "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded",
			ok: true, want: suite{outcome: OutcomeTLS12, protocol: "SP_PROT_TLS1_2_SERVER"},
		},
		{in: "TLS negotiation failed with error SocketError", ok: true, want: suite{outcome: OutcomeFailed, failure: "SocketError"}},
		{in: "TLS negotiation failed with error NoCredentials.", ok: true, want: suite{outcome: OutcomeFailed, failure: "NoCredentials"}},
		{in: "TLS negotiation failed", ok: true, want: suite{outcome: OutcomeFailed, failure: "unspecified"}},
		{in: "TLS protocol SP_PROT_TLS1_2_CLIENT negotiation failed with error IllegalMessage", ok: true,
			want: suite{outcome: OutcomeFailed, protocol: "SP_PROT_TLS1_2_CLIENT", failure: "IllegalMessage"}},
		{in: "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'", ok: false},
		{in: "TLS", ok: false},
	}
	for _, tc := range cases {
		got, ok := parseTLSLine([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("parseTLSLine(%q) ok = %v", tc.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if s := suiteOf(got); s != tc.want {
			t.Errorf("parseTLSLine(%q):\n got %+v\nwant %+v", tc.in, s, tc.want)
		}
	}
}

func TestProtocolOutcome(t *testing.T) {
	t.Parallel()
	cases := map[string]Outcome{
		"SP_PROT_SSL3_SERVER": OutcomeSSL3, "SP_PROT_SSL3_CLIENT": OutcomeSSL3,
		"SP_PROT_TLS1_0_SERVER": OutcomeTLS10, "SP_PROT_TLS1_SERVER": OutcomeTLS10,
		"SP_PROT_TLS1_1_CLIENT": OutcomeTLS11, "SP_PROT_TLS1_2_SERVER": OutcomeTLS12,
		"SP_PROT_TLS1_3_SERVER": OutcomeTLS13, "SP_PROT_TLS1_3_CLIENT": OutcomeTLS13,
		"4096": OutcomeTLS13, "8192": OutcomeTLS13, "0x2000": OutcomeTLS13, "0x00000800": OutcomeTLS12,
		"64": OutcomeTLS10, "0x20": OutcomeSSL3,
		"SP_PROT_SSL2_SERVER": OutcomeUnknown, "SP_PROT_DTLS1_2_CLIENT": OutcomeUnknown, "12": OutcomeUnknown,
		"": OutcomeUnknown, "0x": OutcomeUnknown, "TLS1.2": OutcomeUnknown,
	}
	for tok, want := range cases {
		if got := protocolOutcome([]byte(tok)); got != want {
			t.Errorf("protocolOutcome(%q) = %v, want %v", tok, got, want)
		}
	}
}

func TestWeakness(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cipher     string
		cbits      int
		hash, kex  string
		kbits      int
		want       Weakness
		wantReason string
	}{
		{"CALG_AES_256", 256, "CALG_SHA_384", "CALG_ECDHE", 384, 0, ""},
		{"CALG_AES_128", 128, "CALG_SHA_256", "CALG_ECDH_EPHEM", 256, 0, ""},
		{"CALG_3DES", 168, "CALG_SHA_256", "CALG_ECDHE", 256, WeakCipher, "weak cipher"},
		{"CALG_DES", 56, "CALG_SHA_256", "CALG_ECDHE", 256, WeakCipher | WeakCipherBits, "weak cipher; cipher key under 128 bits"},
		{"CALG_AES_256", 256, "CALG_SHA1", "CALG_RSA_KEYX", 2048, WeakHash, "weak MAC hash"},
		{"CALG_AES_256", 256, "CALG_SHA_256", "CALG_RSA_KEYX", 1024, WeakKeyExchange, "short key exchange"},
		{"CALG_AES_256", 256, "CALG_SHA_256", "CALG_ECDH", 160, WeakKeyExchange, "short key exchange"},
		{"CALG_AES_256", 256, "CALG_SHA_256", "CALG_DH_EPHEM", 2048, 0, ""},
		{"CALG_AES_256", 0, "", "", 0, 0, ""},
	}
	for _, tc := range cases {
		got := weakness(tc.cipher, tc.cbits, tc.hash, tc.kex, tc.kbits)
		if got != tc.want || got.String() != tc.wantReason {
			t.Errorf("weakness(%s %d, %s, %s %d) = %v %q, want %v %q", tc.cipher, tc.cbits, tc.hash, tc.kex, tc.kbits, got, got.String(), tc.want, tc.wantReason)
		}
	}
}

func TestParseCertLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Certificate
	}{
		{
			in: " CN=SERVER-HOSTNAME CN=SERVER-HOSTNAME 12DEABC6565646512346ABDC13456894 12DEABC6565646512346ABDC1345689413589876 2020-01-17T15:15:33.000Z 2025-01-17T15:15:33.000Z SERVER-HOSTNAME;SERVER-HOSTNAME.DOMAIN.TEST",
			want: Certificate{Subject: "CN=SERVER-HOSTNAME", Issuer: "CN=SERVER-HOSTNAME", SerialNumber: "12DEABC6565646512346ABDC13456894",
				Thumbprint: "12DEABC6565646512346ABDC1345689413589876", NotBefore: "2020-01-17T15:15:33.000Z", NotAfter: "2025-01-17T15:15:33.000Z",
				AlternateNames: "SERVER-HOSTNAME;SERVER-HOSTNAME.DOMAIN.TEST"},
		},
		{
			in: "CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, C=US CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US 0A1B 3f2e1d0c9b8a79685746352413f2e1d0c9b8a796 2023-06-01T00:00:00.000Z 2024-06-30T23:59:59.000Z",
			want: Certificate{Subject: "CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, C=US", Issuer: "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US",
				SerialNumber: "0A1B", Thumbprint: "3F2E1D0C9B8A79685746352413F2E1D0C9B8A796", NotBefore: "2023-06-01T00:00:00.000Z", NotAfter: "2024-06-30T23:59:59.000Z"},
		},
		{ // dates in another format: anchored on the thumbprint
			in:   "CN=a.example CN=Issuer 01 0123456789ABCDEF0123456789ABCDEF01234567 1/17/2020 3:15:33 PM 1/17/2025 3:15:33 PM a.example",
			want: Certificate{Subject: "CN=a.example", Issuer: "CN=Issuer", SerialNumber: "01", Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567"},
		},
		{in: "nothing recognisable here", want: Certificate{}},
	}
	for _, tc := range cases {
		if got := parseCertLine(tc.in); got != tc.want {
			t.Errorf("parseCertLine(%q):\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestCertAttrOf(t *testing.T) {
	t.Parallel()
	cases := map[string]certAttr{
		"Certificate subject": attrSubject, "Certificate issuer name": attrIssuer, "Certificate serial number": attrSerial,
		"Certificate thumbprint": attrThumbprint, "Certificate alternate names": attrAltNames, "Certificate Not After": attrNotAfter,
		"Certificate valid from": attrNotBefore, "Certificate chain": attrNone, "Client certificate chain validation status: 'EmptyCertificate'": attrNone,
	}
	for in, want := range cases {
		if got := certAttrOf([]byte(in)); got != want {
			t.Errorf("certAttrOf(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	var names []string
	for o := range NumOutcomes {
		names = append(names, o.String())
	}
	want := []string{"None", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "Unknown", "Failed"}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("Outcome(%d) = %q, want %q", i, names[i], want[i])
		}
	}
	if DirectionReceive.String() != "receive" || DirectionSend.String() != "send" || DirectionUnknown.String() != "unknown" {
		t.Error("Direction strings")
	}
	if UpgradeAnonymousTLS.String() != "X-ANONYMOUSTLS" || UpgradeStartTLS.String() != "STARTTLS" || CertReceived.String() != "received" {
		t.Error("Upgrade/CertRole strings")
	}
	c := Counts{1, 2, 3, 4, 5, 6, 7, 8}
	if c.Total() != 36 || c.Legacy() != 10 {
		t.Errorf("Counts %v: total %d legacy %d", c, c.Total(), c.Legacy())
	}
}
