package secdesc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// ACEType is the AceType field of an ACE header (MS-DTYP 2.4.4.1).
type ACEType uint8

// ACE types. Every type but ACETypeAccessAllowedCompound and the values past
// ACETypeAccessFilter shares one layout (mask, object part for the object
// types, SID, then optional data) and is decoded; the others are kept as raw
// bytes.
const (
	ACETypeAccessAllowed               ACEType = 0x00 // A
	ACETypeAccessDenied                ACEType = 0x01 // D
	ACETypeSystemAudit                 ACEType = 0x02 // AU
	ACETypeSystemAlarm                 ACEType = 0x03 // AL
	ACETypeAccessAllowedCompound       ACEType = 0x04 // reserved; kept raw
	ACETypeAccessAllowedObject         ACEType = 0x05 // OA
	ACETypeAccessDeniedObject          ACEType = 0x06 // OD
	ACETypeSystemAuditObject           ACEType = 0x07 // OU
	ACETypeSystemAlarmObject           ACEType = 0x08 // OL
	ACETypeAccessAllowedCallback       ACEType = 0x09 // XA
	ACETypeAccessDeniedCallback        ACEType = 0x0A // XD
	ACETypeAccessAllowedCallbackObject ACEType = 0x0B // ZA
	ACETypeAccessDeniedCallbackObject  ACEType = 0x0C // no SDDL code
	ACETypeSystemAuditCallback         ACEType = 0x0D // XU
	ACETypeSystemAlarmCallback         ACEType = 0x0E // no SDDL code
	ACETypeSystemAuditCallbackObject   ACEType = 0x0F // no SDDL code
	ACETypeSystemAlarmCallbackObject   ACEType = 0x10 // no SDDL code
	ACETypeMandatoryLabel              ACEType = 0x11 // ML
	ACETypeResourceAttribute           ACEType = 0x12 // RA
	ACETypeScopedPolicyID              ACEType = 0x13 // SP
	ACETypeProcessTrustLabel           ACEType = 0x14 // TL
	ACETypeAccessFilter                ACEType = 0x15 // FL
)

// Decoded reports whether this package decodes ACEs of type t into fields;
// ACEs of other types keep their body in ACE.Raw.
func (t ACEType) Decoded() bool {
	return t <= ACETypeAccessFilter && t != ACETypeAccessAllowedCompound
}

// IsObject reports whether t carries the object part (flags and GUIDs).
func (t ACEType) IsObject() bool {
	switch t {
	case ACETypeAccessAllowedObject, ACETypeAccessDeniedObject, ACETypeSystemAuditObject,
		ACETypeSystemAlarmObject, ACETypeAccessAllowedCallbackObject, ACETypeAccessDeniedCallbackObject,
		ACETypeSystemAuditCallbackObject, ACETypeSystemAlarmCallbackObject:
		return true
	}
	return false
}

// IsAllow reports whether t grants access.
func (t ACEType) IsAllow() bool {
	switch t {
	case ACETypeAccessAllowed, ACETypeAccessAllowedObject, ACETypeAccessAllowedCallback,
		ACETypeAccessAllowedCallbackObject:
		return true
	}
	return false
}

// IsDeny reports whether t denies access.
func (t ACEType) IsDeny() bool {
	switch t {
	case ACETypeAccessDenied, ACETypeAccessDeniedObject, ACETypeAccessDeniedCallback,
		ACETypeAccessDeniedCallbackObject:
		return true
	}
	return false
}

// IsAudit reports whether t is a SACL audit or alarm type.
func (t ACEType) IsAudit() bool {
	switch t {
	case ACETypeSystemAudit, ACETypeSystemAlarm, ACETypeSystemAuditObject, ACETypeSystemAlarmObject,
		ACETypeSystemAuditCallback, ACETypeSystemAlarmCallback, ACETypeSystemAuditCallbackObject,
		ACETypeSystemAlarmCallbackObject:
		return true
	}
	return false
}

