package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// TestGraphError covers the refusals the fixtures cannot provoke on a check's core source: a
// missing licence says which plan.
func TestGraphError(t *testing.T) {
	t.Parallel()
	s := NewService(nil, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		name     string
		err      error
		code     codes.Code
		reason   string
		metadata string
		message  string
	}{
		{"P2", fmt.Errorf("reading: %w", &graphclient.LicenceError{Method: "GET", Path: "/roleManagement/directory/roleEligibilityScheduleInstances", Plan: "P2"}),
			codes.FailedPrecondition, "LICENCE_MISSING", "licence=P2", "Entra ID P2"},
		{"P1", &graphclient.LicenceError{Method: "GET", Path: "/auditLogs/signIns", Plan: "P1"},
			codes.FailedPrecondition, "LICENCE_MISSING", "licence=P1", "Entra ID P1 or P2"},
		{"plan unknown", &graphclient.LicenceError{Method: "GET", Path: "/auditLogs/signIns"},
			codes.FailedPrecondition, "LICENCE_MISSING", "licence=P1", "Entra ID P1 or P2"},
		{"permission", &graphclient.PermissionError{Method: "GET", Path: "/subscribedSkus", Permission: "Organization.Read.All"},
			codes.PermissionDenied, "GRAPH_PERMISSION_MISSING", "permission=Organization.Read.All", "Organization.Read.All"},
		{"timeout", fmt.Errorf("Graph GET /users: %w", context.DeadlineExceeded),
			codes.DeadlineExceeded, "GRAPH_TIMEOUT", "", "did not answer in time"},
		{"other", errors.New("Graph GET /users: 500 InternalServerError"),
			codes.Internal, "", "", "internal error (reference "},
	} {
		err := s.graphError(context.Background(), tc.err)
		st := status.Convert(err)
		var reason string
		var md []string
		for _, d := range st.Details() {
			if ei, ok := d.(*errdetails.ErrorInfo); ok {
				reason = ei.GetReason()
				for k, v := range ei.GetMetadata() {
					md = append(md, k+"="+v)
				}
			}
		}
		if st.Code() != tc.code || reason != tc.reason || strings.Join(md, ",") != tc.metadata || !strings.Contains(st.Message(), tc.message) {
			t.Errorf("%s: %v (reason %q, metadata %q)", tc.name, err, reason, md)
		}
	}
}
