// Package analysis reassembles SMTP sessions from Exchange protocol logs and
// aggregates what TLS they negotiated: per direction, connector, remote
// address, day, cipher suite and certificate.
//
// Files may be added one after another or from several goroutines at once.
// A session that continues from one file into another is stitched back
// together whatever order the files are read in: each file hands the sessions
// it could not see from connect to disconnect to the Analyzer, which merges
// them by (direction, connector, session-id).
package analysis

import (
	"cmp"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/exlog"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
)

// Options tune an Analyzer. The zero value selects the defaults.
type Options struct {
	// MaxOpenSessions bounds the sessions held open at once (per file being
	// read, and across files). Past it the least recently active session is
	// closed early and counted in Result.EvictedSessions. Default 1<<20.
	MaxOpenSessions int
	// MaxMalformed is how many malformed lines are listed in the Result (all
	// are counted). Default 100; negative lists none.
	MaxMalformed int
	// MaxNamesPerRemote and MaxConnectorsPerRemote bound RemoteStats.Names and
	// RemoteStats.Connectors. Default 16 each.
	MaxNamesPerRemote      int
	MaxConnectorsPerRemote int
	// MaxLineBytes caps a log line (see exlog.Options). Default 64 KiB.
	MaxLineBytes int
	// Progress, if set, is called with the total bytes read so far, every few
	// MiB and at the end of each file. Calls never overlap.
	Progress func(bytesRead int64)
	// OnSession, if set, is called for every session once it is complete (or,
	// for sessions never seen to end, by Finish). Calls never overlap; the
	// Session is the callee's to keep.
	OnSession func(*Session)
}

// ErrFinished is returned by AddFile after Finish.
var ErrFinished = errors.New("analysis: AddFile after Finish")

// Analyzer accumulates sessions from protocol log files. It is safe for
// concurrent use by several goroutines.
type Analyzer struct {
	opts Options

	tables *tables

	mu       sync.Mutex // guards the fields below
	agg      *agg
	open     map[fkey]*session
	recent   sessionList
	stats    exlog.Stats
	files    int64
	bad      []Malformed
	finished bool
	result   *Result

	progressMu sync.Mutex
	bytesRead  int64
	emitMu     sync.Mutex

	states sync.Pool
}

// fkey identifies a session across files.
type fkey struct {
	dir  Direction
	conn uint32
	sid  sidKey
}

// New returns an Analyzer.
func New(opts Options) *Analyzer {
	if opts.MaxOpenSessions <= 0 {
		opts.MaxOpenSessions = 1 << 20
	}
	if opts.MaxMalformed == 0 {
		opts.MaxMalformed = 100
	}
	opts.MaxMalformed = max(opts.MaxMalformed, 0)
	if opts.MaxNamesPerRemote <= 0 {
		opts.MaxNamesPerRemote = 16
	}
	if opts.MaxConnectorsPerRemote <= 0 {
		opts.MaxConnectorsPerRemote = 16
	}
	a := &Analyzer{opts: opts, open: make(map[fkey]*session), tables: newTables()}
	a.agg = newAgg(&a.opts)
	return a
}

// AddFile reads one protocol log. name is used to tell receive from send logs
// when the file has no #Log-type header, and in malformed-line reports.
// Malformed lines are not errors; read errors and ctx's end are. What was read
// before an error still counts.
func (a *Analyzer) AddFile(ctx context.Context, name string, r io.Reader) error {
	a.mu.Lock()
	done := a.finished
	a.mu.Unlock()
	if done {
		return ErrFinished
	}
	fs, _ := a.states.Get().(*fileState)
	if fs == nil {
		fs = newFileState(a)
	}
	defer a.states.Put(fs)
	return fs.run(ctx, name, r)
}

