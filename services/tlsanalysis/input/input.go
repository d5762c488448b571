// Package input turns what a user hands over (an uploaded stream, or files
// and folders on the server) into the plain-text log files inside it: gzip
// streams and zip archives (nested too) are opened, archive entries with
// unsafe names are refused, decompression is bounded against zip bombs, and
// server-side paths are confined to configured roots.
package input

import (
	"archive/zip"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
)

// Errors callers can tell apart with errors.Is.
var (
	// ErrLimit: the input is larger, expands further, or nests deeper than the
	// Options allow (a zip bomb ends here).
	ErrLimit = errors.New("input limit exceeded")
	// ErrUnsafeName: an archive entry has an absolute name or one with "..".
	ErrUnsafeName = errors.New("unsafe archive entry name")
	// ErrOutsideRoots: a server-side path is not under a configured root, or
	// reaches outside one through ".." or a symbolic link.
	ErrOutsideRoots = errors.New("path outside the configured roots")
	// ErrNoRoots: server-side paths were asked for but no root is configured.
	ErrNoRoots = errors.New("no server-side log roots are configured")
)

// WalkFunc receives one plain-text file. r is valid only during the call.
type WalkFunc func(name string, r io.Reader) error

// Options bound what a Walker accepts. The zero value selects the defaults.
type Options struct {
	// MaxSpoolBytes caps a zip archive that has to be copied to a temporary
	// file because it arrived as a stream. Default 8 GiB.
	MaxSpoolBytes int64
	// MaxExpandedBytes caps the bytes decompressed from one input (all its
	// gzip streams and archive entries together). Default 64 GiB.
	MaxExpandedBytes int64
	// MaxRatio caps how many times larger than its compressed form a gzip
	// stream or zip entry may grow, past the first MiB. Protocol logs
	// compress about 10 to 30 times. Default 200.
	MaxRatio int64
	// MaxEntries caps the entries of one zip archive. Default 100,000.
	MaxEntries int
	// MaxDepth caps archives within archives. Default 3.
	MaxDepth int
	// TempDir holds spooled archives; default os.TempDir().
	TempDir string
	// Workers is how many files (of WalkPaths, or entries of one zip archive)
	// are handed to fn at once. Default 1; above 1 fn must be safe for
	// concurrent use.
	Workers int
	// Extensions are the name suffixes taken when walking a folder (case is
	// ignored). Default .log, .gz, .zip, .txt. Files named explicitly are
	// always taken.
	Extensions []string
}

// Walker opens inputs with the given Options.
type Walker struct {
	opts Options
}

// New returns a Walker.
func New(opts Options) *Walker {
	if opts.MaxSpoolBytes <= 0 {
		opts.MaxSpoolBytes = 8 << 30
	}
	if opts.MaxExpandedBytes <= 0 {
		opts.MaxExpandedBytes = 64 << 30
	}
	if opts.MaxRatio <= 0 {
		opts.MaxRatio = 200
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100_000
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 3
	}
	opts.Workers = max(opts.Workers, 1)
	if opts.Extensions == nil {
		opts.Extensions = []string{".log", ".gz", ".zip", ".txt"}
	}
	return &Walker{opts: opts}
}

// Walk calls fn for each plain-text file in r with a default Walker.
func Walk(ctx context.Context, name string, r io.Reader, fn WalkFunc) error {
	return New(Options{}).Walk(ctx, name, r, fn)
}

// WalkPaths calls fn for each file under paths with a default Walker.
func WalkPaths(ctx context.Context, roots, paths []string, fn WalkFunc) error {
	return New(Options{}).WalkPaths(ctx, roots, paths, fn)
}

// Walk sniffs r: a gzip stream is decompressed, a zip archive is opened (from
// r directly when it is an io.ReaderAt with a size, such as *os.File or
// *bytes.Reader, else spooled to a temporary file) and its entries are walked
// in log order, and anything else is passed to fn as plain text. Names given
// to fn are name, name without .gz, or name/entry.
func (w *Walker) Walk(ctx context.Context, name string, r io.Reader, fn WalkFunc) error {
	b := &budget{}
	b.left.Store(w.opts.MaxExpandedBytes)
	return w.walk(ctx, name, r, fn, 0, b, false)
}

