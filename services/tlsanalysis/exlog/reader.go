// Package exlog reads Exchange Server (2010 to Subscription Edition) SMTP
// Receive and Send protocol logs as a stream of records.
//
// The Reader reads through one fixed buffer (256 KiB by default) that a Reset
// reuses, hands out fields as slices of it, does not allocate per line once
// warmed up, and never fails on bad input: lines it cannot read (over-long,
// unbalanced quotes, wrong field count, bad date, garbage bytes) are counted
// and reported with file name, line number and reason.
package exlog

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"time"
)

// LogType says which side of an SMTP conversation a protocol log records.
type LogType uint8

// Log types.
const (
	LogTypeUnknown LogType = iota
	LogTypeReceive         // SMTP Receive Protocol Log (RECV*.LOG)
	LogTypeSend            // SMTP Send Protocol Log (SEND*.LOG)
)

// String returns "receive", "send" or "unknown".
func (t LogType) String() string {
	switch t {
	case LogTypeReceive:
		return "receive"
	case LogTypeSend:
		return "send"
	}
	return "unknown"
}

// Event codes of the event field.
const (
	EventConnect    = '+'
	EventDisconnect = '-'
	EventSend       = '>' // sent by the server that wrote the log
	EventReceive    = '<' // received by the server that wrote the log
	EventInfo       = '*'
)

// Field identifies a column of a protocol log.
type Field uint8

// The documented columns, in their default order.
const (
	FieldDateTime Field = iota
	FieldConnector
	FieldSessionID
	FieldSequence
	FieldLocal
	FieldRemote
	FieldEvent
	FieldData
	FieldContext
	NumFields

	fieldIgnored Field = 255 // a column this package does not know
)

var fieldNames = [NumFields]string{
	"date-time", "connector-id", "session-id", "sequence-number",
	"local-endpoint", "remote-endpoint", "event", "data", "context",
}

// String returns the column name as written in a #Fields line.
func (f Field) String() string {
	if f < NumFields {
		return fieldNames[f]
	}
	return "unknown"
}

// DefaultMaxLineBytes is the default cap on a line, line ending included.
const DefaultMaxLineBytes = 64 << 10

// DefaultMaxMalformed is the default number of malformed lines kept in detail.
const DefaultMaxMalformed = 100

// maxColumns bounds the columns of a #Fields line and of a record.
const maxColumns = 64

// Record is one line of a protocol log. Its byte slices point into the
// Reader's buffers and are valid only until the next call to Next.
type Record struct {
	DateTime  time.Time // UTC
	Connector []byte    // connector-id, unquoted
	SessionID []byte    // session-id, normally 16 hex digits
	Sequence  int64     // sequence-number, -1 when empty
	Local     []byte    // local-endpoint, e.g. 10.0.0.1:25 or [2001:db8::1]:25
	Remote    []byte    // remote-endpoint
	Event     byte      // one of EventConnect, EventDisconnect, EventSend, EventReceive, EventInfo
	Data      []byte    // unquoted, with \r and \n escapes turned back into CR and LF
	Context   []byte    // unquoted and unescaped like Data
	LogType   LogType   // from the latest #Log-type line, else from the file name
	Line      int64     // 1-based line number in the file
}

// Malformed describes a line the Reader skipped.
type Malformed struct {
	File   string
	Line   int64
	Reason string
}

// Stats counts what a Reader has consumed. Lines always equals
// Records + HeaderLines + BlankLines + MalformedLines.
type Stats struct {
	Bytes          int64
	Lines          int64
	Records        int64
	HeaderLines    int64
	BlankLines     int64
	MalformedLines int64
}

// Options tune a Reader. The zero value selects the defaults.
type Options struct {
	// MaxLineBytes caps a line, line ending included; longer lines are reported
	// as malformed and skipped without being buffered. Default 64 KiB, minimum 1 KiB.
	MaxLineBytes int
	// MaxMalformed is how many malformed lines are kept in detail (all are
	// counted). Default 100; negative keeps none.
	MaxMalformed int
}

