package rpcerr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestBadRequestCarriesViolations(t *testing.T) {
	t.Parallel()
	err := BadRequest(FieldViolation{"name", "want analyses/{id}"}, FieldViolation{"page_size", "must not be negative"})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("code %v", st.Code())
	}
	if st.Message() != "invalid name: want analyses/{id} (and 1 more)" {
		t.Errorf("message %q", st.Message())
	}
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField()+": "+v.GetDescription())
			}
		}
	}
	if strings.Join(got, "|") != "name: want analyses/{id}|page_size: must not be negative" {
		t.Errorf("violations %q", got)
	}
}

func TestInternalDoesNotLeak(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	err := Internal(context.Background(), logger, errors.New("pq: password authentication failed for user x"))
	st := status.Convert(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "password") {
		t.Fatalf("leaked or wrong code: %v", err)
	}
	ref := strings.TrimSuffix(strings.TrimPrefix(st.Message(), "internal error (reference "), ")")
	if len(ref) != 16 || !strings.Contains(logs.String(), ref) || !strings.Contains(logs.String(), "password authentication failed") {
		t.Errorf("log %q does not hold reference %q and the cause", logs.String(), ref)
	}
}

func TestWithReason(t *testing.T) {
	t.Parallel()
	st := status.Convert(WithReason(codes.PermissionDenied, "GRAPH_PERMISSION_MISSING", "needs Organization.Read.All", map[string]string{"permission": "Organization.Read.All"}))
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetReason() == "GRAPH_PERMISSION_MISSING" && ei.GetDomain() == Domain && ei.GetMetadata()["permission"] == "Organization.Read.All" {
			return
		}
	}
	t.Fatalf("no ErrorInfo in %v", st.Details())
}
