package directory_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory"
)

func startDirectory(t *testing.T) directoryv1.DirectoryServiceClient {
	t.Helper()
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return directory.Run(ctx, directory.Options{Deps: deps, Store: st})
	})
	return directoryv1.NewDirectoryServiceClient(grpctest.Dial(t, addr))
}

// The grant Microsoft's AdSyncConfig module makes for Reset password (inherit-only, descendant users).
const resetPasswordGrant = "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)"

func TestDecodeSDDLAndBinaryAgree(t *testing.T) {
	t.Parallel()
	c := startDirectory(t)
	ctx := context.Background()
	sddl := "O:DAG:DAD:PAI(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)" + resetPasswordGrant + "(OD;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"
	fromText, err := c.DecodeSecurityDescriptor(ctx, &directoryv1.DecodeSecurityDescriptorRequest{
		Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: sddl}, DomainSid: "S-1-5-21-1-2-3"})
	if err != nil {
		t.Fatal(err)
	}
	if !fromText.GetDaclProtected() || fromText.GetOwner().GetSid() != "S-1-5-21-1-2-3-512" || len(fromText.GetDacl()) != 3 {
		t.Fatalf("decoded %v", fromText)
	}
	grant := fromText.GetDacl()[1]
	if grant.GetType() != "ACCESS_ALLOWED_OBJECT" || grant.GetObjectTypeName() == "" || !strings.Contains(strings.ToLower(grant.GetObjectTypeName()), "reset password") ||
		strings.Join(grant.GetFlags(), ",") != "CONTAINER_INHERIT,INHERIT_ONLY" || grant.GetTrustee().GetSid() != "S-1-5-21-1-2-3-1105" ||
		grant.GetInheritedObjectType() != "bf967aba-0de6-11d0-a285-00aa003049e2" {
		t.Errorf("grant ACE %v", grant)
	}
	deny := fromText.GetDacl()[2]
	if deny.GetType() != "ACCESS_DENIED_OBJECT" || deny.GetTrustee().GetName() != "Everyone" {
		t.Errorf("deny ACE %v", deny)
	}

	// The binary form decodes to the same SDDL, and re-encodes byte for byte.
	fromBinary, err := c.DecodeSecurityDescriptor(ctx, &directoryv1.DecodeSecurityDescriptorRequest{
		Source: &directoryv1.DecodeSecurityDescriptorRequest_Binary{Binary: fromText.GetBinary()}, DomainSid: "S-1-5-21-1-2-3"})
	if err != nil {
		t.Fatal(err)
	}
	if fromBinary.GetSddl() != fromText.GetSddl() || hex.EncodeToString(fromBinary.GetBinary()) != hex.EncodeToString(fromText.GetBinary()) {
		t.Errorf("binary round trip:\n%s\n%s", fromBinary.GetSddl(), fromText.GetSddl())
	}
	if !strings.Contains(fromBinary.GetSddl(), resetPasswordGrant) {
		t.Errorf("SDDL %s lost the grant", fromBinary.GetSddl())
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	t.Parallel()
	c := startDirectory(t)
	for _, tc := range []struct {
		name  string
		req   *directoryv1.DecodeSecurityDescriptorRequest
		field string
	}{
		{"nothing", &directoryv1.DecodeSecurityDescriptorRequest{}, "descriptor"},
		{"garbage bytes", &directoryv1.DecodeSecurityDescriptorRequest{Source: &directoryv1.DecodeSecurityDescriptorRequest_Binary{Binary: []byte{1, 0, 4, 0x80, 0xff, 0xff, 0xff, 0xff}}}, "binary"},
		{"bad SDDL", &directoryv1.DecodeSecurityDescriptorRequest{Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: "D:(A;;ZZ;;;WD)"}}, "sddl"},
		{"domain alias without domain", &directoryv1.DecodeSecurityDescriptorRequest{Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: "O:DA"}}, "sddl"},
		{"bad domain SID", &directoryv1.DecodeSecurityDescriptorRequest{Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: "O:SY"}, DomainSid: "S-1-5-32-544"}, "domain_sid"},
		{"huge", &directoryv1.DecodeSecurityDescriptorRequest{Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: strings.Repeat("(A;;GA;;;WD)", 30000)}}, "descriptor"},
	} {
		_, err := c.DecodeSecurityDescriptor(context.Background(), tc.req)
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "invalid "+tc.field+":") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
