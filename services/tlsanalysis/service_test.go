package tlsanalysis_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis"
)

func startTLS(t testing.TB) tlsanalysisv1.TlsAnalysisServiceClient {
	t.Helper()
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return tlsanalysis.Run(ctx, tlsanalysis.Options{Deps: deps, Store: st})
	})
	return tlsanalysisv1.NewTlsAnalysisServiceClient(grpctest.Dial(t, addr))
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/upload/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type file struct {
	name string
	data []byte
}

// upload sends files in chunks of chunkSize bytes, so lines are cut across messages.
func upload(ctx context.Context, c tlsanalysisv1.TlsAnalysisServiceClient, display string, chunkSize int, files ...file) (*tlsanalysisv1.Analysis, error) {
	stream, err := c.UploadLogs(ctx)
	if err != nil {
		return nil, err
	}
	send := func(m *tlsanalysisv1.UploadLogsRequest) error {
		if err := stream.Send(m); err != nil {
			_, rerr := stream.CloseAndRecv()
			return rerr
		}
		return nil
	}
	if display != "" {
		if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Metadata{Metadata: &tlsanalysisv1.UploadMetadata{DisplayName: display}}}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_File{File: &tlsanalysisv1.UploadFile{Name: f.name}}}); err != nil {
			return nil, err
		}
		for off := 0; off < len(f.data); off += chunkSize {
			end := min(off+chunkSize, len(f.data))
			if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Chunk{Chunk: f.data[off:end]}}); err != nil {
				return nil, err
			}
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetAnalysis(), err
}

func counts(an *tlsanalysisv1.Analysis, d tlsanalysisv1.Direction) *tlsanalysisv1.OutcomeCounts {
	for _, t := range an.GetTotals() {
		if t.GetDirection() == d {
			return t.GetCounts()
		}
	}
	return nil
}

