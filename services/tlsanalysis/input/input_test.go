package input_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
)

// collect runs a walk and returns "name=content" for each file, in call order.
func collect(t *testing.T, walk func(fn input.WalkFunc) error) ([]string, error) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	err := walk(func(name string, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		mu.Lock()
		got = append(got, name+"="+string(b))
		mu.Unlock()
		return nil
	})
	return got, err
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type entry struct {
	name string
	data []byte
}

func mkzip(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		var f io.Writer
		var err error
		if strings.HasSuffix(e.name, "/") {
			_, err = w.Create(e.name)
		} else {
			f, err = w.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
			if err == nil {
				_, err = f.Write(e.data)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stream hides io.ReaderAt, as an upload does.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func TestWalkFormats(t *testing.T) {
	t.Parallel()
	logs := mkzip(t,
		entry{"FrontEnd/", nil},
		entry{"FrontEnd/RECV2024030410-10.LOG", []byte("r10")},
		entry{"FrontEnd/RECV2024030410-2.LOG", []byte("r2")},
		entry{"FrontEnd/RECV2024030409-1.LOG", []byte("r9")},
		entry{"FrontEnd/SEND2024030409-1.LOG.gz", gz(t, []byte("s9"))},
		entry{"readme.txt", []byte("hi")},
	)
	nested := mkzip(t, entry{"inner.zip", logs}, entry{"RECV20240303-1.LOG", []byte("daily")})
	twoMembers := append(gz(t, []byte("part one,")), gz(t, []byte("part two"))...)
	// By folder, then receive before send, then by hour and number.
	wantLogs := []string{
		"logs.zip/readme.txt=hi",
		"logs.zip/FrontEnd/RECV2024030409-1.LOG=r9",
		"logs.zip/FrontEnd/RECV2024030410-2.LOG=r2",
		"logs.zip/FrontEnd/RECV2024030410-10.LOG=r10",
		"logs.zip/FrontEnd/SEND2024030409-1.LOG=s9",
	}
	cases := []struct {
		name string
		in   io.Reader
		want []string
	}{
		{"plain", strings.NewReader("a,b\r\n"), []string{"plain=a,b\r\n"}},
		{"empty", strings.NewReader(""), []string{"empty="}},
		{"short", strings.NewReader("P"), []string{"short=P"}},
		{"RECV2024030410-1.LOG.gz", bytes.NewReader(gz(t, []byte("gzipped"))), []string{"RECV2024030410-1.LOG=gzipped"}},
		{"multi.gz", bytes.NewReader(twoMembers), []string{"multi=part one,part two"}},
		{"logs.zip", bytes.NewReader(logs), wantLogs},
		{"logs.zip", stream{bytes.NewReader(logs)}, wantLogs}, // spooled
		{"outer.zip", bytes.NewReader(nested), []string{
			"outer.zip/RECV20240303-1.LOG=daily",
			"outer.zip/inner.zip/readme.txt=hi",
			"outer.zip/inner.zip/FrontEnd/RECV2024030409-1.LOG=r9",
			"outer.zip/inner.zip/FrontEnd/RECV2024030410-2.LOG=r2",
			"outer.zip/inner.zip/FrontEnd/RECV2024030410-10.LOG=r10",
			"outer.zip/inner.zip/FrontEnd/SEND2024030409-1.LOG=s9",
		}},
		{"zip.gz", bytes.NewReader(gz(t, logs)), []string{
			"zip/readme.txt=hi",
			"zip/FrontEnd/RECV2024030409-1.LOG=r9",
			"zip/FrontEnd/RECV2024030410-2.LOG=r2",
			"zip/FrontEnd/RECV2024030410-10.LOG=r10",
			"zip/FrontEnd/SEND2024030409-1.LOG=s9",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			w := input.New(input.Options{TempDir: tmp})
			got, err := collect(t, func(fn input.WalkFunc) error { return w.Walk(context.Background(), tc.name, tc.in, fn) })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("spool files left behind: %v", left)
			}
		})
	}
}

func TestWalkRefuses(t *testing.T) {
	t.Parallel()
	zeros := make([]byte, 8<<20)
	bomb := mkzip(t, entry{"RECV2024030410-1.LOG", zeros})
	var deep []byte = []byte("x")
	for range 5 {
		deep = gz(t, deep)
	}
	many := make([]entry, 30)
	for i := range many {
		many[i] = entry{"f" + strings.Repeat("x", i) + ".LOG", []byte("x")}
	}
	cases := []struct {
		name string
		opts input.Options
		in   io.Reader
		want error
		msg  string
	}{
		{"slip.zip", input.Options{}, bytes.NewReader(mkzip(t, entry{"ok.LOG", nil}, entry{"../evil.LOG", nil})), input.ErrUnsafeName, `entry "../evil.LOG": name with ".."`},
		{"slip2.zip", input.Options{}, bytes.NewReader(mkzip(t, entry{"a/../../evil.LOG", nil})), input.ErrUnsafeName, `name with ".."`},
		{"abs.zip", input.Options{}, bytes.NewReader(mkzip(t, entry{"/etc/evil.LOG", nil})), input.ErrUnsafeName, "absolute name"},
		{"win.zip", input.Options{}, bytes.NewReader(mkzip(t, entry{`C:\evil.LOG`, nil})), input.ErrUnsafeName, "drive letter"},
		{"winslip.zip", input.Options{}, bytes.NewReader(mkzip(t, entry{`logs\..\..\evil.LOG`, nil})), input.ErrUnsafeName, `name with ".."`},
		{"bomb.zip", input.Options{}, bytes.NewReader(bomb), input.ErrLimit, "declares 8388608 bytes, more than 200 times"},
		// archive/zip itself stops an entry at its declared size.
		{"liar.zip", input.Options{}, bytes.NewReader(lie(t, bomb)), zip.ErrFormat, "not a valid zip file"},
		{"bomb.zip", input.Options{MaxRatio: 1 << 20, MaxExpandedBytes: 1 << 20}, bytes.NewReader(bomb), input.ErrLimit, "entries declare more than 1048576 bytes"},
		{"bomb.gz", input.Options{}, bytes.NewReader(gz(t, zeros)), input.ErrLimit, "expands more than 200 times"},
		{"bomb.gz", input.Options{MaxRatio: 1 << 20, MaxExpandedBytes: 1 << 20}, bytes.NewReader(gz(t, zeros)), input.ErrLimit, "expands beyond 1048576 bytes"},
		{"big.zip", input.Options{MaxSpoolBytes: 100}, stream{bytes.NewReader(bomb)}, input.ErrLimit, "zip archive larger than 100 bytes"},
		{"many.zip", input.Options{MaxEntries: 10}, bytes.NewReader(mkzip(t, many...)), input.ErrLimit, "30 entries, more than 10"},
		{"deep.gz", input.Options{}, bytes.NewReader(deep), input.ErrLimit, "more than 3 levels deep"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" "+tc.msg, func(t *testing.T) {
			t.Parallel()
			tc.opts.TempDir = t.TempDir()
			calls := 0
			err := input.New(tc.opts).Walk(context.Background(), tc.name, tc.in, func(_ string, r io.Reader) error {
				calls++
				_, err := io.Copy(io.Discard, r) // as the analyser does: read until the end or an error
				return err
			})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
			if errors.Is(err, input.ErrUnsafeName) && calls != 0 {
				t.Errorf("fn called %d times before an unsafe name was refused", calls)
			}
		})
	}
}

// lie rewrites the declared uncompressed sizes of a one-entry zip to 1 byte,
// as a hostile archive would, to get past the declared-size checks.
func lie(t *testing.T, z []byte) []byte {
	t.Helper()
	out := bytes.Clone(z)
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	size := zr.File[0].UncompressedSize64
	var want [4]byte
	want[0], want[1], want[2], want[3] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
	n := 0
	for i := 0; i+4 <= len(out); i++ {
		if bytes.Equal(out[i:i+4], want[:]) {
			out[i], out[i+1], out[i+2], out[i+3] = 1, 0, 0, 0
			n++
		}
	}
	if n == 0 {
		t.Fatal("size not found")
	}
	return out
}

func TestWalkErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	err := input.Walk(context.Background(), "a", strings.NewReader("x"), func(string, io.Reader) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("fn error: %v", err)
	}
	err = input.Walk(context.Background(), "bad.zip", strings.NewReader("PK\x03\x04 not really"), func(string, io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "bad zip archive") {
		t.Errorf("corrupt zip: %v", err)
	}
	err = input.Walk(context.Background(), "bad.gz", strings.NewReader("\x1f\x8b\x00junk"), func(string, io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "bad gzip header") {
		t.Errorf("corrupt gzip: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = input.Walk(ctx, "a", strings.NewReader("x"), func(string, io.Reader) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestWalkZipConcurrently(t *testing.T) {
	t.Parallel()
	var entries []entry
	for i := range 40 {
		entries = append(entries, entry{"RECV20240304" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "-1.LOG", bytes.Repeat([]byte("x"), i)})
	}
	z := mkzip(t, entries...)
	got, err := collect(t, func(fn input.WalkFunc) error {
		return input.New(input.Options{Workers: 4}).Walk(context.Background(), "z.zip", bytes.NewReader(z), fn)
	})
	if err != nil || len(got) != 40 {
		t.Fatalf("%d files, err %v", len(got), err)
	}
	slices.Sort(got)
	for i, g := range got {
		if want := "z.zip/" + entries[i].name + "=" + string(entries[i].data); g != want {
			t.Errorf("%d: %q, want %q", i, g, want)
		}
	}
}
