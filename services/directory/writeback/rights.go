package writeback

import (
	"fmt"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// Right is one of the Active Directory permissions that password writeback
// needs.
type Right uint8

// The writeback rights. The first four are needed on every user whose password
// is written back; UnexpirePassword on the domain root.
const (
	ResetPassword    Right = iota + 1 // extended right User-Force-Change-Password
	ChangePassword                    // extended right User-Change-Password
	WriteLockoutTime                  // write property lockoutTime
	WritePwdLastSet                   // write property pwdLastSet (also via User-Account-Restrictions)
	UnexpirePassword                  // extended right Unexpire Password, on the domain root
)

type rightSpec struct {
	name       string
	mask       uint32         // CR or WP
	guid       secdesc.GUID   // the extended right or attribute
	sets       []secdesc.GUID // property sets that hold the attribute
	domainRoot bool           // checked on the domain head, not on users
}

var rightSpecs = [...]rightSpec{
	ResetPassword:    {name: "Reset password", mask: secdesc.RightControlAccess, guid: secdesc.GUIDResetPassword},
	ChangePassword:   {name: "Change password", mask: secdesc.RightControlAccess, guid: secdesc.GUIDChangePassword},
	WriteLockoutTime: {name: "Write lockoutTime", mask: secdesc.RightWriteProperty, guid: secdesc.GUIDLockoutTime},
	WritePwdLastSet: {name: "Write pwdLastSet", mask: secdesc.RightWriteProperty, guid: secdesc.GUIDPwdLastSet,
		sets: []secdesc.GUID{secdesc.GUIDUserAccountRestrictions}},
	UnexpirePassword: {name: "Unexpire password", mask: secdesc.RightControlAccess, guid: secdesc.GUIDUnexpirePassword, domainRoot: true},
}

// UserRights are the rights the connector needs on each user, in report order.
var UserRights = []Right{ResetPassword, ChangePassword, WriteLockoutTime, WritePwdLastSet}

// AllRights are UserRights and UnexpirePassword.
var AllRights = []Right{ResetPassword, ChangePassword, WriteLockoutTime, WritePwdLastSet, UnexpirePassword}

func (r Right) valid() bool { return r >= ResetPassword && r <= UnexpirePassword }

func (r Right) spec() *rightSpec {
	if !r.valid() {
		return &rightSpec{name: fmt.Sprintf("Right(%d)", uint8(r))}
	}
	return &rightSpecs[r]
}

// String returns the right's name, e.g. "Reset password".
func (r Right) String() string { return r.spec().name }

// MarshalText returns the name, for JSON.
func (r Right) MarshalText() ([]byte, error) {
	if !r.valid() {
		return nil, fmt.Errorf("writeback: unknown right %d", uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText parses a name String returns.
func (r *Right) UnmarshalText(b []byte) error {
	for _, x := range AllRights {
		if x.String() == string(b) {
			*r = x
			return nil
		}
	}
	return fmt.Errorf("writeback: unknown right %q", b)
}

// Mask is the access mask bit the right needs: Control access or Write
// property.
func (r Right) Mask() uint32 { return r.spec().mask }

// ObjectType is the extended right's or attribute's GUID.
func (r Right) ObjectType() secdesc.GUID { return r.spec().guid }

// OnDomainRoot reports whether the right is checked and granted on the domain
// head rather than on users.
func (r Right) OnDomainRoot() bool { return r.spec().domainRoot }

// matches reports whether the (allow or deny) ACE a covers r on an object of
// structural class class (zero when unknown): the mask, after expanding the
// generic rights, has r's bit, and the object type is absent (every right or
// property), r's own GUID, a property set holding the attribute, or the
// object's class (the root of the object-type tree of the access check).
func (r Right) matches(a *secdesc.ACE, class secdesc.GUID) bool {
	s := r.spec()
	if secdesc.ExpandGenericRights(a.Mask)&s.mask == 0 {
		return false
	}
	if a.ObjectType == nil {
		return true
	}
	g := *a.ObjectType
	if g == s.guid || (!class.IsZero() && g == class) {
		return true
	}
	for _, set := range s.sets {
		if g == set {
			return true
		}
	}
	return false
}

// ScopeACE is the explicit ACE that grants r to sid the way Microsoft's
// AdSyncConfig module does: on a scope (domain root or OU), inherit-only,
// for descendant user objects, e.g.
// (OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;SID).
// For UnexpirePassword it is the domain root's own (OA;;CR;ccc2dc7d-...;;SID).
func ScopeACE(r Right, sid secdesc.SID) secdesc.ACE {
	g := r.ObjectType()
	a := secdesc.ACE{Type: secdesc.ACETypeAccessAllowedObject, Mask: r.Mask(), ObjectType: &g, SID: sid}
	if !r.OnDomainRoot() {
		user := secdesc.GUIDUserClass
		a.Flags = secdesc.FlagContainerInherit | secdesc.FlagInheritOnly
		a.InheritedObjectType = &user
	}
	return a
}

// ObjectACE is the "this object only" ACE that grants r to sid on the object
// that holds it, e.g. (OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;SID): the
// form a grant on AdminSDHolder needs, since SDProp copies AdminSDHolder's
// DACL onto protected accounts and an inherit-only ACE would do nothing there.
func ObjectACE(r Right, sid secdesc.SID) secdesc.ACE {
	g := r.ObjectType()
	return secdesc.ACE{Type: secdesc.ACETypeAccessAllowedObject, Mask: r.Mask(), ObjectType: &g, SID: sid}
}
