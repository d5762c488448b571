package secdesc

import (
	"fmt"
	"math/bits"
	"strconv"
)

// Access mask bits of directory objects (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3).
const (
	RightCreateChild          uint32 = 0x00000001 // CC
	RightDeleteChild          uint32 = 0x00000002 // DC
	RightListChildren         uint32 = 0x00000004 // LC, "List contents"
	RightSelfWrite            uint32 = 0x00000008 // SW, validated write
	RightReadProperty         uint32 = 0x00000010 // RP
	RightWriteProperty        uint32 = 0x00000020 // WP
	RightDeleteTree           uint32 = 0x00000040 // DT
	RightListObject           uint32 = 0x00000080 // LO
	RightControlAccess        uint32 = 0x00000100 // CR, extended rights
	RightDelete               uint32 = 0x00010000 // SD
	RightReadControl          uint32 = 0x00020000 // RC
	RightWriteDACL            uint32 = 0x00040000 // WD
	RightWriteOwner           uint32 = 0x00080000 // WO
	RightSynchronize          uint32 = 0x00100000
	RightAccessSystemSecurity uint32 = 0x01000000
	RightMaximumAllowed       uint32 = 0x02000000
	RightGenericAll           uint32 = 0x10000000 // GA
	RightGenericExecute       uint32 = 0x20000000 // GX
	RightGenericWrite         uint32 = 0x40000000 // GW
	RightGenericRead          uint32 = 0x80000000 // GR

	// RightFullControl is every directory-specific and standard right: what
	// GenericAll maps to on a directory object.
	RightFullControl uint32 = 0x000F01FF
)

// rightNames names the mask bits, in bit order.
var rightNames = [32]string{
	0:  "Create child",
	1:  "Delete child",
	2:  "List contents",
	3:  "Self write",
	4:  "Read property",
	5:  "Write property",
	6:  "Delete tree",
	7:  "List object",
	8:  "Control access",
	16: "Delete",
	17: "Read control",
	18: "Write DACL",
	19: "Write owner",
	20: "Synchronize",
	24: "Access system security",
	25: "Maximum allowed",
	28: "Generic all",
	29: "Generic execute",
	30: "Generic write",
	31: "Generic read",
}

// RightNames names the bits set in mask, lowest bit first ("Read property",
// "Write property", ...). Bits without a name come out as hex ("0x00000200").
// Extended rights such as Reset Password are not mask bits: they are the object
// type of a Control access ACE (see GUIDName).
func RightNames(mask uint32) []string {
	names := make([]string, 0, bits.OnesCount32(mask))
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m)
		if n := rightNames[i]; n != "" {
			names = append(names, n)
		} else {
			names = append(names, fmt.Sprintf("0x%08x", uint32(1)<<i))
		}
	}
	return names
}

// ExpandGenericRights replaces the generic bits of mask with the directory
// rights they map to (MS-ADTS 5.1.3.2), so that a GenericWrite or GenericAll
// grant can be checked like any other.
func ExpandGenericRights(mask uint32) uint32 {
	const (
		genericRead    = RightReadControl | RightListChildren | RightReadProperty | RightListObject
		genericWrite   = RightReadControl | RightWriteProperty | RightSelfWrite
		genericExecute = RightReadControl | RightListChildren
	)
	out := mask &^ (RightGenericAll | RightGenericRead | RightGenericWrite | RightGenericExecute)
	if mask&RightGenericRead != 0 {
		out |= genericRead
	}
	if mask&RightGenericWrite != 0 {
		out |= genericWrite
	}
	if mask&RightGenericExecute != 0 {
		out |= genericExecute
	}
	if mask&RightGenericAll != 0 {
		out |= RightFullControl
	}
	return out
}

// sddlRight is one two-letter SDDL rights code.
type sddlRight struct {
	code string
	mask uint32
}

// sddlRightsOut is what SDDL output uses, in output order: generic rights, then
// the directory and standard bits from the lowest. Masks with other bits are
// written in hex.
var sddlRightsOut = []sddlRight{
	{"GA", RightGenericAll}, {"GR", RightGenericRead}, {"GW", RightGenericWrite}, {"GX", RightGenericExecute},
	{"CC", RightCreateChild}, {"DC", RightDeleteChild}, {"LC", RightListChildren}, {"SW", RightSelfWrite},
	{"RP", RightReadProperty}, {"WP", RightWriteProperty}, {"DT", RightDeleteTree}, {"LO", RightListObject},
	{"CR", RightControlAccess}, {"SD", RightDelete}, {"RC", RightReadControl}, {"WD", RightWriteDACL},
	{"WO", RightWriteOwner},
}

// sddlMandatoryLabelRights are the mask codes of mandatory label ACEs.
var sddlMandatoryLabelRights = []sddlRight{{"NW", 0x1}, {"NR", 0x2}, {"NX", 0x4}}

// sddlRightsIn is every code SDDL input accepts: the output codes plus the file,
// registry and mandatory-label composites.
var sddlRightsIn = func() map[string]uint32 {
	m := map[string]uint32{
		"FA": 0x001F01FF, "FR": 0x00120089, "FW": 0x00120116, "FX": 0x001200A0,
		"KA": 0x000F003F, "KR": 0x00020019, "KW": 0x00020006, "KX": 0x00020019,
	}
	for _, r := range sddlRightsOut {
		m[r.code] = r.mask
	}
	for _, r := range sddlMandatoryLabelRights {
		m[r.code] = r.mask
	}
	return m
}()

var sddlOutMask = func() uint32 {
	var all uint32
	for _, r := range sddlRightsOut {
		all |= r.mask
	}
	return all
}()

// appendSDDLRights writes mask as two-letter codes when every bit has one
// (mandatory label ACEs use NW/NR/NX), else as 0x-prefixed hex.
func appendSDDLRights(b []byte, mask uint32, t ACEType) []byte {
	table, all := sddlRightsOut, sddlOutMask
	if t == ACETypeMandatoryLabel {
		table, all = sddlMandatoryLabelRights, 0x7
	}
	if mask == 0 || mask&^all != 0 {
		b = append(b, '0', 'x')
		return strconv.AppendUint(b, uint64(mask), 16)
	}
	for _, r := range table {
		if mask&r.mask != 0 {
			b = append(b, r.code...)
		}
	}
	return b
}

// parseSDDLRights reads a rights field: two-letter codes, or a number in hex
// (0x), octal (leading 0) or decimal. It returns an error message or "".
func parseSDDLRights(s string) (uint32, string) {
	if s == "" {
		return 0, ""
	}
	if s[0] >= '0' && s[0] <= '9' {
		base, digits := 10, s
		switch {
		case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
			base, digits = 16, s[2:]
		case len(s) > 1 && s[0] == '0':
			base, digits = 8, s[1:]
		}
		v, n, ok := scanUint(digits, 0, base)
		if !ok || n != len(digits) || v > 1<<32-1 {
			return 0, fmt.Sprintf("bad numeric access mask %q", s)
		}
		return uint32(v), ""
	}
	if len(s)%2 != 0 {
		return 0, fmt.Sprintf("bad access rights %q", s)
	}
	var mask uint32
	for i := 0; i < len(s); i += 2 {
		v, ok := sddlRightsIn[s[i:i+2]]
		if !ok {
			return 0, fmt.Sprintf("unknown access right %q", s[i:i+2])
		}
		mask |= v
	}
	return mask, ""
}
