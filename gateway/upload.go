package gateway

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// uploadChunk is the size of the chunks a raw upload is streamed to the service in.
const uploadChunk = 1 << 20

// routeUploads sends POST /v1/analyses:upload with a non-JSON body (a raw log, gzip, zip or
// multipart/form-data files: what curl --data-binary, curl -F and Invoke-RestMethod -InFile send)
// to the streaming upload; JSON bodies go to the generated handler.
func (g *Gateway) routeUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != UploadPath {
			next.ServeHTTP(w, r)
			return
		}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/json" {
			next.ServeHTTP(w, r)
			return
		}
		if g.opts.MaxUploadBytes > 0 {
			if r.ContentLength > g.opts.MaxUploadBytes {
				g.writeError(w, r, &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge,
					Err: status.Errorf(codes.ResourceExhausted, "upload is larger than %d bytes", g.opts.MaxUploadBytes)})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, g.opts.MaxUploadBytes)
		}
		g.upload(w, r, mt, params)
	})
}

func (g *Gateway) upload(w http.ResponseWriter, r *http.Request, mediaType string, params map[string]string) {
	ctx, err := runtime.AnnotateContext(r.Context(), g.mux, r, tlsanalysisv1.TlsAnalysisService_UploadLogs_FullMethodName,
		runtime.WithHTTPPathPattern(UploadPath))
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := g.tls.UploadLogs(ctx)
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	err = sendUpload(stream, r, mediaType, params)
	var in *inputError
	if errors.As(err, &in) {
		cancel()
		g.writeError(w, r, in.err)
		return
	}
	// A failed Send means the service ended the stream; its status comes from CloseAndRecv.
	resp, err := stream.CloseAndRecv()
	if md, herr := stream.Header(); herr == nil {
		if id := md.Get("x-request-id"); len(id) == 1 {
			w.Header().Set(requestIDHeader, id[0])
		}
	}
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	b, err := marshaler.Marshal(resp)
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// inputError is a problem with the HTTP request itself, answered without asking the service.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }

func sendUpload(stream tlsanalysisv1.TlsAnalysisService_UploadLogsClient, r *http.Request, mediaType string, params map[string]string) error {
	if display := r.URL.Query().Get("display_name"); display != "" {
		if err := stream.Send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Metadata{
			Metadata: &tlsanalysisv1.UploadMetadata{DisplayName: display}}}); err != nil {
			return err
		}
	}
	buf := make([]byte, uploadChunk)
	sendFile := func(name string, body io.Reader) error {
		if err := stream.Send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_File{
			File: &tlsanalysisv1.UploadFile{Name: name}}}); err != nil {
			return err
		}
		for {
			n, rerr := io.ReadFull(body, buf)
			if n > 0 {
				if err := stream.Send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Chunk{Chunk: buf[:n]}}); err != nil {
					return err
				}
			}
			switch {
			case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
				return nil
			case rerr != nil:
				return bodyError(rerr)
			}
		}
	}
	if mediaType != "multipart/form-data" {
		return sendFile(uploadName(r), r.Body)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	files := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bodyError(err)
		}
		if part.FileName() == "" {
			continue
		}
		files++
		if err := sendFile(cleanName(part.FileName()), part); err != nil {
			return err
		}
	}
	if files == 0 {
		return &inputError{status.Error(codes.InvalidArgument, "multipart upload has no file part: send files with curl -F file=@PATH")}
	}
	return nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &inputError{&runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge,
			Err: status.Errorf(codes.ResourceExhausted, "upload is larger than %d bytes", mbe.Limit)}}
	}
	return &inputError{status.Errorf(codes.InvalidArgument, "reading the upload: %v", err)}
}

// uploadName is the file name of a raw upload: ?name=, else Content-Disposition's filename, else
// "upload".
func uploadName(r *http.Request) string {
	if n := r.URL.Query().Get("name"); n != "" {
		return cleanName(n)
	}
	if _, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil && p["filename"] != "" {
		return cleanName(p["filename"])
	}
	return "upload"
}

// cleanName keeps the last element of a client's file name (Windows or POSIX separators).
func cleanName(n string) string { return path.Base(strings.ReplaceAll(n, `\`, "/")) }