func TestUploadAnalysesAndStores(t *testing.T) {
	t.Parallel()
	c := startTLS(t)
	ctx := context.Background()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(fixture(t, "SEND2026112509-1.LOG"))
	zw.Close()

	an, err := upload(ctx, c, "", 7, file{"RECV2026112509-1.LOG", fixture(t, "RECV2026112509-1.LOG")}, file{"SEND2026112509-1.LOG.gz", gz.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	recv := counts(an, tlsanalysisv1.Direction_DIRECTION_RECEIVE)
	send := counts(an, tlsanalysisv1.Direction_DIRECTION_SEND)
	if recv.GetTls1_0() != 1 || recv.GetTls1_2() != 1 || recv.GetNone() != 1 || recv.GetLegacy() != 2 || recv.GetTotal() != 3 {
		t.Errorf("receive totals %v", recv)
	}
	if send.GetTls1_2() != 1 || send.GetTotal() != 1 || send.GetLegacy() != 0 {
		t.Errorf("send totals %v", send)
	}
	if an.GetSessions() != 4 || an.GetMalformedLines() != 0 || an.GetFiles() != 2 {
		t.Errorf("sessions %d malformed %d files %d", an.GetSessions(), an.GetMalformedLines(), an.GetFiles())
	}
	if an.GetDisplayName() != "RECV2026112509-1.LOG and 1 more" || !strings.HasPrefix(an.GetName(), "analyses/") {
		t.Errorf("name %q display %q", an.GetName(), an.GetDisplayName())
	}
	// The two legacy partners (no TLS, TLS 1.0) come first in the remote table, by IP, with the
	// names they gave in HELO/EHLO; the TLS 1.2 ones follow.
	var order []string
	for _, r := range an.GetRemotes() {
		order = append(order, r.GetIp()+"="+strings.Join(r.GetNames(), "+"))
	}
	if got := strings.Join(order, " "); got != "192.0.2.44=scanner01 203.0.113.10=mail.partner-old.example 198.51.100.7=mx.partner-new.example 203.0.113.99=mx.recipient.example" {
		t.Errorf("remotes in order: %s", got)
	}
	// 3DES + SHA1 on the TLS 1.0 session are flagged weak.
	weak := false
	for _, ci := range an.GetCiphers() {
		if ci.GetCipher() == "CALG_3DES" && len(ci.GetWeaknesses()) > 0 {
			weak = true
		}
	}
	if !weak {
		t.Errorf("3DES not flagged: %v", an.GetCiphers())
	}

	got, err := c.GetAnalysis(ctx, &tlsanalysisv1.GetAnalysisRequest{Name: an.GetName()})
	if err != nil || got.GetAnalysis().GetSessions() != 4 || len(got.GetAnalysis().GetRemotes()) != len(an.GetRemotes()) {
		t.Fatalf("get: %v %v", got, err)
	}
	list, err := c.ListAnalyses(ctx, &tlsanalysisv1.ListAnalysesRequest{})
	if err != nil || len(list.GetAnalyses()) != 1 || list.GetAnalyses()[0].GetName() != an.GetName() || list.GetAnalyses()[0].GetRemotes() != nil ||
		counts(list.GetAnalyses()[0], tlsanalysisv1.Direction_DIRECTION_RECEIVE).GetLegacy() != 2 {
		t.Errorf("list: %v %v", list, err)
	}
}

func TestUploadBadInput(t *testing.T) {
	t.Parallel()
	c := startTLS(t)
	ctx := context.Background()

	// Garbage is analysed, not fatal: its lines are counted as malformed with where they are.
	garbage := append([]byte("\x00\xff\xfe not a log\r\n"), bytes.Repeat([]byte{0xC3, 0x28, '\n'}, 10)...)
	an, err := upload(ctx, c, "junk", 4, file{"junk.LOG", garbage})
	if err != nil {
		t.Fatalf("garbage: %v", err)
	}
	if an.GetMalformedLines() == 0 || an.GetSessions() != 0 || len(an.GetMalformed()) == 0 || an.GetMalformed()[0].GetFile() != "junk.LOG" || an.GetMalformed()[0].GetLine() != 1 {
		t.Errorf("garbage analysis: malformed %d %v sessions %d", an.GetMalformedLines(), an.GetMalformed(), an.GetSessions())
	}

	for _, tc := range []struct {
		name string
		msgs []*tlsanalysisv1.UploadLogsRequest
		want string
	}{
		{"empty upload", nil, "invalid file: the upload has no file"},
		{"chunk first", []*tlsanalysisv1.UploadLogsRequest{{Payload: &tlsanalysisv1.UploadLogsRequest_Chunk{Chunk: []byte("x")}}}, "invalid chunk: came before any file message"},
		{"metadata twice", []*tlsanalysisv1.UploadLogsRequest{
			{Payload: &tlsanalysisv1.UploadLogsRequest_Metadata{Metadata: &tlsanalysisv1.UploadMetadata{}}},
			{Payload: &tlsanalysisv1.UploadLogsRequest_Metadata{Metadata: &tlsanalysisv1.UploadMetadata{}}},
		}, "invalid metadata: only the first message may carry metadata"},
		{"nameless file", []*tlsanalysisv1.UploadLogsRequest{{Payload: &tlsanalysisv1.UploadLogsRequest_File{File: &tlsanalysisv1.UploadFile{}}}}, "invalid file.name: is required"},
		{"empty message", []*tlsanalysisv1.UploadLogsRequest{{}}, "invalid payload: is empty"},
		{"corrupt gzip", []*tlsanalysisv1.UploadLogsRequest{
			{Payload: &tlsanalysisv1.UploadLogsRequest_File{File: &tlsanalysisv1.UploadFile{Name: "x.LOG.gz"}}},
			{Payload: &tlsanalysisv1.UploadLogsRequest_Chunk{Chunk: []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}}},
		}, "cannot analyse x.LOG.gz"},
	} {
		stream, err := c.UploadLogs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tc.msgs {
			if stream.Send(m) != nil {
				break
			}
		}
		_, err = stream.CloseAndRecv()
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), tc.want) {
			t.Errorf("%s: %v, want InvalidArgument %q", tc.name, err, tc.want)
		}
	}

	// Names that are not analyses/{id} and ids that do not exist.
	for name, code := range map[string]codes.Code{"": codes.InvalidArgument, "analyses/": codes.InvalidArgument, "runs/1": codes.InvalidArgument, "analyses/a/b": codes.InvalidArgument, "analyses/ffff": codes.NotFound} {
		_, err := c.GetAnalysis(ctx, &tlsanalysisv1.GetAnalysisRequest{Name: name})
		if status.Code(err) != code {
			t.Errorf("GetAnalysis(%q): %v, want %v", name, err, code)
		}
	}
	if _, err := c.ListAnalyses(ctx, &tlsanalysisv1.ListAnalysesRequest{PageToken: "forged"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("forged page token: %v", err)
	}

	// The service still works after all that.
	if _, err := upload(ctx, c, "", 1<<20, file{"RECV2026112509-1.LOG", fixture(t, "RECV2026112509-1.LOG")}); err != nil {
		t.Errorf("after bad input: %v", err)
	}
}