// Reader reads records from one protocol log file.
type Reader struct {
	src      io.Reader
	buf      []byte // holds at least one line of up to maxLine bytes
	r, w     int    // buf[r:w] is read but not consumed
	srcErr   error  // the first error from src, io.EOF included
	name     string
	maxLine  int
	maxBad   int
	nameType LogType
	logType  LogType
	version  string

	cols          [maxColumns]Field
	ncols         int
	defaultLayout bool   // cols is the documented order: splitDefault applies
	layoutErr     string // why records cannot be read with the current #Fields, if they cannot

	rec     Record
	scratch []byte
	stats   Stats
	bad     []Malformed
	err     error
	tooLong string

	dates dateCache
}

// NewReader returns a Reader with default options. fileName is used in
// malformed-line reports and, until a #Log-type line says otherwise, to tell
// receive logs (RECV*) from send logs (SEND*).
func NewReader(src io.Reader, fileName string) *Reader {
	return NewReaderOptions(src, fileName, Options{})
}

// NewReaderOptions returns a Reader with the given options.
func NewReaderOptions(src io.Reader, fileName string, opts Options) *Reader {
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	opts.MaxLineBytes = max(opts.MaxLineBytes, 1<<10)
	if opts.MaxMalformed == 0 {
		opts.MaxMalformed = DefaultMaxMalformed
	}
	r := &Reader{
		src:     src,
		buf:     make([]byte, max(2*opts.MaxLineBytes, 256<<10)),
		maxLine: opts.MaxLineBytes,
		maxBad:  max(opts.MaxMalformed, 0),
		tooLong: "line longer than " + strconv.Itoa(opts.MaxLineBytes) + " bytes",
	}
	r.reset(fileName)
	return r
}

// Reset makes r read a new file, keeping its buffers.
func (r *Reader) Reset(src io.Reader, fileName string) {
	r.src = src
	r.reset(fileName)
}

func (r *Reader) reset(fileName string) {
	r.name = fileName
	r.r, r.w, r.srcErr = 0, 0, nil
	r.nameType = LogTypeUnknown
	if fi, ok := ParseFileName(fileName); ok {
		r.nameType = fi.LogType
	}
	r.logType = r.nameType
	r.version = ""
	r.setDefaultLayout()
	r.stats = Stats{}
	r.bad = r.bad[:0]
	r.err = nil
	r.rec = Record{}
}

func (r *Reader) setDefaultLayout() {
	for i := range NumFields {
		r.cols[i] = i
	}
	r.ncols = int(NumFields)
	r.layoutErr = ""
	r.defaultLayout = true
}

// Next advances to the next record. It returns false at the end of the input
// or on a read error (see Err). Header, blank and malformed lines are consumed
// silently and accounted for in Stats.
func (r *Reader) Next() bool {
	if r.err != nil {
		return false
	}
	for {
		line, long := r.readLine()
		if line == nil && !long {
			return false
		}
		r.stats.Lines++
		if long {
			r.malformed(r.tooLong)
			continue
		}
		r.stats.Bytes += int64(len(line))
		if len(line) > r.maxLine {
			r.malformed(r.tooLong)
			continue
		}
		line = trimEOL(line)
		if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
			line = line[3:] // a BOM starts the file and may start a header block after a restart
		}
		if len(line) == 0 {
			r.stats.BlankLines++
			continue
		}
		if line[0] == '#' {
			r.stats.HeaderLines++
			r.header(line)
			continue
		}
		if why := r.parse(line); why != "" {
			r.malformed(why)
			continue
		}
		r.stats.Records++
		return true
	}
}

// readLine returns the next line with its line ending, valid until the next
// call; or long = true for a line longer than the cap, which it has skipped
// (and counted in Stats.Bytes) without buffering it; or nil at the end of the
// input or on a read error. A last line without a line ending is returned as
// it is at the end of the input, not after a read error.
func (r *Reader) readLine() (line []byte, long bool) {
	scanned := 0 // bytes after r.r known to hold no newline
	for {
		if i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n'); i >= 0 {
			end := r.r + scanned + i + 1
			line, r.r = r.buf[r.r:end], end
			return line, false
		}
		scanned = r.w - r.r
		if scanned >= r.maxLine {
			r.stats.Bytes += int64(scanned)
			r.r = r.w
			r.skipLine()
			return nil, true
		}
		if r.srcErr != nil {
			if r.srcErr != io.EOF {
				r.err = r.srcErr
				return nil, false
			}
			if scanned > 0 {
				line, r.r = r.buf[r.r:r.w], r.w
				return line, false
			}
			return nil, false
		}
		r.fill()
	}
}

