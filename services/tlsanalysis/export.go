package tlsanalysis

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hybridkit/hybridkit/platform/rpcerr"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/report"
)

// checkExport validates an export's format and table.
func checkExport(format, table string) error {
	switch format {
	case "", "html", "json":
		if table != "" {
			return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "table", Description: "applies to format csv only"})
		}
	case "csv":
		if table != "" && !slices.Contains(report.Tables(), table) {
			return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "table", Description: fmt.Sprintf("%q is not one of %s", truncate(table, 40), strings.Join(report.Tables(), ", "))})
		}
	default:
		return rpcerr.BadRequest(rpcerr.FieldViolation{Field: "format", Description: fmt.Sprintf("%q is not csv, html or json", truncate(format, 40))})
	}
	return nil
}

// ExportAnalysis renders a stored analysis as HTML, CSV or JSON.
func (s *Service) ExportAnalysis(ctx context.Context, req *tlsanalysisv1.ExportAnalysisRequest) (*tlsanalysisv1.ExportAnalysisResponse, error) {
	id, err := analysisID(req.GetName())
	if err != nil {
		return nil, err
	}
	if err := checkExport(req.GetFormat(), req.GetTable()); err != nil {
		return nil, err
	}
	an, err := s.load(ctx, id, req.GetName())
	if err != nil {
		return nil, err
	}
	body, name, err := Render(an, req.GetFormat(), req.GetTable())
	if err != nil {
		return nil, rpcerr.Internal(ctx, s.logger, err)
	}
	return &tlsanalysisv1.ExportAnalysisResponse{Body: body, FileName: name}, nil
}

// Render renders an analysis as html (the default), csv (one table) or json, with a file name to
// save it as. The CLI uses it for local analyses too.
func Render(an *tlsanalysisv1.Analysis, format, table string) (*httpbody.HttpBody, string, error) {
	id := strings.TrimPrefix(an.GetName(), namePrefix)
	if id == "" {
		id = "local"
	}
	var buf bytes.Buffer
	switch format {
	case "", "html":
		if err := report.HTML(&buf, an, report.HTMLOptions{}); err != nil {
			return nil, "", err
		}
		return &httpbody.HttpBody{ContentType: "text/html; charset=utf-8", Data: buf.Bytes()}, "hybridkit-tls-" + id + ".html", nil
	case "csv":
		if table == "" {
			table = "remotes"
		}
		if err := report.CSV(&buf, an, table); err != nil {
			return nil, "", err
		}
		return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()}, "hybridkit-tls-" + id + "-" + table + ".csv", nil
	case "json":
		b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(an)
		if err != nil {
			return nil, "", err
		}
		return &httpbody.HttpBody{ContentType: "application/json", Data: b}, "hybridkit-tls-" + id + ".json", nil
	}
	return nil, "", fmt.Errorf("unknown format %q", format)
}
