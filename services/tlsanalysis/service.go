package tlsanalysis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
	"github.com/hybridkit/hybridkit/platform/store"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
)

// RunKind is the store's kind for analyses.
const RunKind = "tlsanalysis.analysis"

const (
	namePrefix      = "analyses/"
	maxChunkBytes   = 4 << 20
	maxNameLen      = 4096
	maxPaths        = 1000
	defaultPageSize = 50
	maxPageSize     = 500
)

// Service implements tlsanalysisv1.TlsAnalysisServiceServer.
type Service struct {
	tlsanalysisv1.UnimplementedTlsAnalysisServiceServer
	store  *store.Store
	logger *slog.Logger
	roots  []string
	ops    operations
}

// NewService returns the service over st; roots are the folders server-side analyses may read.
func NewService(st *store.Store, logger *slog.Logger, roots []string) *Service {
	return &Service{store: st, logger: logger, roots: roots}
}

// Validators returns the request checks the validation interceptor runs.
func (s *Service) Validators() map[string]grpcserver.Validator {
	return map[string]grpcserver.Validator{
		tlsanalysisv1.TlsAnalysisService_GetAnalysis_FullMethodName: func(req any) error {
			_, err := analysisID(req.(*tlsanalysisv1.GetAnalysisRequest).GetName())
			return err
		},
		tlsanalysisv1.TlsAnalysisService_GetOperation_FullMethodName: func(req any) error {
			_, err := resourceID("name", req.(*tlsanalysisv1.GetOperationRequest).GetName(), operationPrefix, "operations/{id}")
			return err
		},
		tlsanalysisv1.TlsAnalysisService_ExportAnalysis_FullMethodName: func(req any) error {
			r := req.(*tlsanalysisv1.ExportAnalysisRequest)
			if _, err := analysisID(r.GetName()); err != nil {
				return err
			}
			return checkExport(r.GetFormat(), r.GetTable())
		},
		tlsanalysisv1.TlsAnalysisService_CreateAnalysis_FullMethodName: func(req any) error {
			r := req.(*tlsanalysisv1.CreateAnalysisRequest)
			if len(r.GetPaths()) == 0 || len(r.GetPaths()) > maxPaths {
				return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "paths", Description: fmt.Sprintf("give between 1 and %d files or folders", maxPaths)})
			}
			for i, p := range r.GetPaths() {
				if err := checkName(fmt.Sprintf("paths[%d]", i), p, true); err != nil {
					return err
				}
			}
			return checkName("display_name", r.GetDisplayName(), false)
		},
		tlsanalysisv1.TlsAnalysisService_ListAnalyses_FullMethodName: func(req any) error {
			if n := req.(*tlsanalysisv1.ListAnalysesRequest).GetPageSize(); n < 0 || n > maxPageSize {
				return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "page_size", Description: fmt.Sprintf("must be between 0 and %d", maxPageSize)})
			}
			return nil
		},
		tlsanalysisv1.TlsAnalysisService_UploadLogs_FullMethodName: func(req any) error {
			m := req.(*tlsanalysisv1.UploadLogsRequest)
			switch p := m.GetPayload().(type) {
			case *tlsanalysisv1.UploadLogsRequest_Chunk:
				if len(p.Chunk) > maxChunkBytes {
					return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "chunk", Description: fmt.Sprintf("is %d bytes; send at most %d per message", len(p.Chunk), maxChunkBytes)})
				}
			case *tlsanalysisv1.UploadLogsRequest_File:
				return checkName("file.name", p.File.GetName(), true)
			case *tlsanalysisv1.UploadLogsRequest_Metadata:
				return checkName("metadata.display_name", p.Metadata.GetDisplayName(), false)
			case nil:
				return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "payload", Description: "is empty: send metadata, file or chunk"})
			}
			return nil
		},
	}
}

func checkName(field, v string, required bool) error {
	switch {
	case required && v == "":
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: "is required"})
	case len(v) > maxNameLen:
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf("is longer than %d bytes", maxNameLen)})
	case !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n"):
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: "must be UTF-8 without NUL or line breaks"})
	}
	return nil
}