// skipLine discards input up to and including the next newline.
func (r *Reader) skipLine() {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			r.stats.Bytes += int64(i + 1)
			r.r += i + 1
			return
		}
		r.stats.Bytes += int64(r.w - r.r)
		r.r = r.w
		if r.srcErr != nil {
			if r.srcErr != io.EOF {
				r.err = r.srcErr
			}
			return
		}
		r.fill()
	}
}

// fill moves the unread bytes to the front of the buffer and reads more.
func (r *Reader) fill() {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.srcErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.srcErr = io.ErrNoProgress
}

func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n]
}

func (r *Reader) malformed(why string) {
	r.stats.MalformedLines++
	if len(r.bad) < r.maxBad {
		r.bad = append(r.bad, Malformed{File: r.name, Line: r.stats.Lines, Reason: why})
	}
}

// Record returns the current record. It is overwritten by the next call to Next.
func (r *Reader) Record() *Record { return &r.rec }

// Err returns the first read error, if any. Malformed input is not an error.
func (r *Reader) Err() error { return r.err }

// Malformed returns the first malformed lines (see Options.MaxMalformed). The
// slice is reused by Reset.
func (r *Reader) Malformed() []Malformed { return r.bad }

// Stats returns what the Reader has consumed so far.
func (r *Reader) Stats() Stats { return r.stats }

// FileName returns the name given to NewReader or Reset.
func (r *Reader) FileName() string { return r.name }

// LogType returns the type from the latest #Log-type line, else from the file name.
func (r *Reader) LogType() LogType { return r.logType }

// Version returns the latest #Version header value ("14.0.0.0" on Exchange 2010,
// "15.0.0.0" on every later build).
func (r *Reader) Version() string { return r.version }

// Fields returns the current column layout; unknown columns are reported as 255.
func (r *Reader) Fields() []Field { return r.cols[:r.ncols] }

func (r *Reader) header(line []byte) {
	key, val, ok := bytes.Cut(line[1:], []byte{':'})
	if !ok {
		return
	}
	val = bytes.TrimSpace(val)
	switch string(bytes.TrimSpace(key)) {
	case "Fields":
		r.setLayout(val)
	case "Log-type":
		switch {
		case bytes.Contains(val, []byte("Receive")):
			r.logType = LogTypeReceive
		case bytes.Contains(val, []byte("Send")):
			r.logType = LogTypeSend
		default:
			r.logType = r.nameType
		}
	case "Version":
		if string(val) != r.version {
			r.version = string(val)
		}
	}
}

func (r *Reader) setLayout(val []byte) {
	r.ncols = 0
	var seen [NumFields]bool
	for len(val) > 0 && r.ncols < maxColumns {
		name, rest, _ := bytes.Cut(val, []byte{','})
		val = rest
		f := fieldIgnored
		name = bytes.TrimSpace(name)
		for i, n := range fieldNames {
			if string(name) == n && !seen[i] {
				f = Field(i)
				seen[i] = true
				break
			}
		}
		r.cols[r.ncols] = f
		r.ncols++
	}
	r.layoutErr = ""
	r.defaultLayout = r.ncols == int(NumFields)
	for i := range r.ncols {
		r.defaultLayout = r.defaultLayout && r.cols[i] == Field(i)
	}
	for _, need := range [...]Field{FieldDateTime, FieldSessionID, FieldEvent} {
		if !seen[need] {
			r.layoutErr = "#Fields line has no " + need.String() + " column"
			return
		}
	}
}

// parse splits line into r.rec and returns why it is malformed, or "".
func (r *Reader) parse(line []byte) string {
	if r.layoutErr != "" {
		return r.layoutErr
	}
	if cap(r.scratch) < 2*len(line) {
		// Unquoting and then unescaping a field copies it at most twice, so
		// scratch never reallocates and earlier fields stay valid.
		r.scratch = make([]byte, 0, max(2*len(line), 4096))
	}
	scratch := r.scratch[:0]
	rec := &r.rec
	dataAt := -1 // where data starts in line, when known: the \r \n check starts there
	if r.defaultLayout {
		dataAt = r.splitDefault(line, rec, &scratch)
	}
	if dataAt >= 0 {
		ns, ok := r.dates.parse(line[:24])
		if !ok {
			return "bad date-time"
		}
		rec.DateTime = time.Unix(0, ns).UTC()
	} else {
		scratch = scratch[:0]
		var f [NumFields][]byte
		if why := r.splitGeneric(line, &f, &scratch); why != "" {
			return why
		}
		ns, ok := r.dates.parse(f[FieldDateTime])
		if !ok {
			return "bad date-time"
		}
		rec.DateTime = time.Unix(0, ns).UTC()
		if why := setFields(rec, &f); why != "" {
			return why
		}
		dataAt = 0
	}
	switch rec.Event {
	case EventConnect, EventDisconnect, EventSend, EventReceive, EventInfo:
	default:
		return "bad event"
	}
	if bytes.IndexByte(line[dataAt:], '\\') >= 0 {
		rec.Data = unescape(rec.Data, &scratch)
		rec.Context = unescape(rec.Context, &scratch)
	}
	rec.LogType = r.logType
	rec.Line = r.stats.Lines
	r.scratch = scratch
	return ""
}

