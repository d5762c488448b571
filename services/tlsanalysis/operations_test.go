package tlsanalysis_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis"
)

// startWithRoots runs the service with one root holding the upload fixtures under logs/.
func startWithRoots(t *testing.T) (tlsanalysisv1.TlsAnalysisServiceClient, string) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "logs", "Hub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"RECV2026112509-1.LOG", "SEND2026112509-1.LOG"} {
		if err := os.WriteFile(filepath.Join(root, "logs", "Hub", f), fixture(t, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return tlsanalysis.Run(ctx, tlsanalysis.Options{Config: tlsanalysis.Config{Roots: []string{root}}, Deps: deps, Store: st})
	})
	return tlsanalysisv1.NewTlsAnalysisServiceClient(grpctest.Dial(t, addr)), root
}

func waitOperation(t *testing.T, c tlsanalysisv1.TlsAnalysisServiceClient, name string) *tlsanalysisv1.Operation {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.GetOperation(context.Background(), &tlsanalysisv1.GetOperationRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if op := resp.GetOperation(); op.GetDone() {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s not done after 20s: %v", name, resp.GetOperation())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCreateAnalysisFromServerPaths(t *testing.T) {
	t.Parallel()
	c, root := startWithRoots(t)
	ctx := context.Background()
	// A relative folder and the same folder by absolute path: files are not counted twice.
	resp, err := c.CreateAnalysis(ctx, &tlsanalysisv1.CreateAnalysisRequest{Paths: []string{"logs", filepath.Join(root, "logs", "Hub")}, DisplayName: "EX01 hub"})
	if err != nil {
		t.Fatal(err)
	}
	op := waitOperation(t, c, resp.GetOperation().GetName())
	if op.GetError() != "" || op.GetProgress() != 1 || op.GetAnalysis() != "analyses/"+strings.TrimPrefix(op.GetName(), "operations/") {
		t.Fatalf("operation %v", op)
	}
	got, err := c.GetAnalysis(ctx, &tlsanalysisv1.GetAnalysisRequest{Name: op.GetAnalysis()})
	if err != nil {
		t.Fatal(err)
	}
	an := got.GetAnalysis()
	if an.GetFiles() != 2 || an.GetSessions() != 4 || an.GetDisplayName() != "EX01 hub" ||
		counts(an, tlsanalysisv1.Direction_DIRECTION_RECEIVE).GetLegacy() != 2 || counts(an, tlsanalysisv1.Direction_DIRECTION_SEND).GetTls1_2() != 1 {
		t.Errorf("analysis files %d sessions %d display %q totals %v", an.GetFiles(), an.GetSessions(), an.GetDisplayName(), an.GetTotals())
	}

	// Exports: HTML names the analysis, CSV parses back, JSON is the analysis.
	html, err := c.ExportAnalysis(ctx, &tlsanalysisv1.ExportAnalysisRequest{Name: op.GetAnalysis()})
	if err != nil || !strings.HasPrefix(html.GetBody().GetContentType(), "text/html") || !strings.Contains(string(html.GetBody().GetData()), "EX01 hub") || !strings.HasSuffix(html.GetFileName(), ".html") {
		t.Errorf("html export: %v %v", html.GetFileName(), err)
	}
	csvResp, err := c.ExportAnalysis(ctx, &tlsanalysisv1.ExportAnalysisRequest{Name: op.GetAnalysis(), Format: "csv", Table: "remotes"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(csvResp.GetBody().GetData()))).ReadAll()
	if err != nil || len(rows) != 5 || !strings.Contains(strings.Join(rows[0], ","), "ip") {
		t.Errorf("csv export: %d rows %v %v", len(rows), rows, err)
	}
}

func TestCreateAnalysisRefusals(t *testing.T) {
	t.Parallel()
	c, _ := startWithRoots(t)
	ctx := context.Background()
	for _, paths := range [][]string{{"../../../etc"}, {"/etc/passwd"}, {"logs/../../x"}, {"missing"}, {}} {
		_, err := c.CreateAnalysis(ctx, &tlsanalysisv1.CreateAnalysisRequest{Paths: paths})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "invalid paths") {
			t.Errorf("paths %q: %v", paths, err)
		}
	}
	if _, err := c.GetOperation(ctx, &tlsanalysisv1.GetOperationRequest{Name: "operations/0000"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown operation: %v", err)
	}
	for _, req := range []*tlsanalysisv1.ExportAnalysisRequest{
		{Name: "analyses/x", Format: "pdf"},
		{Name: "analyses/x", Format: "csv", Table: "passwords"},
		{Name: "analyses/x", Format: "html", Table: "remotes"},
	} {
		if _, err := c.ExportAnalysis(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("export %v: %v", req, err)
		}
	}

	// Without roots the server says how to configure them.
	plain := startTLS(t)
	_, err := plain.CreateAnalysis(ctx, &tlsanalysisv1.CreateAnalysisRequest{Paths: []string{"logs"}})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "--roots") {
		t.Errorf("no roots: %v", err)
	}
}
