package secdesc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// SDDLOptions controls SID aliases in SDDL (MS-DTYP 2.5.1).
//
// Aliases for SIDs that are the same everywhere (WD, AU, SY, BA, PS, CO, ED,
// RU, AO, ...) are always accepted and always emitted in place of the SID.
// Aliases relative to a domain (DA, DU, DC, DD, CA, PA, LA, LG, CN, AP, KA, RS)
// or to the forest root domain (EA, SA, RO, EK) need that domain: with Domain
// zero they are refused on input and never emitted, so SIDs of domain accounts
// come out as S-1-5-21-...; with Domain set they are resolved on input and
// emitted for SIDs of that domain. ForestRoot defaults to Domain.
//
// Output is canonical: ACE flags lowest bit first (OICIIO...), rights as GA,
// GR, GW, GX then the directory and standard codes lowest bit first
// (CCDCLCSWRPWPDTLOCRSDRCWDWO), or as 0x-prefixed hex when some bit has no such
// code (so FA comes out as 0x1f01ff), GUIDs in lower case. Input also takes the
// file, registry and mandatory-label codes and octal or decimal masks.
//
// Text that standard SDDL cannot carry uses an extension of this package: an
// ACE of a type without an SDDL code, with data after its SID (conditional
// expressions, resource attributes), or with unknown object flags is written
// "(0xTT;FLAGS;HEX)": its type in hex, its flags, and the hex of every byte
// after the 4-byte ACE header. ACE flag bits without a code make the flags
// field "0xNN". Both forms are read back exactly.
//
// SDDL does not carry the ACL revision (input picks 4 when an ACL holds object
// ACEs, else 2), the layout, Sbz1, or the control bits other than the present
// bits and P (protected), AI (auto-inherited) and AR (auto-inherit required).
// An object ACE without GUIDs stays an object ACE (Windows would turn "OA"
// without GUIDs into "A").
type SDDLOptions struct {
	Domain     SID
	ForestRoot SID
}

func (o SDDLOptions) root() SID {
	if o.ForestRoot.IsZero() {
		return o.Domain
	}
	return o.ForestRoot
}

// ParseSDDL parses an SDDL security descriptor with fixed SID aliases only; see
// SDDLOptions.
func ParseSDDL(s string) (*SecurityDescriptor, error) { return SDDLOptions{}.Parse(s) }

// ParseSDDLWithDomain parses an SDDL security descriptor, resolving
// domain-relative aliases (DA, EA, ...) in domain, which is also taken as the
// forest root.
func ParseSDDLWithDomain(s string, domain SID) (*SecurityDescriptor, error) {
	return SDDLOptions{Domain: domain}.Parse(s)
}

// ParseACE parses one SDDL ACE string such as
// "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)".
func ParseACE(s string) (ACE, error) { return SDDLOptions{}.ParseACE(s) }

// SDDL returns the descriptor in SDDL with fixed SID aliases; see SDDLOptions.
func (sd *SecurityDescriptor) SDDL() string { return SDDLOptions{}.Format(sd) }

// Parse parses an SDDL security descriptor. Sections O:, G:, D: and S: may
// come in any order, each at most once.
func (o SDDLOptions) Parse(s string) (*SecurityDescriptor, error) {
	p := sddlParser{s: s, opts: o}
	sd, err := p.descriptor()
	if err != nil {
		return nil, err
	}
	for _, acl := range []*ACL{sd.SACL, sd.DACL} {
		if acl == nil {
			continue
		}
		acl.Revision = acl.revision()
		if _, err := acl.size(); err != nil {
			return nil, &SyntaxError{Input: s, Offset: len(s), Msg: err.Error()}
		}
	}
	return sd, nil
}

// ParseACE parses one SDDL ACE string, parentheses included.
func (o SDDLOptions) ParseACE(s string) (ACE, error) {
	p := sddlParser{s: s, opts: o}
	a, err := p.ace()
	if err != nil {
		return ACE{}, err
	}
	if p.i != len(s) {
		return ACE{}, p.errorf("unexpected characters after the ACE")
	}
	return a, nil
}

type sddlParser struct {
	s    string
	i    int
	opts SDDLOptions
	slab guidSlab // object GUIDs of the parsed ACEs
}

