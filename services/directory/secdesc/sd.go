package secdesc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Control is the Control field of a security descriptor (MS-DTYP 2.4.6).
type Control uint16

// Control bits.
const (
	ControlOwnerDefaulted     Control = 0x0001
	ControlGroupDefaulted     Control = 0x0002
	ControlDACLPresent        Control = 0x0004
	ControlDACLDefaulted      Control = 0x0008
	ControlSACLPresent        Control = 0x0010
	ControlSACLDefaulted      Control = 0x0020
	ControlDACLTrusted        Control = 0x0040
	ControlServerSecurity     Control = 0x0080
	ControlDACLAutoInheritReq Control = 0x0100
	ControlSACLAutoInheritReq Control = 0x0200
	ControlDACLAutoInherited  Control = 0x0400
	ControlSACLAutoInherited  Control = 0x0800
	ControlDACLProtected      Control = 0x1000 // inheritance from the parent is blocked
	ControlSACLProtected      Control = 0x2000
	ControlRMControlValid     Control = 0x4000 // Sbz1 holds resource-manager control bits
	ControlSelfRelative       Control = 0x8000
)

var controlNames = [16]string{
	"OWNER_DEFAULTED", "GROUP_DEFAULTED", "DACL_PRESENT", "DACL_DEFAULTED",
	"SACL_PRESENT", "SACL_DEFAULTED", "DACL_TRUSTED", "SERVER_SECURITY",
	"DACL_AUTO_INHERIT_REQ", "SACL_AUTO_INHERIT_REQ", "DACL_AUTO_INHERITED", "SACL_AUTO_INHERITED",
	"DACL_PROTECTED", "SACL_PROTECTED", "RM_CONTROL_VALID", "SELF_RELATIVE",
}

