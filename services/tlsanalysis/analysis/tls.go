package analysis

import (
	"bytes"
	"strings"
)

// tlsLine is what a "TLS protocol ... negotiation succeeded" or "TLS
// negotiation failed" context says. Byte slices point into the record.
type tlsLine struct {
	failed     bool
	reason     []byte // failure reason
	protocol   []byte
	cipher     []byte
	cipherBits int
	hash       []byte
	hashBits   int
	kex        []byte
	kexBits    int
}

var (
	prefixTLSProtocol = []byte("TLS protocol ")
	prefixTLSFailed   = []byte("TLS negotiation failed")
	wordAlgorithm     = []byte(" algorithm ")
	wordStrength      = []byte(" with strength ")
	wordWithError     = []byte("with error")
)

// parseTLSLine reads the context of a TLS information line. It reports false
// when ctx is not a TLS negotiation line. Algorithm names and key sizes are
// found generically ("<kind> algorithm NAME with strength N bits") because
// the wording and names change between builds.
func parseTLSLine(ctx []byte) (tlsLine, bool) {
	var t tlsLine
	switch {
	case bytes.HasPrefix(ctx, prefixTLSFailed):
		t.failed = true
		rest := ctx[len(prefixTLSFailed):]
		if i := bytes.Index(rest, wordWithError); i >= 0 {
			rest = rest[i+len(wordWithError):]
		}
		t.reason = bytes.Trim(rest, " .:")
		return t, true
	case bytes.HasPrefix(ctx, prefixTLSProtocol):
	default:
		return t, false
	}
	rest := ctx[len(prefixTLSProtocol):]
	end := bytes.IndexByte(rest, ' ')
	if end < 0 {
		end = len(rest)
	}
	t.protocol = rest[:end]
	rest = rest[end:]
	if i := bytes.Index(rest, []byte("negotiation failed")); i >= 0 && bytes.LastIndex(rest[:i], []byte("succeeded")) < 0 {
		t.failed = true
		r := rest[i+len("negotiation failed"):]
		if j := bytes.Index(r, wordWithError); j >= 0 {
			r = r[j+len(wordWithError):]
		}
		t.reason = bytes.Trim(r, " .:")
		return t, true
	}
	for {
		i := bytes.Index(rest, wordAlgorithm)
		if i < 0 {
			break
		}
		kind := lastWord(rest[:i])
		rest = rest[i+len(wordAlgorithm):]
		end := bytes.IndexAny(rest, " ,")
		if end < 0 {
			end = len(rest)
		}
		name := rest[:end]
		rest = rest[end:]
		bits := -1
		if bytes.HasPrefix(rest, wordStrength) {
			rest = rest[len(wordStrength):]
			bits = 0
			k := 0
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' && k < 9 {
				bits = bits*10 + int(rest[k]-'0')
				k++
			}
			if k == 0 {
				bits = -1
			}
			rest = rest[k:]
		}
		switch string(kind) {
		case "encryption", "cipher", "bulk":
			t.cipher, t.cipherBits = name, bits
		case "hash", "MAC":
			t.hash, t.hashBits = name, bits
		case "exchange":
			t.kex, t.kexBits = name, bits
		}
	}
	return t, true
}

func lastWord(b []byte) []byte {
	b = bytes.TrimRight(b, " ")
	if i := bytes.LastIndexByte(b, ' '); i >= 0 {
		return b[i+1:]
	}
	return b
}

// protocolOutcome maps a protocol token to an outcome. Names are read
// generically (SP_PROT_<VERSION>_<SERVER|CLIENT>); numeric tokens are read as
// the SCHANNEL SP_PROT_* flag values, which is what an enum without a name for
// the value prints (TLS 1.3 is 0x1000 server, 0x2000 client).
func protocolOutcome(tok []byte) Outcome {
	t := string(tok)
	if n, ok := parseFlag(t); ok {
		switch n {
		case 0x10, 0x20:
			return OutcomeSSL3
		case 0x40, 0x80:
			return OutcomeTLS10
		case 0x100, 0x200:
			return OutcomeTLS11
		case 0x400, 0x800:
			return OutcomeTLS12
		case 0x1000, 0x2000:
			return OutcomeTLS13
		}
		return OutcomeUnknown
	}
	t = strings.TrimPrefix(t, "SP_PROT_")
	if i := strings.LastIndexByte(t, '_'); i >= 0 {
		switch t[i+1:] {
		case "SERVER", "CLIENT":
			t = t[:i]
		}
	}
	switch t {
	case "SSL3":
		return OutcomeSSL3
	case "TLS1", "TLS1_0":
		return OutcomeTLS10
	case "TLS1_1":
		return OutcomeTLS11
	case "TLS1_2":
		return OutcomeTLS12
	case "TLS1_3":
		return OutcomeTLS13
	}
	return OutcomeUnknown
}

// parseFlag reads a decimal or 0x-prefixed hexadecimal number.
func parseFlag(s string) (uint64, bool) {
	base := uint64(10)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base = s[2:], 16
	}
	if s == "" || len(s) > 16 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		v := hexVal[s[i]]
		if v < 0 || uint64(v) >= base {
			return 0, false
		}
		n = n*base + uint64(v)
	}
	return n, true
}

var hexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// weakness judges negotiated crypto by the names and sizes Windows logs.
func weakness(cipher string, cipherBits int, hash string, kex string, kexBits int) Weakness {
	var w Weakness
	c := strings.ToUpper(cipher)
	if strings.Contains(c, "RC4") || strings.Contains(c, "DES") || strings.Contains(c, "RC2") || strings.Contains(c, "NULL") {
		w |= WeakCipher
	}
	if cipherBits > 0 && cipherBits < 128 {
		w |= WeakCipherBits
	}
	h := strings.ToUpper(hash)
	if h == "CALG_SHA" || h == "SHA" || strings.Contains(h, "SHA1") || strings.Contains(h, "MD5") {
		w |= WeakHash
	}
	k := strings.ToUpper(kex)
	switch {
	case kexBits <= 0:
	case strings.Contains(k, "ECDH"):
		if kexBits < 224 {
			w |= WeakKeyExchange
		}
	case strings.Contains(k, "RSA") || strings.Contains(k, "DH"):
		if kexBits < 2048 {
			w |= WeakKeyExchange
		}
	}
	return w
}