// mergeFile takes in what fs read from one file.
func (a *Analyzer) mergeFile(fs *fileState) {
	st := fs.r.Stats()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files++
	a.stats.Bytes += st.Bytes
	a.stats.Lines += st.Lines
	a.stats.Records += st.Records
	a.stats.HeaderLines += st.HeaderLines
	a.stats.BlankLines += st.BlankLines
	a.stats.MalformedLines += st.MalformedLines
	if bad := fs.r.Malformed(); len(bad) > 0 && a.opts.MaxMalformed > 0 {
		a.bad = append(a.bad, bad...)
		slices.SortStableFunc(a.bad, func(x, y Malformed) int {
			if c := exlog.CompareFileNames(x.File, y.File); c != 0 {
				return c
			}
			return cmp.Compare(x.Line, y.Line)
		})
		a.bad = slices.Clip(a.bad[:min(len(a.bad), a.opts.MaxMalformed)])
	}
	a.agg.merge(fs.agg)
	a.mergeLocked(fs.pending)
}

// mergeFragments takes in sessions a file state could not finish.
func (a *Analyzer) mergeFragments(frags []*session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mergeLocked(frags)
}

func (a *Analyzer) mergeLocked(frags []*session) {
	for _, f := range frags {
		f.prev, f.next = nil, nil
		k := fkey{f.dir, f.conn, f.sid}
		s := a.open[k]
		if s == nil {
			if f.complete() {
				a.finish(f)
				continue
			}
			a.open[k] = f
			a.recent.pushFront(f)
			if a.recent.n > a.opts.MaxOpenSessions {
				old := a.recent.tail
				a.recent.remove(old)
				delete(a.open, fkey{old.dir, old.conn, old.sid})
				old.evicted = true
				a.finish(old)
			}
			continue
		}
		s.merge(f)
		a.recent.moveToFront(s)
		if s.complete() {
			a.recent.remove(s)
			delete(a.open, k)
			a.finish(s)
		}
	}
}

// finish aggregates a session whose last fragment has been seen. a.mu is held.
func (a *Analyzer) finish(s *session) {
	s.resolve(a.tables)
	a.agg.add(s)
	a.emit(s)
}

func (a *Analyzer) emit(s *session) {
	if a.opts.OnSession == nil {
		return
	}
	p := s.public(a.tables.view())
	a.emitMu.Lock()
	defer a.emitMu.Unlock()
	a.opts.OnSession(p)
}

func (a *Analyzer) progress(delta int64) {
	if delta == 0 {
		return
	}
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	a.bytesRead += delta
	if a.opts.Progress != nil {
		a.opts.Progress(a.bytesRead)
	}
}

// BytesRead returns the bytes read so far; it may be called at any time.
func (a *Analyzer) BytesRead() int64 {
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	return a.bytesRead
}

// Finish closes the sessions still open and returns the result. Later calls
// return the same Result; AddFile then fails with ErrFinished. Finish must not
// run concurrently with AddFile.
func (a *Analyzer) Finish() *Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.finished {
		return a.result
	}
	a.finished = true
	for s := a.recent.tail; s != nil; {
		prev := s.prev
		a.finish(s)
		s = prev
	}
	a.recent = sessionList{}
	clear(a.open)
	res := &Result{
		Files:          a.files,
		Lines:          a.stats.Lines,
		Records:        a.stats.Records,
		HeaderLines:    a.stats.HeaderLines,
		BlankLines:     a.stats.BlankLines,
		Bytes:          a.stats.Bytes,
		MalformedLines: a.stats.MalformedLines,
		Malformed:      slices.Clone(a.bad),
	}
	a.agg.fill(res, a.tables.view())
	a.result = res
	return res
}

// AnalyzePaths analyses the server-side files and folders under roots (see
// input.Walker.Resolve) on in.Workers goroutines, GOMAXPROCS when zero.
func AnalyzePaths(ctx context.Context, opts Options, in input.Options, roots, paths []string) (*Result, error) {
	files, err := input.New(in).Resolve(roots, paths)
	if err != nil {
		return nil, err
	}
	return AnalyzeFiles(ctx, opts, in, files)
}

// AnalyzeFiles analyses files already resolved by input.Walker.Resolve, on
// in.Workers goroutines, GOMAXPROCS when zero.
func AnalyzeFiles(ctx context.Context, opts Options, in input.Options, files []input.File) (*Result, error) {
	if in.Workers <= 0 {
		in.Workers = runtime.GOMAXPROCS(0)
	}
	a := New(opts)
	add := func(name string, r io.Reader) error { return a.AddFile(ctx, name, r) }
	if err := input.New(in).WalkFiles(ctx, files, add); err != nil {
		return nil, err
	}
	return a.Finish(), nil
}
