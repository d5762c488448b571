package secdesc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ACL revisions (MS-DTYP 2.4.5).
const (
	ACLRevision   uint8 = 2 // ACEs without object parts only
	ACLRevisionDS uint8 = 4 // needed once the ACL holds object ACEs
)

// ACL is an access control list. Revision 0 means "choose when encoding":
// ACLRevisionDS if any ACE is an object ACE, else ACLRevision.
type ACL struct {
	Revision uint8
	ACEs     []ACE
}

// Clone returns a deep copy of the ACL.
func (l *ACL) Clone() *ACL {
	if l == nil {
		return nil
	}
	c := &ACL{Revision: l.Revision, ACEs: make([]ACE, len(l.ACEs))}
	for i := range l.ACEs {
		c.ACEs[i] = l.ACEs[i].clone()
	}
	return c
}

// Equal reports whether l and m have the same revision and equal ACEs in the
// same order. Two nil ACLs are equal; nil and empty are not (a NULL DACL
// allows everything, an empty one nothing).
func (l *ACL) Equal(m *ACL) bool {
	if l == nil || m == nil {
		return l == m
	}
	if l.Revision != m.Revision || len(l.ACEs) != len(m.ACEs) {
		return false
	}
	for i := range l.ACEs {
		if !l.ACEs[i].Equal(&m.ACEs[i]) {
			return false
		}
	}
	return true
}

// Contains reports whether the ACL holds an ACE equal to a.
func (l *ACL) Contains(a ACE) bool { return l.index(&a) >= 0 }

func (l *ACL) index(a *ACE) int {
	for i := range l.ACEs {
		if l.ACEs[i].Equal(a) {
			return i
		}
	}
	return -1
}

// Add inserts each ACE the ACL does not already hold at its canonical place:
// an explicit deny after the explicit denies, an explicit allow (or any other
// explicit ACE) before the first inherited ACE, an inherited ACE at the end.
// It raises Revision to ACLRevisionDS when an object ACE arrives, and returns
// how many ACEs were added.
func (l *ACL) Add(aces ...ACE) int {
	added := 0
	for i := range aces {
		a := &aces[i]
		if l.index(a) >= 0 {
			continue
		}
		var at int
		switch {
		case a.IsInherited():
			at = len(l.ACEs)
		case a.Type.IsDeny():
			at = l.firstIndex(func(e *ACE) bool { return e.IsInherited() || !e.Type.IsDeny() })
		default:
			at = l.firstIndex((*ACE).IsInherited)
		}
		l.ACEs = slices.Insert(l.ACEs, at, a.clone())
		if a.Type.IsObject() && l.Revision != 0 && l.Revision < ACLRevisionDS {
			l.Revision = ACLRevisionDS
		}
		added++
	}
	return added
}

// firstIndex returns the index of the first ACE matching f, or len(ACEs).
func (l *ACL) firstIndex(f func(*ACE) bool) int {
	for i := range l.ACEs {
		if f(&l.ACEs[i]) {
			return i
		}
	}
	return len(l.ACEs)
}

// Remove deletes every ACE equal to a and returns how many there were.
func (l *ACL) Remove(a ACE) int {
	before := len(l.ACEs)
	l.ACEs = slices.DeleteFunc(l.ACEs, func(e ACE) bool { return e.Equal(&a) })
	return before - len(l.ACEs)
}

// aclClass orders ACEs canonically: explicit deny, other explicit, inherited.
func aclClass(a *ACE) int {
	switch {
	case a.IsInherited():
		return 2
	case a.Type.IsDeny():
		return 0
	}
	return 1
}

// IsCanonical reports whether the ACL is in canonical order: explicit deny
// ACEs, then the other explicit ACEs, then inherited ones (whose own order is
// the parents' and is left alone).
func (l *ACL) IsCanonical() bool {
	return slices.IsSortedFunc(l.ACEs, func(a, b ACE) int { return aclClass(&a) - aclClass(&b) })
}

// Canonicalize puts the ACL in canonical order (see IsCanonical), keeping the
// relative order within each group.
func (l *ACL) Canonicalize() {
	slices.SortStableFunc(l.ACEs, func(a, b ACE) int { return aclClass(&a) - aclClass(&b) })
}