// sddlACETypes maps the types that have an SDDL code to it. ZA and XU follow
// Windows and Samba (an old MS-DTYP revision had the two swapped).
var sddlACETypes = map[ACEType]string{
	ACETypeAccessAllowed:               "A",
	ACETypeAccessDenied:                "D",
	ACETypeSystemAudit:                 "AU",
	ACETypeSystemAlarm:                 "AL",
	ACETypeAccessAllowedObject:         "OA",
	ACETypeAccessDeniedObject:          "OD",
	ACETypeSystemAuditObject:           "OU",
	ACETypeSystemAlarmObject:           "OL",
	ACETypeAccessAllowedCallback:       "XA",
	ACETypeAccessDeniedCallback:        "XD",
	ACETypeAccessAllowedCallbackObject: "ZA",
	ACETypeSystemAuditCallback:         "XU",
	ACETypeMandatoryLabel:              "ML",
	ACETypeResourceAttribute:           "RA",
	ACETypeScopedPolicyID:              "SP",
	ACETypeProcessTrustLabel:           "TL",
	ACETypeAccessFilter:                "FL",
}

var sddlACETypeByCode = func() map[string]ACEType {
	m := make(map[string]ACEType, len(sddlACETypes))
	for t, c := range sddlACETypes {
		m[c] = t
	}
	return m
}()

// String returns the SDDL code of t, or 0x and two hex digits when it has none.
func (t ACEType) String() string {
	if c, ok := sddlACETypes[t]; ok {
		return c
	}
	return fmt.Sprintf("0x%02x", uint8(t))
}

// ACEFlags is the AceFlags field of an ACE header.
type ACEFlags uint8

// ACE flags (MS-DTYP 2.4.4.1).
const (
	FlagObjectInherit      ACEFlags = 0x01 // OI
	FlagContainerInherit   ACEFlags = 0x02 // CI
	FlagNoPropagateInherit ACEFlags = 0x04 // NP
	FlagInheritOnly        ACEFlags = 0x08 // IO
	FlagInherited          ACEFlags = 0x10 // ID
	FlagSuccessfulAccess   ACEFlags = 0x40 // SA
	FlagFailedAccess       ACEFlags = 0x80 // FA
)

// sddlFlags lists the flag codes in output order (lowest bit first).
var sddlFlags = []struct {
	code string
	flag ACEFlags
}{
	{"OI", FlagObjectInherit}, {"CI", FlagContainerInherit}, {"NP", FlagNoPropagateInherit},
	{"IO", FlagInheritOnly}, {"ID", FlagInherited}, {"SA", FlagSuccessfulAccess}, {"FA", FlagFailedAccess},
}

const knownFlags = FlagObjectInherit | FlagContainerInherit | FlagNoPropagateInherit | FlagInheritOnly |
	FlagInherited | FlagSuccessfulAccess | FlagFailedAccess

// String returns the SDDL form of f ("CIIO"); when a bit without a code is
// set, the whole byte as 0x and two hex digits.
func (f ACEFlags) String() string { return string(f.appendSDDL(nil)) }

func (f ACEFlags) appendSDDL(b []byte) []byte {
	if f&^knownFlags != 0 {
		return fmt.Appendf(b, "0x%02x", uint8(f))
	}
	for _, c := range sddlFlags {
		if f&c.flag != 0 {
			b = append(b, c.code...)
		}
	}
	return b
}

// Object ACE flags: which GUIDs follow (MS-DTYP 2.4.4.3).
const (
	ObjectTypePresent          uint32 = 0x1
	InheritedObjectTypePresent uint32 = 0x2
)

// ACE is one access control entry.
//
// For decoded types (ACEType.Decoded) the fields hold the ACE and Raw holds any
// bytes inside AceSize after the SID: callback and conditional application
// data, resource attributes, or padding, kept as they are. For other types only
// Type and Flags are set and Raw holds every byte after the 4-byte header.
// Either way encoding reproduces the ACE byte for byte.
type ACE struct {
	Type  ACEType
	Flags ACEFlags
	Mask  uint32
	// ObjectFlags is the Flags field of an object ACE as read. Encoding
	// recomputes bits 0x1 and 0x2 from ObjectType and InheritedObjectType and
	// keeps any other bit. Always 0 for other types.
	ObjectFlags         uint32
	ObjectType          *GUID // object ACEs: the property, property set, right or class; nil for all
	InheritedObjectType *GUID // object ACEs: the class of child that inherits; nil for all
	SID                 SID
	Raw                 []byte
}