func (p *sddlParser) errorf(format string, args ...any) error {
	return &SyntaxError{Input: p.s, Offset: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *sddlParser) descriptor() (*SecurityDescriptor, error) {
	sd := &SecurityDescriptor{Revision: 1, Control: ControlSelfRelative}
	var seen [4]bool
	for p.i < len(p.s) {
		k := strings.IndexByte("OGDS", p.s[p.i])
		if k < 0 || p.i+1 >= len(p.s) || p.s[p.i+1] != ':' {
			return nil, p.errorf(`expected "O:", "G:", "D:" or "S:"`)
		}
		sec := p.s[p.i]
		if seen[k] {
			return nil, p.errorf("%c: appears twice", sec)
		}
		seen[k] = true
		p.i += 2
		switch sec {
		case 'O', 'G':
			sid, err := p.sid()
			if err != nil {
				return nil, err
			}
			if sec == 'O' {
				sd.Owner = &sid
			} else {
				sd.Group = &sid
			}
		case 'D':
			acl, flags, err := p.acl(ControlDACLProtected, ControlDACLAutoInherited, ControlDACLAutoInheritReq)
			if err != nil {
				return nil, err
			}
			sd.DACL = acl
			sd.Control |= ControlDACLPresent | flags
		case 'S':
			acl, flags, err := p.acl(ControlSACLProtected, ControlSACLAutoInherited, ControlSACLAutoInheritReq)
			if err != nil {
				return nil, err
			}
			sd.SACL = acl
			sd.Control |= ControlSACLPresent | flags
		}
	}
	return sd, nil
}

// acl reads ACL flags and ACE strings. A nil ACL with no error is a NULL ACL
// (NO_ACCESS_CONTROL).
func (p *sddlParser) acl(protected, autoInherited, autoInheritReq Control) (*ACL, Control, error) {
	var flags Control
	null := false
loop:
	for {
		rest := p.s[p.i:]
		switch {
		case strings.HasPrefix(rest, "NO_ACCESS_CONTROL"):
			null = true
			p.i += len("NO_ACCESS_CONTROL")
		case strings.HasPrefix(rest, "P"):
			flags |= protected
			p.i++
		case strings.HasPrefix(rest, "AI"):
			flags |= autoInherited
			p.i += 2
		case strings.HasPrefix(rest, "AR"):
			flags |= autoInheritReq
			p.i += 2
		default:
			break loop
		}
	}
	acl := &ACL{}
	for p.i < len(p.s) && p.s[p.i] == '(' {
		if null {
			return nil, 0, p.errorf("NO_ACCESS_CONTROL cannot have ACEs")
		}
		a, err := p.ace()
		if err != nil {
			return nil, 0, err
		}
		acl.ACEs = append(acl.ACEs, a)
	}
	if null {
		return nil, flags, nil
	}
	return acl, flags, nil
}

// ace reads one "(...)" ACE string.
func (p *sddlParser) ace() (ACE, error) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return ACE{}, p.errorf(`expected "(" to start an ACE`)
	}
	start := p.i + 1
	end := strings.IndexAny(p.s[start:], "()")
	if end < 0 || p.s[start+end] != ')' {
		return ACE{}, p.errorf("ACE is not closed by \")\" (conditional expressions and resource attributes are not supported; use the (0xTT;FLAGS;HEX) form)")
	}
	end += start
	var buf [6]string
	fields := splitFields(buf[:0], p.s[start:end])
	var a ACE
	var err error
	if t := fields[0]; len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		a, err = p.hexACE(fields, start)
	} else {
		a, err = p.standardACE(fields, start)
	}
	if err != nil {
		return ACE{}, err
	}
	p.i = end + 1
	return a, nil
}

// splitFields appends the ";"-separated fields of s to dst.
func splitFields(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, ';')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

// fieldOffset returns the input offset of fields[k] of an ACE starting at start.
func fieldOffset(fields []string, k, start int) int {
	for _, f := range fields[:k] {
		start += len(f) + 1
	}
	return start
}

func (p *sddlParser) fieldErr(fields []string, k, start int, format string, args ...any) error {
	return &SyntaxError{Input: p.s, Offset: fieldOffset(fields, k, start), Msg: fmt.Sprintf(format, args...)}
}