// revision returns the revision to encode.
func (l *ACL) revision() uint8 {
	if l.Revision != 0 {
		return l.Revision
	}
	for i := range l.ACEs {
		if l.ACEs[i].Type.IsObject() {
			return ACLRevisionDS
		}
	}
	return ACLRevision
}

// size returns the encoded size of the ACL, checking that it can be encoded.
func (l *ACL) size() (int, error) {
	if len(l.ACEs) > 0xFFFF {
		return 0, fmt.Errorf("secdesc: ACL has %d ACEs, more than AceCount can hold", len(l.ACEs))
	}
	n := 8
	for i := range l.ACEs {
		s, err := l.ACEs[i].size()
		if err != nil {
			return 0, fmt.Errorf("ACE %d: %w", i, err)
		}
		n += s
	}
	if n > 0xFFFF {
		return 0, fmt.Errorf("secdesc: ACL would be %d bytes, more than AclSize can hold", n)
	}
	return n, nil
}

// appendBinary appends the canonical wire form of the ACL: AclSize is exactly
// the header plus the ACEs, Sbz1 and Sbz2 are zero.
func (l *ACL) appendBinary(b []byte) ([]byte, error) {
	n, err := l.size()
	if err != nil {
		return b, err
	}
	b = append(b, l.revision(), 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(l.ACEs)))
	b = append(b, 0, 0)
	for i := range l.ACEs {
		if b, err = l.ACEs[i].appendBinary(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

// decodeACL decodes the ACL at b[off:] and returns it with its AclSize.
func decodeACL(b []byte, off int, component string) (*ACL, int, error) {
	if len(b)-off < 8 {
		return nil, 0, formatErr(component, off, ErrTruncated, "ACL header needs 8 bytes, %d left", len(b)-off)
	}
	h := b[off:]
	rev := h[0]
	if rev < ACLRevision || rev > ACLRevisionDS {
		return nil, 0, formatErr(component, off, ErrRevision, "AclRevision %d, want 2 or 4", rev)
	}
	size := int(binary.LittleEndian.Uint16(h[2:]))
	count := int(binary.LittleEndian.Uint16(h[4:]))
	if size < 8 {
		return nil, 0, formatErr(component, off+2, ErrACLSize, "AclSize %d is smaller than the 8-byte header", size)
	}
	if size > len(h) {
		return nil, 0, formatErr(component, off+2, ErrACLSize, "AclSize %d runs past the end of the descriptor (%d bytes left)", size, len(h))
	}
	body := h[8:size]
	// Each ACE takes at least 4 bytes; a larger count cannot fit.
	if count > len(body)/4 {
		return nil, 0, formatErr(component, off+4, ErrACLSize, "AceCount %d cannot fit in AclSize %d", count, size)
	}
	slab := make(guidSlab, 0, countGUIDs(body, count))
	acl := &ACL{Revision: rev, ACEs: make([]ACE, 0, count)}
	pos := 0
	for i := range count {
		a, n, err := decodeACE(body[pos:], off+8+pos, "ACE", &slab)
		if err != nil {
			// Name the ACE only on failure: formatting it for every ACE
			// would cost an allocation each.
			var fe *FormatError
			if errors.As(err, &fe) {
				fe.Component = fmt.Sprintf("%s ACE %d", component, i)
			}
			return nil, 0, err
		}
		acl.ACEs = append(acl.ACEs, a)
		pos += n
	}
	return acl, size, nil
}

// countGUIDs counts the GUIDs the object ACEs of an ACL body announce, so that
// decoding can allocate them at once. It stops quietly at anything malformed;
// decodeACE reports it.
func countGUIDs(body []byte, count int) int {
	n, pos := 0, 0
	for range count {
		if len(body)-pos < 4 {
			break
		}
		size := int(binary.LittleEndian.Uint16(body[pos+2:]))
		if size < 4 || size > len(body)-pos {
			break
		}
		if ACEType(body[pos]).IsObject() && size >= 12 {
			f := binary.LittleEndian.Uint32(body[pos+8:])
			n += int(f & 1)
			n += int(f >> 1 & 1)
		}
		pos += size
	}
	return n
}
