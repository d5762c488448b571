package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// backupPrefix starts the resource names of backups: backups/{id}.
const backupPrefix = "backups/"

// Reasons of the change RPCs' errors.
const (
	// ReasonNoStore: the service has no store for backups and audit records.
	ReasonNoStore = "NO_STORE"
	// ReasonConcurrentChange: the descriptor changed between the read and the write.
	ReasonConcurrentChange = "CONCURRENT_CHANGE"
	// ReasonVerifyFailed: the written DACL did not read back as expected.
	ReasonVerifyFailed = "VERIFY_FAILED"
)

func changeValidators(v map[string]grpcserver.Validator) {
	grant := func(connector, scope string, adminSD bool, rights []directoryv1.WritebackRight, reason string) error {
		vs := append(checkAccount("connector", connector), checkScope("scope", scope)...)
		if strings.TrimSpace(scope) == "" && !adminSD {
			vs = append(vs, rpcerr.FieldViolation{Field: "scope", Description: "give a scope (the domain root or an OU DN), admin_sd_holder, or both"})
		}
		for i, r := range rights {
			if _, ok := rightFromProto[r]; !ok {
				vs = append(vs, rpcerr.FieldViolation{Field: fmt.Sprintf("rights[%d]", i), Description: fmt.Sprintf("unknown right %d", r)})
			}
		}
		if len(reason) > maxNameBytes {
			vs = append(vs, rpcerr.FieldViolation{Field: "reason", Description: fmt.Sprintf("is longer than %d bytes", maxNameBytes)})
		}
		return violations(vs)
	}
	v[directoryv1.DirectoryService_GrantWriteback_FullMethodName] = func(req any) error {
		r := req.(*directoryv1.GrantWritebackRequest)
		return grant(r.GetConnector(), r.GetScope(), r.GetAdminSdHolder(), r.GetRights(), r.GetReason())
	}
	v[directoryv1.DirectoryService_RevokeWriteback_FullMethodName] = func(req any) error {
		r := req.(*directoryv1.RevokeWritebackRequest)
		return grant(r.GetConnector(), r.GetScope(), r.GetAdminSdHolder(), r.GetRights(), r.GetReason())
	}
	v[directoryv1.DirectoryService_RestoreBackup_FullMethodName] = func(req any) error {
		r := req.(*directoryv1.RestoreBackupRequest)
		vs := checkBackupName(r.GetName())
		if len(r.GetReason()) > maxNameBytes {
			vs = append(vs, rpcerr.FieldViolation{Field: "reason", Description: fmt.Sprintf("is longer than %d bytes", maxNameBytes)})
		}
		return violations(vs)
	}
	v[directoryv1.DirectoryService_GetBackup_FullMethodName] = func(req any) error {
		return violations(checkBackupName(req.(*directoryv1.GetBackupRequest).GetName()))
	}
	v[directoryv1.DirectoryService_ListBackups_FullMethodName] = func(req any) error {
		r := req.(*directoryv1.ListBackupsRequest)
		var vs []rpcerr.FieldViolation
		if n := r.GetPageSize(); n < 0 || n > maxPageSize {
			vs = append(vs, rpcerr.FieldViolation{Field: "page_size", Description: fmt.Sprintf("must be between 0 (the default, %d) and %d", defaultPageSize, maxPageSize)})
		}
		if len(r.GetPageToken()) > maxNameBytes {
			vs = append(vs, rpcerr.FieldViolation{Field: "page_token", Description: "is not a page token of this list"})
		}
		return violations(append(vs, checkScope("dn", r.GetDn())...))
	}
}

func checkBackupName(name string) []rpcerr.FieldViolation {
	id, ok := strings.CutPrefix(name, backupPrefix)
	if !ok || id == "" || strings.Contains(id, "/") || len(id) > 128 {
		return []rpcerr.FieldViolation{{Field: "name", Description: fmt.Sprintf("%q is not a backup name: want backups/{id}", name)}}
	}
	return nil
}

var rightFromProto = func() map[directoryv1.WritebackRight]writeback.Right {
	m := make(map[directoryv1.WritebackRight]writeback.Right, len(rightProto))
	for r, p := range rightProto {
		m[p] = r
	}
	return m
}()