func analysisID(name string) (string, error) {
	return resourceID("name", name, namePrefix, "analyses/{id}")
}

// resourceID returns the id of a resource name prefix+id, or InvalidArgument.
func resourceID(field, name, prefix, form string) (string, error) {
	id, ok := strings.CutPrefix(name, prefix)
	if !ok || id == "" || strings.Contains(id, "/") || len(id) > 64 {
		return "", rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf("%q is not of the form %s", truncate(name, 80), form)})
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// fileFeed streams one uploaded file into the analyser while the upload goes on.
type fileFeed struct {
	name string
	w    *io.PipeWriter
	done chan error
}

func (s *Service) startFile(ctx context.Context, a *analysis.Analyzer, name string) *fileFeed {
	pr, pw := io.Pipe()
	f := &fileFeed{name: name, w: pw, done: make(chan error, 1)}
	go func() {
		err := input.Walk(ctx, name, pr, func(n string, r io.Reader) error { return a.AddFile(ctx, n, r) })
		// Writes after this fail with err, so the receiving loop stops at once.
		pr.CloseWithError(err)
		f.done <- err
	}()
	return f
}

func (f *fileFeed) finish() error {
	_ = f.w.Close()
	if err := <-f.done; err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	return nil
}

// UploadLogs analyses the streamed files and stores the result.
func (s *Service) UploadLogs(stream tlsanalysisv1.TlsAnalysisService_UploadLogsServer) error {
	ctx := stream.Context()
	a := analysis.New(analysis.Options{})
	var (
		display string
		cur     *fileFeed
		files   []string
		first   = true
	)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if cur != nil {
				cur.w.CloseWithError(err)
				<-cur.done
			}
			return err
		}
		switch p := msg.GetPayload().(type) {
		case *tlsanalysisv1.UploadLogsRequest_Metadata:
			if !first {
				return s.abort(cur, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "metadata", Description: "only the first message may carry metadata"}))
			}
			display = p.Metadata.GetDisplayName()
		case *tlsanalysisv1.UploadLogsRequest_File:
			if cur != nil {
				if err := cur.finish(); err != nil {
					return s.inputError(ctx, err)
				}
			}
			files = append(files, p.File.GetName())
			cur = s.startFile(ctx, a, p.File.GetName())
		case *tlsanalysisv1.UploadLogsRequest_Chunk:
			if cur == nil {
				return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "chunk", Description: "came before any file message: start each file with a file message"})
			}
			if _, err := cur.w.Write(p.Chunk); err != nil {
				// The analyser stopped reading: finish tells why.
				if ferr := cur.finish(); ferr != nil {
					return s.inputError(ctx, ferr)
				}
				return s.inputError(ctx, fmt.Errorf("%s: content after the end of the archive", cur.name))
			}
		}
		first = false
	}
	if cur == nil {
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "file", Description: "the upload has no file"})
	}
	if err := cur.finish(); err != nil {
		return s.inputError(ctx, err)
	}
	if display == "" {
		display = files[0]
		if len(files) > 1 {
			display = fmt.Sprintf("%s and %d more", files[0], len(files)-1)
		}
	}
	res := a.Finish()
	an, err := s.save(ctx, display, res)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&tlsanalysisv1.UploadLogsResponse{Analysis: an})
}

func (s *Service) abort(cur *fileFeed, err error) error {
	if cur != nil {
		cur.w.CloseWithError(err)
		<-cur.done
	}
	return err
}

// inputError maps a failure to read the upload to a status: the client went away, or the content
// is not something the analyser can read (InvalidArgument, saying what and where).
func (s *Service) inputError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return err
	}
	return status.Errorf(codes.InvalidArgument, "cannot analyse %v", err)
}

// save stores an uploaded analysis.
func (s *Service) save(ctx context.Context, display string, res *analysis.Result) (*tlsanalysisv1.Analysis, error) {
	an := ToProto(res)
	an.DisplayName = display
	run, err := s.store.CreateRun(ctx, store.Run{Kind: RunKind, State: store.RunRunning})
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, fmt.Errorf("storing the analysis: %w", err))
	}
	an.Name = namePrefix + run.ID
	if err := s.finish(ctx, run, an); err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, err)
	}
	return an, nil
}

