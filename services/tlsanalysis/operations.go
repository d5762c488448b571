package tlsanalysis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hybridkit/hybridkit/platform/rpcerr"
	"github.com/hybridkit/hybridkit/platform/store"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/report"
)

const operationPrefix = "operations/"

// operations runs server-side analyses in the background. The service's context owns them: when
// it ends they are cancelled and recorded as failed, and wait returns once they have stopped.
type operations struct {
	mu   sync.Mutex
	base context.Context
	wg   sync.WaitGroup
}

func (o *operations) start(fn func(ctx context.Context)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.base == nil || o.base.Err() != nil {
		return status.Error(codes.Unavailable, "the service is shutting down")
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		fn(o.base)
	}()
	return nil
}

func (o *operations) wait() { o.wg.Wait() }

// CreateAnalysis starts analysing server-side paths and returns the operation.
func (s *Service) CreateAnalysis(ctx context.Context, req *tlsanalysisv1.CreateAnalysisRequest) (*tlsanalysisv1.CreateAnalysisResponse, error) {
	if len(s.roots) == 0 {
		return nil, rpcerr.WithReason(codes.FailedPrecondition, "NO_ROOTS",
			"the server has no log roots configured: start it with --roots (tlsanalysis-roots under hybridkit serve), or upload the logs", nil)
	}
	walker := input.New(input.Options{})
	files, err := walker.Resolve(s.roots, req.GetPaths())
	if err != nil {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "paths", Description: strings.TrimPrefix(err.Error(), "input: ")})
	}
	if len(files) == 0 {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "paths", Description: "name no log files (.log, .gz, .zip, .txt)"})
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	display := req.GetDisplayName()
	if display == "" {
		display = req.GetPaths()[0]
		if len(req.GetPaths()) > 1 {
			display = fmt.Sprintf("%s and %d more", display, len(req.GetPaths())-1)
		}
	}
	reqJSON, _ := protojson.Marshal(req)
	run, err := s.store.CreateRun(ctx, store.Run{Kind: RunKind, State: store.RunRunning, Input: reqJSON,
		ProgressText: fmt.Sprintf("0 of %s in %d files", report.FormatBytes(total), len(files))})
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, fmt.Errorf("storing the operation: %w", err))
	}
	err = s.ops.start(func(base context.Context) { s.analyseFiles(base, run, display, files, total) })
	if err != nil {
		_, _ = s.store.UpdateRun(context.WithoutCancel(ctx), run.ID, func(r *store.Run) error {
			r.State, r.Error = store.RunFailed, err.Error()
			return nil
		})
		return nil, err
	}
	return &tlsanalysisv1.CreateAnalysisResponse{Operation: operationOf(run)}, nil
}

// analyseFiles runs one server-side analysis of the files CreateAnalysis resolved, reporting
// progress into the run at most twice a second.
func (s *Service) analyseFiles(ctx context.Context, run store.Run, display string, files []input.File, total int64) {
	id := run.ID
	logger := s.logger.With("operation", operationPrefix+id)
	var (
		mu   sync.Mutex
		last time.Time
	)
	progress := func(read int64) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 500*time.Millisecond {
			return
		}
		last = time.Now()
		frac := 0.99
		if total > 0 {
			frac = min(float64(read)/float64(total), 0.99)
		}
		text := fmt.Sprintf("%s read of %s in %d files", report.FormatBytes(read), report.FormatBytes(total), len(files))
		if _, err := s.store.UpdateRun(ctx, id, func(r *store.Run) error { r.Progress, r.ProgressText = frac, text; return nil }); err != nil && ctx.Err() == nil {
			logger.Warn("recording progress", "err", err)
		}
	}
	res, err := analysis.AnalyzeFiles(ctx, analysis.Options{Progress: progress}, input.Options{}, files)
	// Record the end even when the service is stopping.
	done := context.WithoutCancel(ctx)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "input: ")
		if ctx.Err() != nil {
			msg = "cancelled: the service stopped before the analysis finished"
		}
		logger.Warn("analysis failed", "err", err)
		if _, uerr := s.store.UpdateRun(done, id, func(r *store.Run) error { r.State, r.Error = store.RunFailed, msg; return nil }); uerr != nil {
			logger.Error("recording the failure", "err", uerr)
		}
		return
	}
	an := ToProto(res)
	an.DisplayName = display
	an.Name = namePrefix + id
	if err := s.finish(done, run, an); err != nil {
		logger.Error("storing the analysis", "err", err)
		_, _ = s.store.UpdateRun(done, id, func(r *store.Run) error { r.State, r.Error = store.RunFailed, "could not store the result"; return nil })
	}
}

// GetOperation returns an operation's state.
func (s *Service) GetOperation(ctx context.Context, req *tlsanalysisv1.GetOperationRequest) (*tlsanalysisv1.GetOperationResponse, error) {
	id, err := resourceID("name", req.GetName(), operationPrefix, "operations/{id}")
	if err != nil {
		return nil, err
	}
	run, err := s.store.GetRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && run.Kind != RunKind) {
		return nil, status.Errorf(codes.NotFound, "operation %s does not exist", req.GetName())
	}
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, err)
	}
	return &tlsanalysisv1.GetOperationResponse{Operation: operationOf(run)}, nil
}

func operationOf(r store.Run) *tlsanalysisv1.Operation {
	op := &tlsanalysisv1.Operation{
		Name:         operationPrefix + r.ID,
		Done:         r.State.Terminal(),
		Progress:     r.Progress,
		ProgressText: r.ProgressText,
		Error:        r.Error,
		CreateTime:   timestamppb.New(r.CreatedAt),
		UpdateTime:   timestamppb.New(r.UpdatedAt),
	}
	if r.State == store.RunSucceeded {
		op.Analysis = namePrefix + r.ID
	}
	return op
}