// setFields fills rec from fields split by splitGeneric.
func setFields(rec *Record, f *[NumFields][]byte) string {
	if len(f[FieldSessionID]) == 0 {
		return "empty session-id"
	}
	if len(f[FieldEvent]) != 1 {
		return "bad event"
	}
	rec.Sequence = -1
	if s := f[FieldSequence]; len(s) > 0 {
		n, ok := parseSequence(s)
		if !ok {
			return "bad sequence-number"
		}
		rec.Sequence = n
	}
	rec.Event = f[FieldEvent][0]
	rec.Connector = f[FieldConnector]
	rec.SessionID = f[FieldSessionID]
	rec.Local = f[FieldLocal]
	rec.Remote = f[FieldRemote]
	rec.Data, rec.Context = f[FieldData], f[FieldContext]
	return ""
}

func parseSequence(s []byte) (int64, bool) {
	if len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// splitDefault splits a line in the documented field order the quick way,
// straight into rec (all but the date-time, which is line[:24]), and returns
// where the data field starts. It returns -1 for anything unusual (doubled
// quotes, a field count or length it does not expect, a sequence-number that
// is not a number, ...), which splitGeneric then handles or reports.
func (r *Reader) splitDefault(line []byte, rec *Record, scratch *[]byte) int {
	n := len(line)
	if n < 40 || line[24] != ',' || line[0] == '"' {
		return -1
	}
	const commas = swarLo * ','
	if zeroBytes(binary.LittleEndian.Uint64(line)^commas)|zeroBytes(binary.LittleEndian.Uint64(line[8:])^commas)|
		zeroBytes(binary.LittleEndian.Uint64(line[16:])^commas) != 0 {
		return -1 // the date-time field is not 24 bytes long
	}
	pos := 25
	if line[pos] == '"' {
		val, end, ok := quotedField(line, pos, scratch)
		if !ok || end >= n || line[end] != ',' {
			return -1
		}
		rec.Connector = val
		pos = end + 1
	} else {
		j := bytes.IndexByte(line[pos:], ',')
		if j < 0 {
			return -1
		}
		rec.Connector = line[pos : pos+j]
		pos += j + 1
	}
	if pos+16 >= n || line[pos+16] != ',' || line[pos] == '"' ||
		zeroBytes(binary.LittleEndian.Uint64(line[pos:])^commas)|zeroBytes(binary.LittleEndian.Uint64(line[pos+8:])^commas) != 0 {
		return -1 // the session-id is not 16 bytes long
	}
	rec.SessionID = line[pos : pos+16]
	pos += 17
	start := pos
	seq := int64(0)
	for pos < n && line[pos] >= '0' && line[pos] <= '9' {
		seq = seq*10 + int64(line[pos]-'0')
		pos++
	}
	if pos >= n || line[pos] != ',' || pos-start > 18 {
		return -1
	}
	rec.Sequence = seq
	if pos == start {
		rec.Sequence = -1
	}
	pos++
	if pos >= n || line[pos] == '"' {
		return -1
	}
	j := bytes.IndexByte(line[pos:], ',')
	if j < 0 {
		return -1
	}
	rec.Local = line[pos : pos+j]
	pos += j + 1
	if pos >= n || line[pos] == '"' {
		return -1
	}
	j = bytes.IndexByte(line[pos:], ',')
	if j < 0 {
		return -1
	}
	rec.Remote = line[pos : pos+j]
	pos += j + 1
	if pos+1 >= n || line[pos+1] != ',' || line[pos] == '"' || line[pos] == ',' {
		return -1
	}
	rec.Event = line[pos]
	pos += 2
	dataAt := pos
	// data
	if pos < n && line[pos] == '"' {
		v, end, ok := quotedField(line, pos, scratch)
		if !ok || end >= n || line[end] != ',' {
			return -1
		}
		rec.Data, pos = v, end
	} else {
		j := bytes.IndexByte(line[pos:], ',')
		if j < 0 {
			return -1 // no context field
		}
		rec.Data = line[pos : pos+j]
		pos += j
	}
	pos++
	// context: the rest
	if pos < n && line[pos] == '"' {
		v, end, ok := quotedField(line, pos, scratch)
		if !ok || end != n {
			return -1
		}
		rec.Context = v
	} else {
		if bytes.IndexByte(line[pos:], ',') >= 0 {
			return -1
		}
		rec.Context = line[pos:]
	}
	return dataAt
}

// splitGeneric splits a line by the current #Fields layout.
func (r *Reader) splitGeneric(line []byte, f *[NumFields][]byte, scratch *[]byte) string {
	*f = [NumFields][]byte{}
	pos, col := 0, 0
	for {
		var val []byte
		if pos < len(line) && line[pos] == '"' {
			v, end, ok := quotedField(line, pos, scratch)
			if !ok {
				return "unterminated quoted field"
			}
			val, pos = v, end
			if pos < len(line) && line[pos] != ',' {
				return "text after a closing quote"
			}
		} else {
			j := bytes.IndexByte(line[pos:], ',')
			if j < 0 {
				val = line[pos:]
				pos = len(line)
			} else {
				val = line[pos : pos+j]
				pos += j
			}
		}
		if col >= r.ncols {
			return "more fields than the #Fields line names"
		}
		if c := r.cols[col]; c != fieldIgnored {
			f[c] = val
		}
		col++
		if pos >= len(line) {
			break
		}
		pos++ // the comma
		if pos == len(line) {
			// a trailing comma: one more, empty field
			if col >= r.ncols {
				return "more fields than the #Fields line names"
			}
			col++
			break
		}
	}
	if col != r.ncols {
		return "fewer fields than the #Fields line names"
	}
	return ""
}

// quotedField reads the quoted field that starts at line[pos] and returns
// its value (unquoted into scratch when it holds doubled quotes) and the
// position after the closing quote.
func quotedField(line []byte, pos int, scratch *[]byte) ([]byte, int, bool) {
	start := pos + 1
	i := start
	doubled := false
	for {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return nil, 0, false
		}
		i += j
		if i+1 < len(line) && line[i+1] == '"' {
			doubled = true
			i += 2
			continue
		}
		break
	}
	val := line[start:i]
	if doubled {
		n := len(*scratch)
		*scratch = appendUndoubled(*scratch, val)
		val = (*scratch)[n:len(*scratch):len(*scratch)]
	}
	return val, i + 1, true
}

