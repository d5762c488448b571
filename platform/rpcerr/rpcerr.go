// Package rpcerr builds gRPC errors with google.rpc details: bad requests that say what was wrong,
// and internal errors that are logged with a reference and never leaked to clients.
package rpcerr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// Domain is the ErrorInfo domain of hybridkit's errors.
const Domain = "hybridkit.io"

// FieldViolation says what is wrong with one request field.
type FieldViolation struct {
	Field       string
	Description string
}

// BadRequest returns an InvalidArgument error that lists every violation as google.rpc.BadRequest.
func BadRequest(violations ...FieldViolation) error {
	msg := "invalid request"
	if len(violations) > 0 {
		msg = fmt.Sprintf("invalid %s: %s", violations[0].Field, violations[0].Description)
		if len(violations) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(violations)-1)
		}
	}
	br := &errdetails.BadRequest{}
	for _, v := range violations {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	return withDetails(status.New(codes.InvalidArgument, msg), br)
}

// WithReason returns an error of code c whose ErrorInfo carries a machine-readable reason (for
// example GRAPH_PERMISSION_MISSING) and metadata.
func WithReason(c codes.Code, reason, msg string, metadata map[string]string) error {
	return withDetails(status.New(c, msg), &errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: metadata})
}

// Internal logs err with a fresh reference and returns an Internal error that carries only the
// reference, so that internal details never reach the client.
func Internal(ctx context.Context, logger *slog.Logger, err error) error {
	ref := Reference()
	logger.ErrorContext(ctx, "internal error", "ref", ref, "err", err)
	return status.Errorf(codes.Internal, "internal error (reference %s)", ref)
}

// Reference returns a short random id that ties a client-visible error to a log line.
func Reference() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func withDetails(st *status.Status, details ...protoadapt.MessageV1) error {
	if ds, err := st.WithDetails(details...); err == nil {
		return ds.Err()
	}
	return st.Err()
}
