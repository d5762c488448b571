package secdesc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// MaxSubAuthorities is the largest SubAuthorityCount a SID may have (MS-DTYP 2.4.2.2).
const MaxSubAuthorities = 15

// maxAuthority is the largest 48-bit identifier authority.
const maxAuthority = 1<<48 - 1

// SID is a security identifier (MS-DTYP 2.4.2). It is comparable, so it can be
// a map key and compared with ==. The zero value means "no SID" (IsZero); every
// SID built by this package has revision 1.
type SID struct {
	rev  byte
	n    byte
	auth [6]byte // big-endian, as on the wire
	sub  [MaxSubAuthorities]uint32
}

// NewSID builds a revision-1 SID from a 48-bit identifier authority and up to
// 15 sub-authorities.
func NewSID(authority uint64, subAuthorities ...uint32) (SID, error) {
	if authority > maxAuthority {
		return SID{}, fmt.Errorf("secdesc: SID authority %#x exceeds 48 bits", authority)
	}
	if len(subAuthorities) > MaxSubAuthorities {
		return SID{}, fmt.Errorf("secdesc: SID has %d sub-authorities, at most %d allowed: %w",
			len(subAuthorities), MaxSubAuthorities, ErrSubAuthorityCount)
	}
	s := SID{rev: 1, n: byte(len(subAuthorities))}
	for k := range 6 {
		s.auth[5-k] = byte(authority >> (8 * k))
	}
	copy(s.sub[:], subAuthorities)
	return s, nil
}

// mustSID is NewSID for the package's own well-known values, all valid literals.
func mustSID(authority uint64, subAuthorities ...uint32) SID {
	s, err := NewSID(authority, subAuthorities...)
	if err != nil {
		panic(err)
	}
	return s
}

// IsZero reports whether s is the zero value ("no SID").
func (s SID) IsZero() bool { return s.rev == 0 }

// Revision returns the SID revision: 1, or 0 for the zero value.
func (s SID) Revision() byte { return s.rev }

// Authority returns the 48-bit identifier authority (5 for NT AUTHORITY).
func (s SID) Authority() uint64 {
	var a uint64
	for _, b := range s.auth {
		a = a<<8 | uint64(b)
	}
	return a
}

// SubAuthorities returns a copy of the sub-authorities.
func (s SID) SubAuthorities() []uint32 {
	return append([]uint32(nil), s.sub[:s.n]...)
}

// SubAuthorityCount returns the number of sub-authorities.
func (s SID) SubAuthorityCount() int { return int(s.n) }

// RID returns the last sub-authority (the relative identifier), or false when
// the SID has none.
func (s SID) RID() (uint32, bool) {
	if s.n == 0 {
		return 0, false
	}
	return s.sub[s.n-1], true
}

// Parent returns s without its last sub-authority: the domain SID of an account
// SID. It returns false when s has no sub-authority.
func (s SID) Parent() (SID, bool) {
	if s.IsZero() || s.n == 0 {
		return SID{}, false
	}
	p := s
	p.n--
	p.sub[p.n] = 0
	return p, true
}

// Child returns s with rid appended, e.g. domain.Child(512) for Domain Admins.
func (s SID) Child(rid uint32) (SID, error) {
	if s.IsZero() {
		return SID{}, errors.New("secdesc: Child of the zero SID")
	}
	if s.n >= MaxSubAuthorities {
		return SID{}, fmt.Errorf("secdesc: SID %s already has %d sub-authorities: %w", s, s.n, ErrSubAuthorityCount)
	}
	c := s
	c.sub[c.n] = rid
	c.n++
	return c, nil
}

// Len returns the size of the binary form: 8 + 4 per sub-authority (0 for the
// zero SID).
func (s SID) Len() int {
	if s.IsZero() {
		return 0
	}
	return 8 + 4*int(s.n)
}

// String returns the S-1-... form (MS-DTYP 2.4.2.1): the authority in decimal
// below 2^32, otherwise as 0x and 12 hex digits. The zero SID gives "".
func (s SID) String() string {
	if s.IsZero() {
		return ""
	}
	b := make([]byte, 0, 16+11*int(s.n))
	return string(s.appendString(b))
}