// IsInherited reports whether the ACE was inherited from a parent (ID).
func (a *ACE) IsInherited() bool { return a.Flags&FlagInherited != 0 }

// AppliesToThisObject reports whether the ACE takes part in access checks on
// the object that holds it, that is, it is not inherit-only (IO).
func (a *ACE) AppliesToThisObject() bool { return a.Flags&FlagInheritOnly == 0 }

// InheritsTo reports whether a child object inherits the ACE as an effective
// entry: container-inherit (CI) is set, which is what propagates ACEs in Active
// Directory, and InheritedObjectType is unset or is one of childClasses. Pass
// the child's structural class and any auxiliary classes, as a DC does; not
// its superclasses: an ACE for user objects does not reach inetOrgPerson
// objects, which is why default ACLs name both. NP does not stop the direct
// child.
func (a *ACE) InheritsTo(childClasses ...GUID) bool {
	if a.Flags&FlagContainerInherit == 0 {
		return false
	}
	return a.InheritedObjectType == nil || slices.Contains(childClasses, *a.InheritedObjectType)
}

// Equal reports whether a and b encode to the same bytes.
func (a *ACE) Equal(b *ACE) bool {
	return a.Type == b.Type && a.Flags == b.Flags && a.Mask == b.Mask &&
		a.ObjectFlags&^(ObjectTypePresent|InheritedObjectTypePresent) == b.ObjectFlags&^(ObjectTypePresent|InheritedObjectTypePresent) &&
		guidPtrEqual(a.ObjectType, b.ObjectType) && guidPtrEqual(a.InheritedObjectType, b.InheritedObjectType) &&
		a.SID == b.SID && bytes.Equal(a.Raw, b.Raw)
}