// budget is what one top-level input may still expand to.
type budget struct {
	left atomic.Int64
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
)

func (w *Walker) walk(ctx context.Context, name string, r io.Reader, fn WalkFunc, depth int, b *budget, inParallel bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("input: reading %s: %w", name, err)
	}
	head := magic[:n]
	rest := io.MultiReader(bytes.NewReader(head), r)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		if depth >= w.opts.MaxDepth {
			return fmt.Errorf("input: %s: compressed more than %d levels deep: %w", name, w.opts.MaxDepth, ErrLimit)
		}
		cr := &countReader{r: rest}
		gz, err := gzip.NewReader(cr)
		if err != nil {
			return fmt.Errorf("input: %s: bad gzip header: %w", name, err)
		}
		defer gz.Close()
		inner := name
		if len(inner) > 3 && strings.EqualFold(inner[len(inner)-3:], ".gz") {
			inner = inner[:len(inner)-3]
		}
		er := &expandReader{ctx: ctx, r: gz, name: name, b: b, ratio: w.opts.MaxRatio, compressed: func() int64 { return cr.n }, max: w.opts.MaxExpandedBytes}
		return w.walk(ctx, inner, er, fn, depth+1, b, inParallel)
	case bytes.Equal(head, zipMagic) || bytes.Equal(head, zipEmpty):
		if depth >= w.opts.MaxDepth {
			return fmt.Errorf("input: %s: archives nested more than %d levels deep: %w", name, w.opts.MaxDepth, ErrLimit)
		}
		if ra, size, ok := readerAt(r); ok {
			return w.walkZip(ctx, name, ra, size, fn, depth, b, inParallel)
		}
		return w.spoolZip(ctx, name, rest, fn, depth, b, inParallel)
	}
	return fn(name, &ctxReader{ctx: ctx, r: rest})
}

// readerAt returns r as an io.ReaderAt with its size, when it is one.
func readerAt(r io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, false
	}
	switch v := r.(type) {
	case interface{ Size() int64 }:
		return ra, v.Size(), true
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		return ra, fi.Size(), true
	}
	return nil, 0, false
}

func (w *Walker) spoolZip(ctx context.Context, name string, r io.Reader, fn WalkFunc, depth int, b *budget, inParallel bool) error {
	f, err := os.CreateTemp(w.opts.TempDir, "hybridkit-upload-*.zip")
	if err != nil {
		return fmt.Errorf("input: spooling %s: %w", name, err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	n, err := io.Copy(f, io.LimitReader(&ctxReader{ctx: ctx, r: r}, w.opts.MaxSpoolBytes+1))
	if err != nil {
		return fmt.Errorf("input: spooling %s: %w", name, err)
	}
	if n > w.opts.MaxSpoolBytes {
		return fmt.Errorf("input: %s: zip archive larger than %d bytes: %w", name, w.opts.MaxSpoolBytes, ErrLimit)
	}
	return w.walkZip(ctx, name, f, n, fn, depth, b, inParallel)
}

func (w *Walker) walkZip(ctx context.Context, name string, ra io.ReaderAt, size int64, fn WalkFunc, depth int, b *budget, inParallel bool) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("input: %s: bad zip archive: %w", name, err)
	}
	if len(zr.File) > w.opts.MaxEntries {
		return fmt.Errorf("input: %s: %d entries, more than %d: %w", name, len(zr.File), w.opts.MaxEntries, ErrLimit)
	}
	type entry struct {
		f    *zip.File
		name string
	}
	var entries []entry
	var declared uint64
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return fmt.Errorf("input: %s: entry %q: %w", name, strings.ToValidUTF8(f.Name, "\uFFFD"), err)
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > ratioGrace && f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(w.opts.MaxRatio) {
			return fmt.Errorf("input: %s: entry %q declares %d bytes, more than %d times its compressed size: %w",
				name, strings.ToValidUTF8(f.Name, "\uFFFD"), f.UncompressedSize64, w.opts.MaxRatio, ErrLimit)
		}
		declared += f.UncompressedSize64
		if declared > uint64(b.left.Load()) {
			return fmt.Errorf("input: %s: entries declare more than %d bytes: %w", name, w.opts.MaxExpandedBytes, ErrLimit)
		}
		entries = append(entries, entry{f: f, name: name + "/" + strings.ToValidUTF8(strings.TrimPrefix(path.Clean(f.Name), "./"), "\uFFFD")})
	}
	slices.SortFunc(entries, func(a, b entry) int { return exlog.CompareFileNames(a.name, b.name) })
	return w.each(ctx, len(entries), inParallel, func(ctx context.Context, i int, inParallel bool) error {
		e := entries[i]
		rc, err := e.f.Open()
		if err != nil {
			return fmt.Errorf("input: %s: %w", e.name, err)
		}
		defer rc.Close()
		csize := int64(e.f.CompressedSize64)
		er := &expandReader{ctx: ctx, r: rc, name: e.name, b: b, ratio: w.opts.MaxRatio, compressed: func() int64 { return csize }, max: w.opts.MaxExpandedBytes}
		return w.walk(ctx, e.name, er, fn, depth+1, b, inParallel)
	})
}