// actor names the caller in backups and audit records.
func actor(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Actor()
	}
	return "unauthenticated"
}

type grantArgs struct {
	connector, scope string
	adminSD, all     bool
	rights           []directoryv1.WritebackRight
	apply            bool
	reason           string
}

func (s *Service) grantOrRevoke(ctx context.Context, revoke bool, a grantArgs) (bool, []*directoryv1.ObjectChange, *directoryv1.Principal, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return false, nil, nil, err
	}
	p, err := s.connector(ctx, eng, conn, a.connector)
	if err != nil {
		return false, nil, nil, err
	}
	req := writeback.GrantRequest{
		Principal: p, Scope: strings.TrimSpace(a.scope), AdminSDHolder: a.adminSD, AllExplicit: a.all,
		Apply: a.apply, Actor: actor(ctx), RunID: auth.RequestID(ctx), Reason: a.reason,
	}
	for _, r := range a.rights {
		req.Rights = append(req.Rights, rightFromProto[r])
	}
	do := eng.Grant
	if revoke {
		do = eng.Revoke
	}
	ch, err := do(ctx, req)
	if err != nil {
		return false, nil, nil, s.changeError(ctx, err, "scope", ch)
	}
	out := make([]*directoryv1.ObjectChange, 0, len(ch.Objects))
	for i := range ch.Objects {
		out = append(out, objectChangeProto(&ch.Objects[i]))
	}
	return ch.DryRun, out, principalProto(p), nil
}

