package writeback

import (
	"fmt"
	"slices"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// Principal is the account whose rights are evaluated, usually the Entra
// Connect AD DS connector account, with the groups its logon token holds.
// Engine.Principal resolves one in a configured domain; for an account of
// another domain of the forest, fill in its SID and groups (the tokenGroups a
// DC of its own domain returns; the target domain's domain-local groups it
// belongs to are then not known).
type Principal struct {
	DN             string
	SAMAccountName string
	SID            secdesc.SID
	// Groups are the SIDs of its tokenGroups: every security group it is a
	// member of, directly or through nesting, and its primary group.
	Groups []secdesc.SID
}

// SIDs returns what an access check by the account matches ACEs against: its
// own SID, its groups, Everyone (S-1-1-0) and Authenticated Users (S-1-5-11),
// and Principal Self (S-1-5-10) when self, that is when the object checked is
// the account itself.
func (p *Principal) SIDs(self bool) []secdesc.SID {
	out := make([]secdesc.SID, 0, len(p.Groups)+4)
	out = append(out, p.SID)
	out = append(out, p.Groups...)
	out = append(out, secdesc.SIDEveryone, secdesc.SIDAuthenticatedUsers)
	if self {
		out = append(out, secdesc.SIDPrincipalSelf)
	}
	return out
}

// Decision is the outcome of the access check for one right.
type Decision uint8

// Decisions.
const (
	Missing Decision = iota // no ACE grants it (nor denies it)
	Allowed                 // an allow ACE grants it before any deny
	Denied                  // a deny ACE comes first
)

var decisionNames = [...]string{Missing: "missing", Allowed: "allowed", Denied: "denied"}

func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// MarshalText returns the name, for JSON.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Verdict says whether the principal holds a right and which ACE decided it.
type Verdict struct {
	Right    Right
	Decision Decision
	// ACE is the deciding ACE in SDDL, "" when Missing.
	ACE string
	// Index is the deciding ACE's position in the DACL it was found in
	// (0-based), -1 when Missing. In a scope audit it is the position in the
	// DACL of Source.
	Index int
	// Inherited: the deciding ACE reached the object by inheritance (it is
	// marked ID, or in a scope audit it comes from the scope or above).
	Inherited bool
	// Source is the DN of the object that holds the deciding ACE as an
	// explicit one, when known: the object itself, an ancestor, or
	// "defaultSecurityDescriptor of user" for the schema's default ACEs.
	Source string
	// Description says what the ACE does in words.
	Description string
}

// OK reports whether the right is allowed.
func (v *Verdict) OK() bool { return v.Decision == Allowed }

func (v Verdict) String() string {
	if v.Decision == Missing {
		return v.Right.String() + ": missing (no ACE grants it)"
	}
	return fmt.Sprintf("%s: %s by ACE %d %s", v.Right, v.Decision, v.Index, v.ACE)
}

// decide walks aces in order, as the access check does, and returns for each
// right the index of the ACE that decides it (-1: none) and whether it
// allows. Inherit-only ACEs take no part; only the four access types
// (A, D, OA, OD) are evaluated: AD does not use the callback types, and an
// unknown type cannot grant. An ACE's InheritedObjectType does not matter
// here: the DC marks an ACE that does not apply to the object's class
// inherit-only when it propagates it.
func decide(aces []secdesc.ACE, sids []secdesc.SID, class secdesc.GUID, rights []Right) (idx []int, allow []bool) {
	idx = make([]int, len(rights))
	allow = make([]bool, len(rights))
	for i := range idx {
		idx[i] = -1
	}
	left := len(rights)
	for i := range aces {
		a := &aces[i]
		if a.Flags&secdesc.FlagInheritOnly != 0 {
			continue
		}
		var isAllow bool
		switch a.Type {
		case secdesc.ACETypeAccessAllowed, secdesc.ACETypeAccessAllowedObject:
			isAllow = true
		case secdesc.ACETypeAccessDenied, secdesc.ACETypeAccessDeniedObject:
		default:
			continue
		}
		if !slices.Contains(sids, a.SID) {
			continue
		}
		for k, r := range rights {
			if idx[k] >= 0 || !r.matches(a, class) {
				continue
			}
			idx[k], allow[k] = i, isAllow
			left--
		}
		if left == 0 {
			break
		}
	}
	return idx, allow
}

// Evaluate decides rights for the account with sids (Principal.SIDs) on an
// object whose security descriptor is sd and whose structural class is class
// (secdesc.GUIDUserClass for users; zero when unknown). opts formats the
// ACEs of the verdicts. A descriptor without a DACL (a NULL DACL) allows
// everything.
func Evaluate(sd *secdesc.SecurityDescriptor, sids []secdesc.SID, class secdesc.GUID, rights []Right, opts secdesc.SDDLOptions) []Verdict {
	out := make([]Verdict, len(rights))
	if sd.DACL == nil {
		for k, r := range rights {
			out[k] = Verdict{Right: r, Decision: Allowed, Index: -1, Description: "NULL DACL: no access control"}
		}
		return out
	}
	aces := sd.DACL.ACEs
	idx, allow := decide(aces, sids, class, rights)
	for k, r := range rights {
		out[k] = verdictFor(r, idx[k], allow[k], aces, opts)
	}
	return out
}

func verdictFor(r Right, i int, allow bool, aces []secdesc.ACE, opts secdesc.SDDLOptions) Verdict {
	if i < 0 {
		return Verdict{Right: r, Decision: Missing, Index: -1}
	}
	a := &aces[i]
	d := Denied
	if allow {
		d = Allowed
	}
	return Verdict{
		Right: r, Decision: d, ACE: opts.FormatACE(*a), Index: i,
		Inherited: a.IsInherited(), Description: a.Describe(),
	}
}