func guidPtrEqual(a, b *GUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// clone returns a copy of a that shares no memory with it.
func (a *ACE) clone() ACE {
	c := *a
	if a.ObjectType != nil {
		g := *a.ObjectType
		c.ObjectType = &g
	}
	if a.InheritedObjectType != nil {
		g := *a.InheritedObjectType
		c.InheritedObjectType = &g
	}
	if a.Raw != nil {
		c.Raw = append([]byte(nil), a.Raw...)
	}
	return c
}

// String returns the ACE in SDDL, with fixed SID aliases (see SDDLOptions).
func (a ACE) String() string { return SDDLOptions{}.FormatACE(a) }

// size returns the encoded size of the ACE, checking that it can be encoded.
func (a *ACE) size() (int, error) {
	if !a.Type.Decoded() {
		if a.Mask != 0 || a.ObjectFlags != 0 || a.ObjectType != nil || a.InheritedObjectType != nil || !a.SID.IsZero() {
			return 0, fmt.Errorf("secdesc: ACE type %s is kept raw; only Flags and Raw may be set", a.Type)
		}
		return a.checkSize(4 + len(a.Raw))
	}
	if a.SID.IsZero() {
		return 0, fmt.Errorf("secdesc: ACE of type %s has no SID", a.Type)
	}
	n := 8 + a.SID.Len() + len(a.Raw)
	if a.Type.IsObject() {
		n += 4
		if a.ObjectType != nil {
			n += 16
		}
		if a.InheritedObjectType != nil {
			n += 16
		}
	} else if a.ObjectFlags != 0 || a.ObjectType != nil || a.InheritedObjectType != nil {
		return 0, fmt.Errorf("secdesc: ACE type %s has no object part; ObjectFlags and GUIDs must be unset", a.Type)
	}
	return a.checkSize(n)
}

func (a *ACE) checkSize(n int) (int, error) {
	if n%4 != 0 {
		return 0, fmt.Errorf("secdesc: ACE of type %s would be %d bytes, not a multiple of 4 (check Raw)", a.Type, n)
	}
	if n > 0xFFFF {
		return 0, fmt.Errorf("secdesc: ACE of type %s would be %d bytes, more than AceSize can hold", a.Type, n)
	}
	return n, nil
}

// appendBinary appends the wire form of the ACE.
func (a *ACE) appendBinary(b []byte) ([]byte, error) {
	n, err := a.size()
	if err != nil {
		return b, err
	}
	b = append(b, byte(a.Type), byte(a.Flags))
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	if !a.Type.Decoded() {
		return append(b, a.Raw...), nil
	}
	b = binary.LittleEndian.AppendUint32(b, a.Mask)
	if a.Type.IsObject() {
		flags := a.ObjectFlags &^ (ObjectTypePresent | InheritedObjectTypePresent)
		if a.ObjectType != nil {
			flags |= ObjectTypePresent
		}
		if a.InheritedObjectType != nil {
			flags |= InheritedObjectTypePresent
		}
		b = binary.LittleEndian.AppendUint32(b, flags)
		if a.ObjectType != nil {
			b = append(b, a.ObjectType[:]...)
		}
		if a.InheritedObjectType != nil {
			b = append(b, a.InheritedObjectType[:]...)
		}
	}
	b = a.SID.appendBinary(b)
	return append(b, a.Raw...), nil
}

// MarshalBinary returns the wire form of the ACE.
func (a ACE) MarshalBinary() ([]byte, error) { return a.appendBinary(nil) }

// guidSlab hands out GUID pointers from a few allocations instead of one each.
type guidSlab []GUID

// next copies b into the slab and returns a pointer to it. A full slab is
// replaced, not grown, so earlier pointers stay valid.
func (s *guidSlab) next(b []byte) *GUID {
	if len(*s) == cap(*s) {
		*s = make(guidSlab, 0, 32)
	}
	*s = append(*s, GUID(b))
	return &(*s)[len(*s)-1]
}

// decodeACE decodes the ACE at the start of b, where b ends at the end of the
// enclosing ACL; base is b's offset in the input. It returns the ACE and
// AceSize.
func decodeACE(b []byte, base int, component string, slab *guidSlab) (ACE, int, error) {
	if len(b) < 4 {
		return ACE{}, 0, formatErr(component, base, ErrACLSize, "ACE header needs 4 bytes, %d left in the ACL", len(b))
	}
	a := ACE{Type: ACEType(b[0]), Flags: ACEFlags(b[1])}
	size := int(binary.LittleEndian.Uint16(b[2:]))
	switch {
	case size < 4:
		return ACE{}, 0, formatErr(component, base+2, ErrACESize, "AceSize %d is smaller than the 4-byte header", size)
	case size%4 != 0:
		return ACE{}, 0, formatErr(component, base+2, ErrACESize, "AceSize %d is not a multiple of 4", size)
	case size > len(b):
		return ACE{}, 0, formatErr(component, base+2, ErrACESize, "AceSize %d runs past the ACL (%d bytes left)", size, len(b))
	}
	body := b[4:size]
	if !a.Type.Decoded() {
		if len(body) > 0 {
			a.Raw = append([]byte(nil), body...)
		}
		return a, size, nil
	}
	if len(body) < 4 {
		return ACE{}, 0, formatErr(component, base, ErrTruncated, "AceSize %d leaves no room for the access mask", size)
	}
	a.Mask = binary.LittleEndian.Uint32(body)
	pos := 4
	if a.Type.IsObject() {
		if len(body) < pos+4 {
			return ACE{}, 0, formatErr(component, base, ErrTruncated, "AceSize %d leaves no room for the object flags", size)
		}
		a.ObjectFlags = binary.LittleEndian.Uint32(body[pos:])
		pos += 4
		for _, f := range []uint32{ObjectTypePresent, InheritedObjectTypePresent} {
			if a.ObjectFlags&f == 0 {
				continue
			}
			if len(body) < pos+16 {
				return ACE{}, 0, formatErr(component, base+4+pos, ErrTruncated, "object GUID runs past AceSize %d", size)
			}
			g := slab.next(body[pos : pos+16])
			if f == ObjectTypePresent {
				a.ObjectType = g
			} else {
				a.InheritedObjectType = g
			}
			pos += 16
		}
	}
	sid, n, err := decodeSID(body[pos:], base+4+pos, component)
	if err != nil {
		return ACE{}, 0, err
	}
	a.SID = sid
	pos += n
	if pos < len(body) {
		a.Raw = append([]byte(nil), body[pos:]...)
	}
	return a, size, nil
}

// Describe says in words what the ACE does, e.g. "Allow Authenticated Users:
// Control access (Reset Password) on descendant user objects".
func (a *ACE) Describe() string {
	var b strings.Builder
	switch {
	case !a.Type.Decoded():
		fmt.Fprintf(&b, "Unknown ACE type %s (%d bytes of data)", a.Type, len(a.Raw))
		if a.IsInherited() {
			b.WriteString(" (inherited)")
		}
		return b.String()
	case a.Type.IsAllow():
		b.WriteString("Allow ")
	case a.Type.IsDeny():
		b.WriteString("Deny ")
	case a.Type.IsAudit():
		b.WriteString(auditVerb(a))
	default:
		b.WriteString(a.Type.describeName())
		b.WriteByte(' ')
	}
	b.WriteString(a.SID.displayName())
	b.WriteString(": ")
	b.WriteString(a.describeRights())
	b.WriteByte(' ')
	b.WriteString(a.describeScope())
	if a.IsInherited() {
		b.WriteString(" (inherited)")
	}
	if a.Type >= ACETypeAccessAllowedCallback && a.Type <= ACETypeSystemAlarmCallbackObject && len(a.Raw) > 0 {
		b.WriteString(" when its condition holds")
	}
	return b.String()
}

func auditVerb(a *ACE) string {
	verb := "Audit "
	if a.Type == ACETypeSystemAlarm || a.Type == ACETypeSystemAlarmObject ||
		a.Type == ACETypeSystemAlarmCallback || a.Type == ACETypeSystemAlarmCallbackObject {
		verb = "Alarm on "
	}
	switch a.Flags & (FlagSuccessfulAccess | FlagFailedAccess) {
	case FlagSuccessfulAccess:
		return verb + "success of "
	case FlagFailedAccess:
		return verb + "failure of "
	case FlagSuccessfulAccess | FlagFailedAccess:
		return verb + "success and failure of "
	}
	return verb + "(no success or failure flag) "
}

func (t ACEType) describeName() string {
	switch t {
	case ACETypeMandatoryLabel:
		return "Mandatory label"
	case ACETypeResourceAttribute:
		return "Resource attribute"
	case ACETypeScopedPolicyID:
		return "Scoped policy"
	case ACETypeProcessTrustLabel:
		return "Process trust label"
	case ACETypeAccessFilter:
		return "Access filter"
	}
	return "ACE type " + t.String()
}

func (a *ACE) describeRights() string {
	var rights string
	switch {
	case a.Mask == 0:
		rights = "no rights"
	case a.Type == ACETypeMandatoryLabel:
		var names []string
		for i, n := range []string{"No write up", "No read up", "No execute up"} {
			if a.Mask&(1<<i) != 0 {
				names = append(names, n)
			}
		}
		if rest := a.Mask &^ 7; rest != 0 {
			names = append(names, RightNames(rest)...)
		}
		rights = strings.Join(names, ", ")
	case a.Mask == RightFullControl:
		rights = "Full control"
	default:
		rights = strings.Join(RightNames(a.Mask), ", ")
	}
	if a.ObjectType == nil {
		return rights
	}
	var kinds []GUIDKind
	switch {
	case a.Mask&RightControlAccess != 0:
		kinds = []GUIDKind{KindExtendedRight}
	case a.Mask&RightSelfWrite != 0:
		kinds = []GUIDKind{KindValidatedWrite}
	case a.Mask&(RightReadProperty|RightWriteProperty) != 0:
		kinds = []GUIDKind{KindAttribute, KindPropertySet}
	case a.Mask&(RightCreateChild|RightDeleteChild) != 0:
		kinds = []GUIDKind{KindClass}
	}
	return rights + " (" + guidNameFor(*a.ObjectType, kinds...) + ")"
}

func (a *ACE) describeScope() string {
	objects := "objects"
	if a.InheritedObjectType != nil {
		objects = guidNameFor(*a.InheritedObjectType, KindClass) + " objects"
	}
	inherit := a.Flags&FlagContainerInherit != 0
	np := a.Flags&FlagNoPropagateInherit != 0
	switch {
	case !inherit && a.AppliesToThisObject():
		return "on this object only"
	case !inherit:
		return "on nothing (inherit-only without container inherit)"
	case a.AppliesToThisObject() && np:
		return "on this object and child " + objects
	case a.AppliesToThisObject():
		return "on this object and descendant " + objects
	case np:
		return "on child " + objects
	default:
		return "on descendant " + objects
	}
}
