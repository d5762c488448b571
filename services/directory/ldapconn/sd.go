package ldapconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// SDFlags selects the parts of nTSecurityDescriptor that a read returns or a
// write replaces (the LDAP_SERVER_SD_FLAGS control, MS-ADTS 3.1.1.3.4.1.11).
type SDFlags uint32

// SD flags.
const (
	SDFlagsOwner SDFlags = 0x1
	SDFlagsGroup SDFlags = 0x2
	SDFlagsDACL  SDFlags = 0x4
	SDFlagsSACL  SDFlags = 0x8 // needs SeSecurityPrivilege

	// SDFlagsRead is what ReadSecurityDescriptor asks for: owner, group and
	// DACL, all readable with READ_CONTROL.
	SDFlagsRead = SDFlagsOwner | SDFlagsGroup | SDFlagsDACL
)

// AttrSecurityDescriptor is the attribute that holds an object's security
// descriptor.
const AttrSecurityDescriptor = "nTSecurityDescriptor"

// SDFlagsControl returns the SD flags control for flags, marked critical so
// that a server that does not know it refuses the request instead of
// ignoring it: without it a write would replace the whole descriptor.
// go-ldap's NewControlMicrosoftSDFlags leaves the value 0, which AD reads as
// "everything" (and then a non-admin gets no descriptor at all).
func SDFlagsControl(flags SDFlags) ldap.Control {
	return &ldap.ControlMicrosoftSDFlags{Criticality: true, ControlValue: int32(flags)}
}

// ReadSecurityDescriptor returns the nTSecurityDescriptor of dn in its binary
// self-relative form, with owner, group and DACL (SD flags 7) but no SACL.
// Parse it with secdesc.Parse. It fails with ErrNoSecurityDescriptor when the
// server returns the object without the attribute (the bind account cannot
// read it) and with ErrNoSuchObject when dn does not exist.
func (c *Conn) ReadSecurityDescriptor(ctx context.Context, dn string) ([]byte, error) {
	if err := ValidateDN(dn); err != nil {
		return nil, err
	}
	e, err := c.SearchOne(ctx, dn, []string{AttrSecurityDescriptor}, []ldap.Control{SDFlagsControl(SDFlagsRead)})
	if err != nil {
		return nil, relabel(err, "read nTSecurityDescriptor")
	}
	vals := e.GetEqualFoldRawAttributeValues(AttrSecurityDescriptor)
	if len(vals) != 1 || len(vals[0]) == 0 {
		return nil, &OpError{Op: "read nTSecurityDescriptor", DN: dn, Err: ErrNoSecurityDescriptor}
	}
	return vals[0], nil
}

// WriteDACL replaces the DACL of dn with the DACL of sd, a binary
// self-relative security descriptor (secdesc's MarshalBinary), by a
// modify-replace of nTSecurityDescriptor with SD flags 4: the owner, group
// and SACL of the object stay as they are whatever sd holds. The DC
// recomputes inherited ACEs itself, so sd needs only the explicit ones.
//
// sd must parse and have a DACL (a NULL DACL would grant everyone
// everything); WriteDACL refuses it otherwise. Writes are not retried after
// a dropped connection: re-read the descriptor to learn whether it landed.
func (c *Conn) WriteDACL(ctx context.Context, dn string, sd []byte) error {
	if err := ValidateDN(dn); err != nil {
		return err
	}
	parsed, err := secdesc.Parse(sd)
	if err != nil {
		return &OpError{Op: "write DACL", DN: dn, Err: fmt.Errorf("not a valid security descriptor: %w", err)}
	}
	if parsed.DACL == nil {
		return &OpError{Op: "write DACL", DN: dn, Err: errors.New("the descriptor has no DACL (a NULL DACL would grant everyone full control)")}
	}
	req := ldap.NewModifyRequest(dn, []ldap.Control{SDFlagsControl(SDFlagsDACL)})
	req.Replace(AttrSecurityDescriptor, []string{string(sd)})
	err = c.do(ctx, func(lc *ldap.Conn) error {
		return lc.Modify(req)
	}, nil)
	if err != nil {
		return relabel(err, "write DACL", dn)
	}
	return nil
}

// relabel names the operation in err, keeping its DN.
func relabel(err error, op string, dn ...string) error {
	var oe *OpError
	if errors.As(err, &oe) {
		if oe.Op != "search" && oe.Op != "read" {
			return err // already says what failed
		}
		return &OpError{Op: op, DN: oe.DN, Err: oe.Err}
	}
	var de *DNError
	if errors.As(err, &de) || errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	d := ""
	if len(dn) > 0 {
		d = dn[0]
	}
	return &OpError{Op: op, DN: d, Err: err}
}
