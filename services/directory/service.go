package directory

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// maxDescriptorBytes bounds a descriptor given to decode: AD caps nTSecurityDescriptor far below it.
const maxDescriptorBytes = 256 << 10

// Service implements directoryv1.DirectoryServiceServer.
type Service struct {
	directoryv1.UnimplementedDirectoryServiceServer
	logger  *slog.Logger
	ldapCfg LDAPConfig
	dc      *dc          // nil without a configured domain controller
	store   *store.Store // backups and audit records; nil: the change and backup RPCs answer FailedPrecondition
}

// NewService returns the service without a domain controller: DecodeSecurityDescriptor works, the
// writeback RPCs answer FailedPrecondition. NewFromConfig connects it to one.
func NewService(logger *slog.Logger) *Service { return &Service{logger: logger} }

// Validators returns the request checks the validation interceptor runs.
func (s *Service) Validators() map[string]grpcserver.Validator {
	v := writebackValidators()
	changeValidators(v)
	v[directoryv1.DirectoryService_DecodeSecurityDescriptor_FullMethodName] = validateDecode
	return v
}

func validateDecode(req any) error {
	r := req.(*directoryv1.DecodeSecurityDescriptorRequest)
	var v []rpcerr.FieldViolation
	switch {
	case r.GetSource() == nil:
		v = append(v, rpcerr.FieldViolation{Field: "descriptor", Description: "give binary (base64 in JSON) or sddl"})
	case len(r.GetBinary()) > maxDescriptorBytes || len(r.GetSddl()) > maxDescriptorBytes:
		v = append(v, rpcerr.FieldViolation{Field: "descriptor", Description: fmt.Sprintf("is larger than %d bytes", maxDescriptorBytes)})
	}
	if d := r.GetDomainSid(); d != "" {
		if _, err := parseDomainSID(d); err != nil {
			v = append(v, rpcerr.FieldViolation{Field: "domain_sid", Description: err.Error()})
		}
	}
	return violations(v)
}

func parseDomainSID(s string) (secdesc.SID, error) {
	sid, err := secdesc.ParseSID(s)
	if err != nil {
		return secdesc.SID{}, err
	}
	if sid.Authority() != 5 || sid.SubAuthorityCount() != 4 || sid.SubAuthorities()[0] != 21 {
		return secdesc.SID{}, fmt.Errorf("%s is not a domain SID (S-1-5-21-a-b-c)", s)
	}
	return sid, nil
}

// DecodeSecurityDescriptor decodes a descriptor given as binary or SDDL.
func (s *Service) DecodeSecurityDescriptor(_ context.Context, req *directoryv1.DecodeSecurityDescriptorRequest) (*directoryv1.DecodeSecurityDescriptorResponse, error) {
	var (
		sd  *secdesc.SecurityDescriptor
		err error
	)
	opts := secdesc.SDDLOptions{}
	if d := req.GetDomainSid(); d != "" {
		if opts.Domain, err = parseDomainSID(d); err != nil {
			return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "domain_sid", Description: err.Error()})
		}
	}
	field := "binary"
	switch d := req.GetSource().(type) {
	case *directoryv1.DecodeSecurityDescriptorRequest_Binary:
		sd, err = secdesc.Parse(d.Binary)
	case *directoryv1.DecodeSecurityDescriptorRequest_Sddl:
		field = "sddl"
		sd, err = opts.Parse(d.Sddl)
	}
	if err != nil {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: err.Error()})
	}
	bin, err := sd.MarshalBinary()
	if err != nil {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf("cannot be encoded: %v", err)})
	}
	resp := &directoryv1.DecodeSecurityDescriptorResponse{
		Sddl:          opts.Format(sd),
		Binary:        bin,
		DaclProtected: sd.Control&secdesc.ControlDACLProtected != 0,
	}
	if c := sd.Control.String(); c != "0" {
		resp.ControlFlags = strings.Split(c, "|")
	}
	if sd.Owner != nil {
		resp.Owner = trustee(*sd.Owner)
	}
	if sd.Group != nil {
		resp.Group = trustee(*sd.Group)
	}
	if sd.DACL != nil {
		resp.Dacl = aces(opts, sd.DACL)
	}
	if sd.SACL != nil {
		resp.Sacl = aces(opts, sd.SACL)
	}
	return resp, nil
}

func trustee(s secdesc.SID) *directoryv1.Trustee {
	return &directoryv1.Trustee{Sid: s.String(), Name: s.Name()}
}

var flagNames = []struct {
	flag secdesc.ACEFlags
	name string
}{
	{secdesc.FlagObjectInherit, "OBJECT_INHERIT"},
	{secdesc.FlagContainerInherit, "CONTAINER_INHERIT"},
	{secdesc.FlagNoPropagateInherit, "NO_PROPAGATE_INHERIT"},
	{secdesc.FlagInheritOnly, "INHERIT_ONLY"},
	{secdesc.FlagInherited, "INHERITED"},
	{secdesc.FlagSuccessfulAccess, "SUCCESSFUL_ACCESS"},
	{secdesc.FlagFailedAccess, "FAILED_ACCESS"},
}

func aceTypeName(t secdesc.ACEType) string {
	var kind string
	switch {
	case t.IsAllow():
		kind = "ACCESS_ALLOWED"
	case t.IsDeny():
		kind = "ACCESS_DENIED"
	case t.IsAudit():
		kind = "SYSTEM_AUDIT"
	default:
		return t.String()
	}
	if t.IsObject() {
		kind += "_OBJECT"
	}
	return kind
}

func aces(opts secdesc.SDDLOptions, acl *secdesc.ACL) []*directoryv1.Ace {
	out := make([]*directoryv1.Ace, 0, len(acl.ACEs))
	for i := range acl.ACEs {
		a := &acl.ACEs[i]
		pa := &directoryv1.Ace{
			Sddl:        opts.FormatACE(*a),
			Type:        aceTypeName(a.Type),
			Mask:        a.Mask,
			Rights:      secdesc.RightNames(a.Mask),
			Trustee:     trustee(a.SID),
			Description: a.Describe(),
		}
		for _, f := range flagNames {
			if a.Flags&f.flag != 0 {
				pa.Flags = append(pa.Flags, f.name)
			}
		}
		if a.ObjectType != nil {
			pa.ObjectType, pa.ObjectTypeName = a.ObjectType.String(), secdesc.GUIDName(*a.ObjectType)
		}
		if a.InheritedObjectType != nil {
			pa.InheritedObjectType, pa.InheritedObjectTypeName = a.InheritedObjectType.String(), secdesc.GUIDName(*a.InheritedObjectType)
		}
		out = append(out, pa)
	}
	return out
}