func (p *sddlParser) standardACE(fields []string, start int) (ACE, error) {
	if len(fields) != 6 {
		return ACE{}, p.fieldErr(fields, 0, start, "an ACE has 6 fields separated by \";\", got %d", len(fields))
	}
	t, ok := sddlACETypeByCode[fields[0]]
	if !ok {
		return ACE{}, p.fieldErr(fields, 0, start, "unknown ACE type %q", fields[0])
	}
	a := ACE{Type: t}
	var err error
	if a.Flags, err = p.aceFlags(fields, start); err != nil {
		return ACE{}, err
	}
	var msg string
	if a.Mask, msg = parseSDDLRights(fields[2]); msg != "" {
		return ACE{}, p.fieldErr(fields, 2, start, "%s", msg)
	}
	for k, dst := range []**GUID{&a.ObjectType, &a.InheritedObjectType} {
		f := fields[3+k]
		if f == "" {
			continue
		}
		if !t.IsObject() {
			return ACE{}, p.fieldErr(fields, 3+k, start, "ACE type %s takes no object GUIDs", fields[0])
		}
		g, ok := parseGUID36(f)
		if !ok {
			return ACE{}, p.fieldErr(fields, 3+k, start, "%q is not a GUID", f)
		}
		*dst = p.slab.next(g[:])
		a.ObjectFlags |= uint32(1) << k
	}
	sp := sddlParser{s: p.s, i: fieldOffset(fields, 5, start), opts: p.opts}
	if a.SID, err = sp.sid(); err != nil {
		return ACE{}, err
	}
	if sp.i != fieldOffset(fields, 5, start)+len(fields[5]) {
		return ACE{}, sp.errorf("unexpected characters after the SID")
	}
	return a, nil
}

// hexACE reads the "(0xTT;FLAGS;HEX)" extension form.
func (p *sddlParser) hexACE(fields []string, start int) (ACE, error) {
	if len(fields) != 3 {
		return ACE{}, p.fieldErr(fields, 0, start, "a hex-form ACE has 3 fields (0xTT;FLAGS;HEX), got %d", len(fields))
	}
	t, n, ok := scanUint(fields[0], 2, 16)
	if !ok || n != len(fields[0]) || t > 0xFF {
		return ACE{}, p.fieldErr(fields, 0, start, "bad ACE type %q", fields[0])
	}
	flags, err := p.aceFlags(fields, start)
	if err != nil {
		return ACE{}, err
	}
	body, err := hex.DecodeString(fields[2])
	if err != nil {
		return ACE{}, p.fieldErr(fields, 2, start, "bad hex ACE body: %v", err)
	}
	size := 4 + len(body)
	if size%4 != 0 || size > 0xFFFF {
		return ACE{}, p.fieldErr(fields, 2, start, "ACE would be %d bytes; it must be a multiple of 4 up to 65532", size)
	}
	wire := make([]byte, 4, size)
	wire[0], wire[1] = byte(t), byte(flags)
	binary.LittleEndian.PutUint16(wire[2:], uint16(size))
	wire = append(wire, body...)
	a, _, err := decodeACE(wire, 0, "ACE", &p.slab)
	if err != nil {
		return ACE{}, p.fieldErr(fields, 2, start, "bad ACE body: %v", err)
	}
	return a, nil
}

func (p *sddlParser) aceFlags(fields []string, start int) (ACEFlags, error) {
	f := fields[1]
	if len(f) > 2 && f[0] == '0' && (f[1] == 'x' || f[1] == 'X') {
		v, n, ok := scanUint(f, 2, 16)
		if !ok || n != len(f) || v > 0xFF {
			return 0, p.fieldErr(fields, 1, start, "bad ACE flags %q", f)
		}
		return ACEFlags(v), nil
	}
	if len(f)%2 != 0 {
		return 0, p.fieldErr(fields, 1, start, "bad ACE flags %q", f)
	}
	var flags ACEFlags
next:
	for i := 0; i < len(f); i += 2 {
		for _, c := range sddlFlags {
			if f[i:i+2] == c.code {
				flags |= c.flag
				continue next
			}
		}
		return 0, p.fieldErr(fields, 1, start, "unknown ACE flag %q", f[i:i+2])
	}
	return flags, nil
}

// sid reads a SID string or alias at p.i.
func (p *sddlParser) sid() (SID, error) {
	rest := p.s[p.i:]
	if len(rest) >= 2 && (rest[0] == 'S' || rest[0] == 's') && rest[1] == '-' {
		sid, n, msg := scanSID(p.s, p.i)
		if msg != "" {
			p.i = n
			return SID{}, p.errorf("%s", msg)
		}
		p.i = n
		return sid, nil
	}
	if len(rest) < 2 {
		return SID{}, p.errorf("expected a SID")
	}
	a, ok := aliasByCode[rest[:2]]
	if !ok {
		return SID{}, p.errorf("unknown SID alias %q", rest[:2])
	}
	if !a.sid.IsZero() {
		p.i += 2
		return a.sid, nil
	}
	base, which := p.opts.Domain, "domain"
	if a.root {
		base, which = p.opts.root(), "forest root domain"
	}
	if base.IsZero() {
		return SID{}, p.errorf("alias %s is relative to the %s; give its SID (ParseSDDLWithDomain or SDDLOptions)", a.code, which)
	}
	sid, err := base.Child(a.rid)
	if err != nil {
		return SID{}, p.errorf("alias %s: %v", a.code, err)
	}
	p.i += 2
	return sid, nil
}