// GrantWriteback adds the ACEs the connector needs (a dry run unless apply).
func (s *Service) GrantWriteback(ctx context.Context, req *directoryv1.GrantWritebackRequest) (*directoryv1.GrantWritebackResponse, error) {
	dry, objs, p, err := s.grantOrRevoke(ctx, false, grantArgs{req.GetConnector(), req.GetScope(), req.GetAdminSdHolder(), req.GetAllExplicit(), req.GetRights(), req.GetApply(), req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &directoryv1.GrantWritebackResponse{DryRun: dry, Objects: objs, Connector: p}, nil
}

// RevokeWriteback removes the ACEs GrantWriteback adds (a dry run unless apply).
func (s *Service) RevokeWriteback(ctx context.Context, req *directoryv1.RevokeWritebackRequest) (*directoryv1.RevokeWritebackResponse, error) {
	dry, objs, p, err := s.grantOrRevoke(ctx, true, grantArgs{req.GetConnector(), req.GetScope(), req.GetAdminSdHolder(), req.GetAllExplicit(), req.GetRights(), req.GetApply(), req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &directoryv1.RevokeWritebackResponse{DryRun: dry, Objects: objs, Connector: p}, nil
}

// RestoreBackup puts back a backed-up DACL (a dry run unless apply).
func (s *Service) RestoreBackup(ctx context.Context, req *directoryv1.RestoreBackupRequest) (*directoryv1.RestoreBackupResponse, error) {
	if s.store == nil {
		return nil, s.changeError(ctx, writeback.ErrNoStore, "name", nil)
	}
	id := strings.TrimPrefix(req.GetName(), backupPrefix)
	if _, err := s.store.GetBackup(ctx, id); err != nil {
		return nil, s.storeError(ctx, err, req.GetName())
	}
	eng, _, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	oc, err := eng.Restore(ctx, writeback.RestoreRequest{BackupID: id, Apply: req.GetApply(), Actor: actor(ctx), RunID: auth.RequestID(ctx), Reason: req.GetReason()})
	if err != nil {
		var ch *writeback.Change
		if oc != nil {
			ch = &writeback.Change{Objects: []writeback.ObjectChange{*oc}}
		}
		return nil, s.changeError(ctx, err, "name", ch)
	}
	return &directoryv1.RestoreBackupResponse{DryRun: !req.GetApply(), Object: objectChangeProto(oc)}, nil
}

// ListBackups lists the descriptor backups, newest first.
func (s *Service) ListBackups(ctx context.Context, req *directoryv1.ListBackupsRequest) (*directoryv1.ListBackupsResponse, error) {
	if s.store == nil {
		return nil, s.changeError(ctx, writeback.ErrNoStore, "", nil)
	}
	bs, next, err := s.store.ListBackups(ctx, store.BackupQuery{DN: req.GetDn(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		if errors.Is(err, store.ErrInvalidPageToken) || errors.Is(err, store.ErrInvalidArgument) {
			return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "page_token", Description: "is not a page token of this list (with this dn)"})
		}
		return nil, s.storeError(ctx, err, "")
	}
	resp := &directoryv1.ListBackupsResponse{NextPageToken: next}
	for i := range bs {
		resp.Backups = append(resp.Backups, backupProto(&bs[i]))
	}
	return resp, nil
}

// GetBackup returns one descriptor backup.
func (s *Service) GetBackup(ctx context.Context, req *directoryv1.GetBackupRequest) (*directoryv1.GetBackupResponse, error) {
	if s.store == nil {
		return nil, s.changeError(ctx, writeback.ErrNoStore, "", nil)
	}
	b, err := s.store.GetBackup(ctx, strings.TrimPrefix(req.GetName(), backupPrefix))
	if err != nil {
		return nil, s.storeError(ctx, err, req.GetName())
	}
	return &directoryv1.GetBackupResponse{Backup: backupProto(&b)}, nil
}

func (s *Service) storeError(ctx context.Context, err error, name string) error {
	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, store.ErrNotFound):
		return status.Errorf(codes.NotFound, "%s does not exist", name)
	}
	return rpcerr.Internal(ctx, s.logger, err)
}

// changeError maps an error of a grant, revoke or restore. ch is what was done before it, if
// anything: the message names the objects already written and their backups.
func (s *Service) changeError(ctx context.Context, err error, field string, ch *writeback.Change) error {
	done := ""
	if ch != nil {
		var parts []string
		for _, oc := range ch.Objects {
			if oc.Written {
				parts = append(parts, fmt.Sprintf("%q was written (backup %s%s)", oc.DN, backupPrefix, oc.BackupID))
			}
		}
		if len(parts) > 0 {
			done = "; before that " + strings.Join(parts, ", ")
		}
	}
	switch {
	case ctx.Err() != nil && !errors.Is(err, writeback.ErrVerify):
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, writeback.ErrNoStore):
		return rpcerr.WithReason(codes.FailedPrecondition, ReasonNoStore,
			"the service has no store for backups and audit records: changes and backups need one", nil)
	case errors.Is(err, writeback.ErrConcurrentChange):
		return rpcerr.WithReason(codes.Aborted, ReasonConcurrentChange,
			trimPrefixes(err)+": someone else changed it; read again and retry"+done, nil)
	case errors.Is(err, writeback.ErrVerify):
		return rpcerr.WithReason(codes.DataLoss, ReasonVerifyFailed,
			trimPrefixes(err)+": the DACL was written but does not read back as expected; inspect the object and restore the backup if needed"+done, nil)
	case errors.Is(err, store.ErrNotFound):
		return status.Errorf(codes.NotFound, "%s: %s", field, err.Error())
	}
	if done != "" {
		s.logger.ErrorContext(ctx, "directory: change failed after writing", "done", done, "err", err)
	}
	return s.engineError(ctx, err, field)
}

func objectChangeProto(oc *writeback.ObjectChange) *directoryv1.ObjectChange {
	out := &directoryv1.ObjectChange{
		Dn: oc.DN, AddedAces: oc.Add, RemovedAces: oc.Remove, BeforeSddl: oc.Before, AfterSddl: oc.After,
		Diff: oc.Diff, Unchanged: oc.Unchanged, Notes: oc.Notes, Written: oc.Written, Verified: oc.Verified, AuditId: oc.AuditID,
	}
	if oc.BackupID != "" {
		out.Backup = backupPrefix + oc.BackupID
	}
	return out
}

func backupProto(b *store.Backup) *directoryv1.Backup {
	return &directoryv1.Backup{
		Name: backupPrefix + b.ID, Dn: b.DN, Domain: b.Domain, Attribute: b.Attribute, Value: b.Value, Sddl: b.SDDL,
		Reason: b.Reason, RunId: b.RunID, Actor: b.Actor, CreateTime: timestamppb.New(b.CreatedAt),
	}
}
