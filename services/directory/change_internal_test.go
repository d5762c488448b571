package directory

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

func TestChangeErrors(t *testing.T) {
	t.Parallel()
	s := NewService(slog.New(slog.DiscardHandler))
	ctx := context.Background()
	written := &writeback.Change{Objects: []writeback.ObjectChange{{DN: "OU=A,DC=x", Written: true, BackupID: "b1"}, {DN: "OU=B,DC=x"}}}
	for _, tc := range []struct {
		err    error
		ch     *writeback.Change
		code   codes.Code
		substr []string
	}{
		{fmt.Errorf("writeback: %q: %w; nothing was written", "OU=B,DC=x", writeback.ErrConcurrentChange), nil, codes.Aborted, []string{"retry"}},
		{fmt.Errorf("writeback: %q: %w: ACE missing (backup b2)", "OU=B,DC=x", writeback.ErrVerify), written, codes.DataLoss, []string{"backup b2", "restore", `"OU=A,DC=x" was written (backup backups/b1)`}},
		{fmt.Errorf("writeback: grant: %w", writeback.ErrNoStore), nil, codes.FailedPrecondition, []string{"store"}},
		{&writeback.OutsideDomainError{DN: "OU=X,DC=elsewhere", NamingContexts: []string{"DC=x"}}, nil, codes.InvalidArgument, []string{"outside"}},
	} {
		err := s.changeError(ctx, tc.err, "scope", tc.ch)
		st := status.Convert(err)
		if st.Code() != tc.code {
			t.Errorf("%v: code %v, want %v (%s)", tc.err, st.Code(), tc.code, st.Message())
		}
		msg := st.Message()
		for _, d := range st.Details() {
			msg += fmt.Sprint(d)
		}
		for _, sub := range tc.substr {
			if !strings.Contains(msg, sub) {
				t.Errorf("%v: %q does not say %q", tc.err, msg, sub)
			}
		}
	}
}

func TestChangeValidators(t *testing.T) {
	t.Parallel()
	v := NewService(slog.New(slog.DiscardHandler)).Validators()
	bad := []struct {
		method string
		req    any
	}{
		{directoryv1.DirectoryService_GrantWriteback_FullMethodName, &directoryv1.GrantWritebackRequest{}},
		{directoryv1.DirectoryService_GrantWriteback_FullMethodName, &directoryv1.GrantWritebackRequest{Scope: "not a DN"}},
		{directoryv1.DirectoryService_GrantWriteback_FullMethodName, &directoryv1.GrantWritebackRequest{AdminSdHolder: true, Rights: []directoryv1.WritebackRight{0}}},
		{directoryv1.DirectoryService_RevokeWriteback_FullMethodName, &directoryv1.RevokeWritebackRequest{Connector: "S-1-bogus", AdminSdHolder: true}},
		{directoryv1.DirectoryService_RestoreBackup_FullMethodName, &directoryv1.RestoreBackupRequest{Name: "abc"}},
		{directoryv1.DirectoryService_RestoreBackup_FullMethodName, &directoryv1.RestoreBackupRequest{Name: "backups/"}},
		{directoryv1.DirectoryService_GetBackup_FullMethodName, &directoryv1.GetBackupRequest{Name: "backups/a/b"}},
		{directoryv1.DirectoryService_ListBackups_FullMethodName, &directoryv1.ListBackupsRequest{PageSize: -1}},
		{directoryv1.DirectoryService_ListBackups_FullMethodName, &directoryv1.ListBackupsRequest{Dn: "nope"}},
	}
	for _, b := range bad {
		if err := v[b.method](b.req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s %v: %v, want InvalidArgument", b.method, b.req, err)
		}
	}
	good := []struct {
		method string
		req    any
	}{
		{directoryv1.DirectoryService_GrantWriteback_FullMethodName, &directoryv1.GrantWritebackRequest{Scope: "OU=Staff,DC=x", Rights: []directoryv1.WritebackRight{directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD}}},
		{directoryv1.DirectoryService_RevokeWriteback_FullMethodName, &directoryv1.RevokeWritebackRequest{AdminSdHolder: true}},
		{directoryv1.DirectoryService_RestoreBackup_FullMethodName, &directoryv1.RestoreBackupRequest{Name: "backups/0123abcd"}},
		{directoryv1.DirectoryService_GetBackup_FullMethodName, &directoryv1.GetBackupRequest{Name: "backups/0123abcd"}},
		{directoryv1.DirectoryService_ListBackups_FullMethodName, &directoryv1.ListBackupsRequest{Dn: "OU=Staff,DC=x", PageSize: 10}},
	}
	for _, g := range good {
		if err := v[g.method](g.req); err != nil {
			t.Errorf("%s %v: %v", g.method, g.req, err)
		}
	}
}