// Format returns the descriptor in SDDL: O:, G:, D:, S: in that order, each
// only when present.
func (o SDDLOptions) Format(sd *SecurityDescriptor) string {
	b := make([]byte, 0, 64+sddlACLLen(sd.DACL)+sddlACLLen(sd.SACL))
	if sd.Owner != nil {
		b = append(b, "O:"...)
		b = o.appendSID(b, *sd.Owner)
	}
	if sd.Group != nil {
		b = append(b, "G:"...)
		b = o.appendSID(b, *sd.Group)
	}
	if sd.DACL != nil || sd.Control&ControlDACLPresent != 0 {
		b = append(b, "D:"...)
		b = o.appendACL(b, sd.DACL, sd.Control, ControlDACLProtected, ControlDACLAutoInheritReq, ControlDACLAutoInherited)
	}
	if sd.SACL != nil || sd.Control&ControlSACLPresent != 0 {
		b = append(b, "S:"...)
		b = o.appendACL(b, sd.SACL, sd.Control, ControlSACLProtected, ControlSACLAutoInheritReq, ControlSACLAutoInherited)
	}
	return string(b)
}

func sddlACLLen(l *ACL) int {
	if l == nil {
		return 0
	}
	return 100 * len(l.ACEs)
}

func (o SDDLOptions) appendACL(b []byte, l *ACL, c, protected, autoInheritReq, autoInherited Control) []byte {
	if c&protected != 0 {
		b = append(b, 'P')
	}
	if c&autoInheritReq != 0 {
		b = append(b, "AR"...)
	}
	if c&autoInherited != 0 {
		b = append(b, "AI"...)
	}
	if l == nil {
		return append(b, "NO_ACCESS_CONTROL"...)
	}
	for i := range l.ACEs {
		b = o.appendACE(b, &l.ACEs[i])
	}
	return b
}

// FormatACE returns one ACE in SDDL, parentheses included.
func (o SDDLOptions) FormatACE(a ACE) string { return string(o.appendACE(nil, &a)) }

func (o SDDLOptions) appendACE(b []byte, a *ACE) []byte {
	code, standard := sddlACETypes[a.Type]
	standard = standard && len(a.Raw) == 0 && !a.SID.IsZero() &&
		a.ObjectFlags&^(ObjectTypePresent|InheritedObjectTypePresent) == 0
	b = append(b, '(')
	if !standard {
		wire, err := a.appendBinary(nil)
		if err == nil {
			b = fmt.Appendf(b, "0x%02x;", uint8(a.Type))
			b = a.Flags.appendSDDL(b)
			b = append(b, ';')
			b = hex.AppendEncode(b, wire[4:])
			return append(b, ')')
		}
		// Not encodable (e.g. no SID): write what there is; it will not
		// parse back, which is the honest outcome.
		code = a.Type.String()
	}
	b = append(b, code...)
	b = append(b, ';')
	b = a.Flags.appendSDDL(b)
	b = append(b, ';')
	b = appendSDDLRights(b, a.Mask, a.Type)
	b = append(b, ';')
	if a.ObjectType != nil {
		b = a.ObjectType.appendString(b)
	}
	b = append(b, ';')
	if a.InheritedObjectType != nil {
		b = a.InheritedObjectType.appendString(b)
	}
	b = append(b, ';')
	if !a.SID.IsZero() {
		b = o.appendSID(b, a.SID)
	}
	return append(b, ')')
}

// relAlias maps (RID, relative to the forest root) to an alias code.
type relAliasKey struct {
	rid  uint32
	root bool
}

var relAliasOf = func() map[relAliasKey]string {
	m := make(map[relAliasKey]string)
	for _, a := range sddlAliases {
		if a.sid.IsZero() {
			m[relAliasKey{a.rid, a.root}] = a.code
		}
	}
	return m
}()

func (o SDDLOptions) appendSID(b []byte, s SID) []byte {
	if code, ok := fixedAliasOf[s]; ok {
		return append(b, code...)
	}
	if !o.Domain.IsZero() {
		if parent, ok := s.Parent(); ok {
			rid, _ := s.RID()
			if code, ok := relAliasOf[relAliasKey{rid, false}]; ok && parent == o.Domain {
				return append(b, code...)
			}
			if code, ok := relAliasOf[relAliasKey{rid, true}]; ok && parent == o.root() {
				return append(b, code...)
			}
		}
	}
	return s.appendString(b)
}