// finish stores a finished analysis: the whole as the run's JSON report, then the totals (for
// listings) in the run, which marks it succeeded.
func (s *Service) finish(ctx context.Context, run store.Run, an *tlsanalysisv1.Analysis) error {
	id := run.ID
	an.CreateTime = timestamppb.New(run.CreatedAt)
	full, err := protojson.Marshal(an)
	if err != nil {
		return err
	}
	if _, err := s.store.PutReport(ctx, store.Report{RunID: id, Format: store.ReportJSON, ContentType: "application/json", Content: full}); err != nil {
		return fmt.Errorf("storing the analysis report: %w", err)
	}
	summary, err := protojson.Marshal(summaryOf(an))
	if err != nil {
		return err
	}
	_, err = s.store.UpdateRun(ctx, id, func(r *store.Run) error {
		r.State, r.Progress, r.Summary = store.RunSucceeded, 1, summary
		return nil
	})
	return err
}

// summaryOf keeps what listings show: everything but the detail tables.
func summaryOf(an *tlsanalysisv1.Analysis) *tlsanalysisv1.Analysis {
	sum := proto.Clone(an).(*tlsanalysisv1.Analysis)
	sum.Connectors, sum.Remotes, sum.Days, sum.Ciphers, sum.Certificates, sum.Malformed = nil, nil, nil, nil, nil, nil
	return sum
}

// GetAnalysis returns a stored analysis.
func (s *Service) GetAnalysis(ctx context.Context, req *tlsanalysisv1.GetAnalysisRequest) (*tlsanalysisv1.GetAnalysisResponse, error) {
	id, err := analysisID(req.GetName())
	if err != nil {
		return nil, err
	}
	an, err := s.load(ctx, id, req.GetName())
	if err != nil {
		return nil, err
	}
	return &tlsanalysisv1.GetAnalysisResponse{Analysis: an}, nil
}

// load reads a stored analysis; one still running or failed is a FailedPrecondition that says so.
func (s *Service) load(ctx context.Context, id, name string) (*tlsanalysisv1.Analysis, error) {
	rep, err := s.store.GetReport(ctx, id, store.ReportJSON)
	if errors.Is(err, store.ErrNotFound) {
		run, rerr := s.store.GetRun(ctx, id)
		switch {
		case rerr == nil && run.Kind == RunKind && run.State == store.RunFailed:
			return nil, status.Errorf(codes.FailedPrecondition, "analysis %s failed: %s", name, run.Error)
		case rerr == nil && run.Kind == RunKind:
			return nil, status.Errorf(codes.FailedPrecondition, "analysis %s is still running (%s): poll %s%s", name, run.ProgressText, operationPrefix, id)
		}
		return nil, status.Errorf(codes.NotFound, "analysis %s does not exist", name)
	}
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, err)
	}
	an := new(tlsanalysisv1.Analysis)
	if err := protojson.Unmarshal(rep.Content, an); err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, fmt.Errorf("stored analysis %s: %w", id, err))
	}
	return an, nil
}

// ListAnalyses lists stored analyses, newest first.
func (s *Service) ListAnalyses(ctx context.Context, req *tlsanalysisv1.ListAnalysesRequest) (*tlsanalysisv1.ListAnalysesResponse, error) {
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	runs, next, err := s.store.ListRuns(ctx, store.ListRunsQuery{Kind: RunKind, PageSize: size, PageToken: req.GetPageToken()})
	if errors.Is(err, store.ErrInvalidPageToken) {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "page_token", Description: "is not a token this listing returned"})
	}
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, err)
	}
	resp := &tlsanalysisv1.ListAnalysesResponse{NextPageToken: next}
	for _, r := range runs {
		an := new(tlsanalysisv1.Analysis)
		if err := protojson.Unmarshal(r.Summary, an); err != nil {
			return nil, rpcerr.Internal(ctx, s.logger, fmt.Errorf("stored analysis %s: %w", r.ID, err))
		}
		an.Name = namePrefix + r.ID
		an.CreateTime = timestamppb.New(r.CreatedAt)
		resp.Analyses = append(resp.Analyses, an)
	}
	return resp, nil
}