// checkEntryName refuses names that would leave the archive if extracted:
// absolute (/x, \x, C:x) or with a ".." element. Nothing is extracted here,
// but such an archive is hostile and its names end up in reports.
func checkEntryName(n string) error {
	s := strings.ReplaceAll(n, `\`, "/")
	switch {
	case s == "":
		return fmt.Errorf("empty name: %w", ErrUnsafeName)
	case strings.HasPrefix(s, "/"):
		return fmt.Errorf("absolute name: %w", ErrUnsafeName)
	case len(s) >= 2 && s[1] == ':':
		return fmt.Errorf("name with a drive letter: %w", ErrUnsafeName)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("name with a NUL byte: %w", ErrUnsafeName)
	}
	for _, el := range strings.Split(s, "/") {
		if el == ".." {
			return fmt.Errorf("name with \"..\": %w", ErrUnsafeName)
		}
	}
	return nil
}

// each runs do for 0..n-1, on up to Workers goroutines unless an enclosing
// level already runs in parallel. It returns the first error and stops the rest.
func (w *Walker) each(ctx context.Context, n int, inParallel bool, do func(ctx context.Context, i int, inParallel bool) error) error {
	workers := min(w.opts.Workers, n)
	if inParallel || workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := do(ctx, i, inParallel); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(ctx, i, true); err != nil {
					errOnce.Do(func() { firstErr = err })
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioGrace is what a stream may expand to whatever its ratio.
const ratioGrace = 1 << 20

// expandReader enforces the decompression limits on one stream.
type expandReader struct {
	ctx        context.Context
	r          io.Reader
	name       string
	b          *budget
	ratio      int64
	compressed func() int64
	max        int64
	n          int64
	reads      int
}

func (e *expandReader) Read(p []byte) (int, error) {
	if e.reads++; e.reads%64 == 0 {
		if err := e.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := e.r.Read(p)
	e.n += int64(n)
	if e.b.left.Add(-int64(n)) < 0 {
		return n, fmt.Errorf("input: %s: expands beyond %d bytes: %w", e.name, e.max, ErrLimit)
	}
	if e.n > ratioGrace && e.n > e.ratio*max(e.compressed(), 1) {
		return n, fmt.Errorf("input: %s: expands more than %d times its compressed size: %w", e.name, e.ratio, ErrLimit)
	}
	return n, err
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx   context.Context
	r     io.Reader
	reads int
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.reads++; c.reads%64 == 0 {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

func compareFiles(a, b File) int {
	if c := exlog.CompareFileNames(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}