// appendUndoubled appends v to dst with every "" turned into ".
func appendUndoubled(dst, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i+1]...)
		v = v[i+1:]
		if len(v) > 0 && v[0] == '"' {
			v = v[1:]
		}
	}
}

// unescape turns the two-character escapes \r and \n back into CR and
// LF. Only data and context get this treatment: connector names such as
// `EX01\new` hold literal backslashes.
func unescape(v []byte, scratch *[]byte) []byte {
	i := bytes.IndexByte(v, '\\')
	if i < 0 || !hasEscape(v[i:]) {
		return v
	}
	s := *scratch
	n := len(s)
	for len(v) > 0 {
		i := bytes.IndexByte(v, '\\')
		if i < 0 || i+1 >= len(v) {
			s = append(s, v...)
			break
		}
		s = append(s, v[:i]...)
		switch v[i+1] {
		case 'r':
			s = append(s, '\r')
			v = v[i+2:]
		case 'n':
			s = append(s, '\n')
			v = v[i+2:]
		default:
			s = append(s, '\\')
			v = v[i+1:]
		}
	}
	*scratch = s
	return s[n:len(s):len(s)]
}

func hasEscape(v []byte) bool {
	for {
		i := bytes.IndexByte(v, '\\')
		if i < 0 || i+1 >= len(v) {
			return false
		}
		if v[i+1] == 'r' || v[i+1] == 'n' {
			return true
		}
		v = v[i+1:]
	}
}
