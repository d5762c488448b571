package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/report"
)

const tlsUsage = `Usage: hybridkit tls analyze [flags] PATH...

Analyses Exchange SMTP protocol logs (files, folders, .gz, .zip) for the TLS versions mail flows
negotiate. Without --server the analysis runs here; with it the files are uploaded to a running
tlsanalysis service (gRPC address, with --token or HYBRIDKIT_TOKEN) and the result is stored there.

Flags:
`

func runTLS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "analyze" {
		fmt.Fprint(stderr, tlsUsage)
		return errors.New("tls: want 'hybridkit tls analyze PATH...'")
	}
	fs := flag.NewFlagSet("hybridkit tls analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "tlsanalysis gRPC address (e.g. 127.0.0.1:50053); empty: analyse here")
	token := fs.String("token", "", "API token or OIDC access token for --server (default: $HYBRIDKIT_TOKEN)")
	format := fs.String("o", "table", "output: table, json, csv or html")
	table := fs.String("table", "remotes", "table for -o csv: "+strings.Join(report.Tables(), ", "))
	outPath := fs.String("out", "", "write the output to this file instead of standard output")
	display := fs.String("name", "", "display name of the analysis (default: the first path)")
	progress := fs.String("progress", "auto", "progress bar on standard error: auto (when it is a terminal), always or never")
	fs.Usage = func() { fmt.Fprint(stderr, tlsUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch *format {
	case "table", "json", "csv", "html":
	default:
		return fmt.Errorf("-o %q: want table, json, csv or html", *format)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("tls analyze: no PATH given")
	}
	files, err := resolveLocal(fs.Args())
	if err != nil {
		return err
	}
	if *display == "" {
		*display = fs.Arg(0)
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	bar := newProgressBar(stderr, total, *progress)
	var an *tlsanalysisv1.Analysis
	if *server == "" {
		an, err = analyseLocal(ctx, files, bar)
	} else {
		an, err = analyseRemote(ctx, *server, *token, *display, files, bar)
	}
	bar.finish()
	if err != nil {
		return err
	}
	if an.GetDisplayName() == "" {
		an.DisplayName = *display
	}

	out := stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	switch *format {
	case "table":
		return report.Table(out, an, report.TableOptions{})
	case "json":
		b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(an)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, string(b))
		return err
	}
	body, _, err := tlsanalysis.Render(an, *format, *table)
	if err != nil {
		return err
	}
	_, err = out.Write(body.GetData())
	return err
}

// resolveLocal lists the log files named by paths (folders walked): each folder is its own root,
// a file's root is its folder.
func resolveLocal(paths []string) ([]input.File, error) {
	var roots, abs []string
	for _, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("tls analyze: %w", err)
		}
		abs = append(abs, a)
		if fi.IsDir() {
			roots = append(roots, a)
		} else {
			roots = append(roots, filepath.Dir(a))
		}
	}
	files, err := input.New(input.Options{}).Resolve(roots, abs)
	if err != nil {
		return nil, fmt.Errorf("tls analyze: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("tls analyze: no log files (.log, .gz, .zip, .txt) in %s", strings.Join(paths, ", "))
	}
	return files, nil
}

// analyseLocal analyses the files here, on as many goroutines as there are cores.
func analyseLocal(ctx context.Context, files []input.File, bar *progressBar) (*tlsanalysisv1.Analysis, error) {
	res, err := analysis.AnalyzeFiles(ctx, analysis.Options{Progress: bar.set}, input.Options{}, files)
	if err != nil {
		return nil, fmt.Errorf("tls analyze: %w", err)
	}
	return tlsanalysis.ToProto(res), nil
}

func analyseRemote(ctx context.Context, server, token, display string, files []input.File, bar *progressBar) (*tlsanalysisv1.Analysis, error) {
	ctx, cc, err := dialServer(ctx, server, token)
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	stream, err := tlsanalysisv1.NewTlsAnalysisServiceClient(cc).UploadLogs(ctx)
	if err != nil {
		return nil, err
	}
	send := func(m *tlsanalysisv1.UploadLogsRequest) error {
		if err := stream.Send(m); err != nil {
			if _, rerr := stream.CloseAndRecv(); rerr != nil {
				return rerr
			}
			return err
		}
		return nil
	}
	if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Metadata{Metadata: &tlsanalysisv1.UploadMetadata{DisplayName: display}}}); err != nil {
		return nil, err
	}
	buf := make([]byte, 1<<20)
	for _, f := range files {
		if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_File{File: &tlsanalysisv1.UploadFile{Name: filepath.Base(f.Name)}}}); err != nil {
			return nil, err
		}
		fh, err := f.Open()
		if err != nil {
			return nil, err
		}
		for {
			n, rerr := io.ReadFull(fh, buf)
			if n > 0 {
				bar.add(int64(n))
				if err := send(&tlsanalysisv1.UploadLogsRequest{Payload: &tlsanalysisv1.UploadLogsRequest_Chunk{Chunk: buf[:n]}}); err != nil {
					fh.Close()
					return nil, err
				}
			}
			if rerr != nil {
				fh.Close()
				if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
					break
				}
				return nil, rerr
			}
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	return resp.GetAnalysis(), nil
}

// progressBar draws "[#####-----]  45%  1.2 GiB of 2.7 GiB  310 MB/s" on a terminal.
type progressBar struct {
	w     io.Writer
	total int64
	done  atomic.Int64
	on    bool
	start time.Time
	last  atomic.Int64
}

func newProgressBar(w io.Writer, total int64, mode string) *progressBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &progressBar{w: w, total: total, on: on, start: time.Now()}
}

func (p *progressBar) add(n int64) { p.set(p.done.Add(n)) }

// set records the bytes done so far (the analyser reports totals, the uploader adds chunks).
func (p *progressBar) set(done int64) {
	p.done.Store(done)
	if !p.on {
		return
	}
	now := time.Now().UnixNano()
	if last := p.last.Load(); now-last < int64(100*time.Millisecond) || !p.last.CompareAndSwap(last, now) {
		return
	}
	p.draw(done)
}

func (p *progressBar) draw(done int64) {
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	const width = 30
	filled := int(frac * width)
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %s of %s  %s/s ", strings.Repeat("#", filled), strings.Repeat("-", width-filled),
		frac*100, report.FormatBytes(done), report.FormatBytes(p.total), report.FormatBytes(int64(rate)))
}

func (p *progressBar) finish() {
	if p.on {
		p.draw(p.done.Load())
		fmt.Fprintln(p.w)
	}
}