func (s SID) appendString(b []byte) []byte {
	b = append(b, 'S', '-')
	b = strconv.AppendUint(b, uint64(s.rev), 10)
	b = append(b, '-')
	if a := s.Authority(); a < 1<<32 {
		b = strconv.AppendUint(b, a, 10)
	} else {
		b = fmt.Appendf(b, "0x%012X", a)
	}
	for _, v := range s.sub[:s.n] {
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// AppendBinary appends the wire form of s to b.
func (s SID) AppendBinary(b []byte) ([]byte, error) {
	if s.IsZero() {
		return b, errors.New("secdesc: cannot encode the zero SID")
	}
	return s.appendBinary(b), nil
}

func (s SID) appendBinary(b []byte) []byte {
	b = append(b, s.rev, s.n)
	b = append(b, s.auth[:]...)
	for _, v := range s.sub[:s.n] {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// MarshalBinary returns the wire form of s (as in objectSid values).
func (s SID) MarshalBinary() ([]byte, error) { return s.AppendBinary(make([]byte, 0, s.Len())) }

// UnmarshalBinary sets s from exactly one wire-form SID.
func (s *SID) UnmarshalBinary(b []byte) error {
	v, err := SIDFromBytes(b)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText returns the S-1-... form.
func (s SID) MarshalText() ([]byte, error) {
	if s.IsZero() {
		return nil, errors.New("secdesc: cannot encode the zero SID")
	}
	return s.appendString(nil), nil
}

// UnmarshalText parses the S-1-... form.
func (s *SID) UnmarshalText(b []byte) error {
	v, err := ParseSID(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SIDFromBytes decodes one wire-form SID that fills b exactly, such as an
// objectSid value or one tokenGroups value.
func SIDFromBytes(b []byte) (SID, error) {
	s, n, err := decodeSID(b, 0, "SID")
	if err != nil {
		return SID{}, err
	}
	if n != len(b) {
		return SID{}, formatErr("SID", n, ErrTrailingData, "%d bytes after a %d-byte SID", len(b)-n, n)
	}
	return s, nil
}

// decodeSID decodes the SID at the start of b; base is b's offset in the whole
// input, for error messages. It returns the SID and its length.
func decodeSID(b []byte, base int, component string) (SID, int, error) {
	if len(b) < 8 {
		return SID{}, 0, formatErr(component, base, ErrTruncated, "SID needs at least 8 bytes, %d left", len(b))
	}
	if b[0] != 1 {
		return SID{}, 0, formatErr(component, base, ErrRevision, "SID revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > MaxSubAuthorities {
		return SID{}, 0, formatErr(component, base+1, ErrSubAuthorityCount, "SubAuthorityCount %d exceeds %d", n, MaxSubAuthorities)
	}
	size := 8 + 4*n
	if len(b) < size {
		return SID{}, 0, formatErr(component, base, ErrTruncated, "SID with %d sub-authorities needs %d bytes, %d left", n, size, len(b))
	}
	s := SID{rev: 1, n: byte(n)}
	copy(s.auth[:], b[2:8])
	for i := range n {
		s.sub[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	return s, size, nil
}

// ParseSID parses the S-1-... form. The authority may be decimal or 0x-prefixed
// hex (up to 48 bits); sub-authorities are decimal and fit in 32 bits.
func ParseSID(s string) (SID, error) {
	v, n, msg := scanSID(s, 0)
	if msg != "" {
		return SID{}, &SyntaxError{Input: s, Offset: n, Msg: msg}
	}
	if n != len(s) {
		return SID{}, &SyntaxError{Input: s, Offset: n, Msg: "unexpected characters after SID"}
	}
	return v, nil
}

// scanSID reads a SID string starting at s[i]. It stops at the first character
// that cannot continue the SID, so it also works inside SDDL. On failure it
// returns the offset of the problem and a message.
func scanSID(s string, i int) (SID, int, string) {
	if len(s)-i < 2 || (s[i] != 'S' && s[i] != 's') || s[i+1] != '-' {
		return SID{}, i, `SID must start with "S-"`
	}
	i += 2
	rev, j, ok := scanUint(s, i, 10)
	if !ok || rev != 1 {
		return SID{}, i, "SID revision must be 1"
	}
	i = j
	if i >= len(s) || s[i] != '-' {
		return SID{}, i, "SID needs an identifier authority"
	}
	i++
	var auth uint64
	if len(s)-i > 2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		// At most 12 digits: in SDDL a "D:" may follow, and D is a hex digit.
		end := min(len(s), i+2+12)
		auth, j, ok = scanUint(s[:end], i+2, 16)
	} else {
		auth, j, ok = scanUint(s, i, 10)
	}
	if !ok || auth > maxAuthority {
		return SID{}, i, "bad SID identifier authority"
	}
	i = j
	sid := SID{rev: 1}
	for k := range 6 {
		sid.auth[5-k] = byte(auth >> (8 * k))
	}
	for i < len(s) && s[i] == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		if sid.n == MaxSubAuthorities {
			return SID{}, i, "SID has more than 15 sub-authorities"
		}
		v, j, ok := scanUint(s, i+1, 10)
		if !ok || v > 1<<32-1 {
			return SID{}, i + 1, "SID sub-authority does not fit in 32 bits"
		}
		sid.sub[sid.n] = uint32(v)
		sid.n++
		i = j
	}
	return sid, i, ""
}

// scanUint reads digits in the given base from s[i:], refusing values over
// 2^48-1 (enough for every caller) and empty digit strings.
func scanUint(s string, i, base int) (uint64, int, bool) {
	start := i
	var v uint64
	for i < len(s) {
		d, ok := digitVal(s[i], base)
		if !ok {
			break
		}
		v = v*uint64(base) + uint64(d)
		if v > maxAuthority {
			return 0, i, false
		}
		i++
	}
	return v, i, i > start
}

func digitVal(c byte, base int) (int, bool) {
	var d int
	switch {
	case c >= '0' && c <= '9':
		d = int(c - '0')
	case c >= 'a' && c <= 'f':
		d = int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		d = int(c-'A') + 10
	default:
		return 0, false
	}
	return d, d < base
}