// String lists the bits set, e.g. "DACL_PRESENT|DACL_AUTO_INHERITED|SELF_RELATIVE".
func (c Control) String() string {
	if c == 0 {
		return "0"
	}
	var parts []string
	for i, n := range controlNames {
		if c&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}

const headerSize = 20

// SecurityDescriptor is a security descriptor such as an nTSecurityDescriptor
// value. A nil Owner, Group, SACL or DACL is absent; a DACL that is nil while
// ControlDACLPresent is set is a NULL DACL (no access control).
type SecurityDescriptor struct {
	Revision uint8 // 1; 0 is written as 1
	Sbz1     uint8 // resource-manager control bits when ControlRMControlValid is set
	Control  Control
	Owner    *SID
	Group    *SID
	SACL     *ACL
	DACL     *ACL

	// layout is the input Parse read, kept to reproduce it while the
	// descriptor is unchanged. Immutable once set.
	layout *layout
}

// layout records where Parse found each component (0 = absent). Gaps, ACL
// slack and reserved bytes are whatever raw holds there.
type layout struct {
	raw                      []byte
	owner, group, sacl, dacl int
}

// Parse decodes a self-relative security descriptor. It accepts components in
// any order, gaps between them and slack at the end of ACLs, and MarshalBinary
// reproduces such input byte for byte until the descriptor is changed. It
// rejects, with a *FormatError wrapping one of the Err* sentinels, anything
// that is not well formed: bad revisions, offsets into the header or past the
// end, overlapping components, ACL or ACE sizes that do not add up, SIDs with
// more than 15 sub-authorities, and ACL offsets whose *_PRESENT bit is clear.
func Parse(b []byte) (*SecurityDescriptor, error) {
	if len(b) < headerSize {
		return nil, formatErr("header", 0, ErrTruncated, "a descriptor needs a %d-byte header, got %d bytes", headerSize, len(b))
	}
	if b[0] != 1 {
		return nil, formatErr("header", 0, ErrRevision, "revision %d, want 1", b[0])
	}
	sd := &SecurityDescriptor{
		Revision: b[0],
		Sbz1:     b[1],
		Control:  Control(binary.LittleEndian.Uint16(b[2:])),
	}
	if sd.Control&ControlSelfRelative == 0 {
		return nil, formatErr("header", 2, ErrNotSelfRelative, "control %#04x lacks SE_SELF_RELATIVE", uint16(sd.Control))
	}
	type span struct {
		name       string
		start, end int
	}
	spans := make([]span, 0, 4)
	// locate reads the offset in header field at and checks it; 0 is absent.
	locate := func(name string, at int, present Control) (int, error) {
		off := int(binary.LittleEndian.Uint32(b[at:]))
		switch {
		case off == 0:
		case present != 0 && sd.Control&present == 0:
			return 0, formatErr(name, at, ErrPresentFlag, "offset %d is set but control %#04x lacks %s_PRESENT", off, uint16(sd.Control), name)
		case off < headerSize || off >= len(b):
			return 0, formatErr(name, at, ErrOffset, "offset %d is outside %d..%d", off, headerSize, len(b)-1)
		}
		return off, nil
	}
	sidAt := func(name string, at int) (*SID, int, error) {
		off, err := locate(name, at, 0)
		if err != nil || off == 0 {
			return nil, off, err
		}
		sid, n, err := decodeSID(b[off:], off, name)
		if err != nil {
			return nil, 0, err
		}
		spans = append(spans, span{name, off, off + n})
		return &sid, off, nil
	}
	aclAt := func(name string, at int, present Control) (*ACL, int, error) {
		off, err := locate(name, at, present)
		if err != nil || off == 0 {
			return nil, off, err
		}
		acl, n, err := decodeACL(b, off, name)
		if err != nil {
			return nil, 0, err
		}
		spans = append(spans, span{name, off, off + n})
		return acl, off, nil
	}
	lay := &layout{}
	var err error
	if sd.Owner, lay.owner, err = sidAt("owner", 4); err != nil {
		return nil, err
	}
	if sd.Group, lay.group, err = sidAt("group", 8); err != nil {
		return nil, err
	}
	if sd.SACL, lay.sacl, err = aclAt("SACL", 12, ControlSACLPresent); err != nil {
		return nil, err
	}
	if sd.DACL, lay.dacl, err = aclAt("DACL", 16, ControlDACLPresent); err != nil {
		return nil, err
	}
	slices.SortFunc(spans, func(x, y span) int { return x.start - y.start })
	for i := 1; i < len(spans); i++ {
		if p, s := spans[i-1], spans[i]; s.start < p.end {
			return nil, formatErr(s.name, s.start, ErrOverlap, "%s at %d..%d overlaps %s at %d..%d", s.name, s.start, s.end, p.name, p.start, p.end)
		}
	}
	lay.raw = bytes.Clone(b)
	sd.layout = lay
	return sd, nil
}

// MarshalBinary encodes the descriptor in self-relative form. A descriptor
// from Parse that has not been changed comes out exactly as it went in,
// component order, gaps and slack included. Otherwise the layout is canonical,
// as Windows lays it out: header, SACL, DACL, owner, group, without gaps, and
// ControlSelfRelative plus the *_PRESENT bit of each non-nil ACL are set.
func (sd *SecurityDescriptor) MarshalBinary() ([]byte, error) {
	if sd.layout != nil && sd.matchesLayout() {
		return bytes.Clone(sd.layout.raw), nil
	}
	// Size the buffer once; appendCanonical reports any error.
	n := headerSize
	for _, s := range []*SID{sd.Owner, sd.Group} {
		if s != nil {
			n += s.Len()
		}
	}
	for _, l := range []*ACL{sd.SACL, sd.DACL} {
		if l != nil {
			s, _ := l.size()
			n += s
		}
	}
	return sd.appendCanonical(make([]byte, 0, n))
}

// matchesLayout reports whether the descriptor still encodes to what Parse
// read: same header fields and presence, and each component's encoding equal
// to the bytes at its recorded offset. Unmodelled bytes (ACL Sbz1/Sbz2, AclSize
// slack, gaps) come from the input, so they are unchanged by definition.
func (sd *SecurityDescriptor) matchesLayout() bool {
	raw, lay := sd.layout.raw, sd.layout
	if raw[0] != sd.Revision || raw[1] != sd.Sbz1 || Control(binary.LittleEndian.Uint16(raw[2:])) != sd.Control {
		return false
	}
	var scratch [8 + 4*MaxSubAuthorities]byte
	for _, c := range []struct {
		sid *SID
		off int
	}{{sd.Owner, lay.owner}, {sd.Group, lay.group}} {
		if (c.sid == nil) != (c.off == 0) {
			return false
		}
		if c.sid != nil && (c.sid.IsZero() || !bytes.HasPrefix(raw[c.off:], c.sid.appendBinary(scratch[:0]))) {
			return false
		}
	}
	buf := make([]byte, 0, 128)
	for _, c := range []struct {
		acl *ACL
		off int
	}{{sd.SACL, lay.sacl}, {sd.DACL, lay.dacl}} {
		if (c.acl == nil) != (c.off == 0) {
			return false
		}
		if c.acl == nil {
			continue
		}
		h := raw[c.off:]
		if h[0] != c.acl.Revision || int(binary.LittleEndian.Uint16(h[4:])) != len(c.acl.ACEs) {
			return false
		}
		pos := 8
		for i := range c.acl.ACEs {
			var err error
			if buf, err = c.acl.ACEs[i].appendBinary(buf[:0]); err != nil || !bytes.HasPrefix(h[pos:], buf) {
				return false
			}
			pos += len(buf)
		}
	}
	return true
}

// appendCanonical appends the descriptor in the canonical layout.
func (sd *SecurityDescriptor) appendCanonical(b []byte) ([]byte, error) {
	rev := sd.Revision
	if rev == 0 {
		rev = 1
	}
	if rev != 1 {
		return nil, fmt.Errorf("secdesc: descriptor revision %d, want 1", rev)
	}
	ctl := sd.Control | ControlSelfRelative
	if sd.SACL != nil {
		ctl |= ControlSACLPresent
	}
	if sd.DACL != nil {
		ctl |= ControlDACLPresent
	}
	for _, s := range []*SID{sd.Owner, sd.Group} {
		if s != nil && s.IsZero() {
			return nil, fmt.Errorf("secdesc: owner or group is the zero SID")
		}
	}
	start := len(b)
	b = append(b, rev, sd.Sbz1)
	b = binary.LittleEndian.AppendUint16(b, uint16(ctl))
	b = append(b, make([]byte, 16)...)
	setOffset := func(field int) {
		binary.LittleEndian.PutUint32(b[start+field:], uint32(len(b)-start))
	}
	var err error
	if sd.SACL != nil {
		setOffset(12)
		if b, err = sd.SACL.appendBinary(b); err != nil {
			return nil, fmt.Errorf("secdesc: SACL: %w", err)
		}
	}
	if sd.DACL != nil {
		setOffset(16)
		if b, err = sd.DACL.appendBinary(b); err != nil {
			return nil, fmt.Errorf("secdesc: DACL: %w", err)
		}
	}
	if sd.Owner != nil {
		setOffset(4)
		b = sd.Owner.appendBinary(b)
	}
	if sd.Group != nil {
		setOffset(8)
		b = sd.Group.appendBinary(b)
	}
	return b, nil
}

// Clone returns a deep copy. The copy still reproduces the parsed input while
// it matches it.
func (sd *SecurityDescriptor) Clone() *SecurityDescriptor {
	c := *sd
	if sd.Owner != nil {
		o := *sd.Owner
		c.Owner = &o
	}
	if sd.Group != nil {
		g := *sd.Group
		c.Group = &g
	}
	c.SACL = sd.SACL.Clone()
	c.DACL = sd.DACL.Clone()
	return &c
}

// Equal reports whether the two descriptors have the same header fields,
// owner, group and ACLs. Where Parse found the components does not matter.
func (sd *SecurityDescriptor) Equal(o *SecurityDescriptor) bool {
	return sd.Revision == o.Revision && sd.Sbz1 == o.Sbz1 && sd.Control == o.Control &&
		sidPtrEqual(sd.Owner, o.Owner) && sidPtrEqual(sd.Group, o.Group) &&
		sd.SACL.Equal(o.SACL) && sd.DACL.Equal(o.DACL)
}

func sidPtrEqual(a, b *SID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
