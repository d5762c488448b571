package input_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/input"
)

// tree builds:
//
//	root/FrontEnd/ProtocolLog/SmtpReceive/RECV2024030409-1.LOG, RECV2024030410-2.LOG, RECV2024030410-10.LOG, notes.md
//	root/FrontEnd/ProtocolLog/SmtpSend/SEND2024030410-1.LOG.gz
//	root/archive/old.zip (RECV20240303-1.LOG)
//	root/links/in.LOG -> ../FrontEnd/ProtocolLog/SmtpReceive/RECV2024030409-1.LOG
//	root/links/abs-in.LOG -> <root>/archive/old.zip (absolute, inside)
//	root/links/out.LOG -> <outside>/secret.LOG
//	root/links/outdir -> <outside>
//	root2/extra/RECV2024030411-1.LOG
//	outside/secret.LOG
func tree(t *testing.T) (root, root2, outside string) {
	t.Helper()
	base := t.TempDir()
	root, root2, outside = filepath.Join(base, "root"), filepath.Join(base, "root2"), filepath.Join(base, "outside")
	write := func(p string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	recv := filepath.Join(root, "FrontEnd", "ProtocolLog", "SmtpReceive")
	write(filepath.Join(recv, "RECV2024030409-1.LOG"), []byte("r9"))
	write(filepath.Join(recv, "RECV2024030410-2.LOG"), []byte("r10-2"))
	write(filepath.Join(recv, "RECV2024030410-10.LOG"), []byte("r10-10"))
	write(filepath.Join(recv, "notes.md"), []byte("not a log"))
	write(filepath.Join(root, "FrontEnd", "ProtocolLog", "SmtpSend", "SEND2024030410-1.LOG.gz"), gz(t, []byte("s10")))
	write(filepath.Join(root, "archive", "old.zip"), mkzip(t, entry{"RECV20240303-1.LOG", []byte("daily")}))
	write(filepath.Join(root2, "extra", "RECV2024030411-1.LOG"), []byte("r11"))
	write(filepath.Join(outside, "secret.LOG"), []byte("secret"))
	links := filepath.Join(root, "links")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"in.LOG":     filepath.Join("..", "FrontEnd", "ProtocolLog", "SmtpReceive", "RECV2024030409-1.LOG"),
		"abs-in.zip": filepath.Join(root, "archive", "old.zip"),
		"out.LOG":    filepath.Join(outside, "secret.LOG"),
		"outdir":     outside,
	} {
		if err := os.Symlink(target, filepath.Join(links, link)); err != nil {
			t.Skipf("symbolic links not available: %v", err)
		}
	}
	return root, root2, outside
}

func TestWalkPaths(t *testing.T) {
	t.Parallel()
	root, root2, outside := tree(t)
	recv := filepath.Join(root, "FrontEnd", "ProtocolLog", "SmtpReceive")
	cases := []struct {
		name  string
		roots []string
		paths []string
		want  []string // name=content, with root written as R and root2 as R2
		err   error
		msg   string
	}{
		{name: "a folder, recursively, in log order, without other files",
			roots: []string{root}, paths: []string{"FrontEnd"},
			want: []string{
				"R/FrontEnd/ProtocolLog/SmtpReceive/RECV2024030409-1.LOG=r9",
				"R/FrontEnd/ProtocolLog/SmtpReceive/RECV2024030410-2.LOG=r10-2",
				"R/FrontEnd/ProtocolLog/SmtpReceive/RECV2024030410-10.LOG=r10-10",
				"R/FrontEnd/ProtocolLog/SmtpSend/SEND2024030410-1.LOG=s10",
			}},
		{name: "absolute file and archive, duplicates once",
			roots: []string{root}, paths: []string{filepath.Join(recv, "RECV2024030410-2.LOG"), "archive/old.zip", filepath.Join(root, "archive", "old.zip")},
			want: []string{"R/FrontEnd/ProtocolLog/SmtpReceive/RECV2024030410-2.LOG=r10-2", "R/archive/old.zip/RECV20240303-1.LOG=daily"}},
		{name: "an explicitly named file is taken whatever its extension",
			roots: []string{root}, paths: []string{"FrontEnd/ProtocolLog/SmtpReceive/notes.md"},
			want: []string{"R/FrontEnd/ProtocolLog/SmtpReceive/notes.md=not a log"}},
		{name: "symbolic links that stay inside, relative and absolute",
			roots: []string{root}, paths: []string{"links/in.LOG", "links/abs-in.zip"},
			want: []string{"R/links/abs-in.zip/RECV20240303-1.LOG=daily", "R/links/in.LOG=r9"}},
		{name: "relative paths are tried against each root",
			roots: []string{root, root2}, paths: []string{"extra", "archive"},
			want: []string{"R/archive/old.zip/RECV20240303-1.LOG=daily", "R2/extra/RECV2024030411-1.LOG=r11"}},
		{name: "a root that is itself a symbolic link",
			roots: []string{filepath.Join(root, "links", "outdir")}, paths: []string{"secret.LOG"},
			want: []string{"R/links/outdir/secret.LOG=secret"}}, // named as asked
		{name: "dot-dot out of the root", roots: []string{root}, paths: []string{"../outside/secret.LOG"},
			err: input.ErrOutsideRoots, msg: "climbs out of the configured roots"},
		{name: "dot-dot inside an otherwise local path", roots: []string{root}, paths: []string{"FrontEnd/../../outside/secret.LOG"},
			err: input.ErrOutsideRoots, msg: "climbs out"},
		{name: "absolute path elsewhere", roots: []string{root}, paths: []string{filepath.Join(outside, "secret.LOG")},
			err: input.ErrOutsideRoots, msg: "is outside the configured roots"},
		{name: "absolute path elsewhere that does not exist says nothing more", roots: []string{root}, paths: []string{"/etc/no-such-file"},
			err: input.ErrOutsideRoots, msg: "is outside the configured roots"},
		{name: "absolute path climbing out", roots: []string{root}, paths: []string{root + "/../outside/secret.LOG"},
			err: input.ErrOutsideRoots, msg: "is outside the configured roots"},
		{name: "symbolic link to a file outside", roots: []string{root}, paths: []string{"links/out.LOG"},
			err: input.ErrOutsideRoots, msg: "symbolic link"},
		{name: "symbolic link to a folder outside", roots: []string{root}, paths: []string{"links/outdir/secret.LOG"},
			err: input.ErrOutsideRoots, msg: "symbolic link"},
		{name: "a folder holding a link out", roots: []string{root}, paths: []string{"links"},
			err: input.ErrOutsideRoots, msg: "symbolic link"},
		{name: "missing", roots: []string{root}, paths: []string{"nope.LOG"}, err: fs.ErrNotExist, msg: "not under any configured root"},
		{name: "no roots", roots: nil, paths: []string{"x"}, err: input.ErrNoRoots, msg: "no server-side log roots"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, workers := range []int{1, 3} {
				w := input.New(input.Options{Workers: workers})
				got, err := collect(t, func(fn input.WalkFunc) error { return w.WalkPaths(context.Background(), tc.roots, tc.paths, fn) })
				if tc.err != nil {
					if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
						t.Errorf("workers %d: err = %v, want %v containing %q", workers, err, tc.err, tc.msg)
					}
					if len(got) != 0 {
						t.Errorf("workers %d: files read before the error: %q", workers, got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("workers %d: %v", workers, err)
				}
				for i := range got {
					got[i] = strings.NewReplacer(root2, "R2", root, "R", outside, "O").Replace(got[i])
				}
				if workers > 1 {
					slices.Sort(got)
					want := slices.Clone(tc.want)
					slices.Sort(want)
					tc := tc
					tc.want = want
					if !slices.Equal(got, tc.want) {
						t.Errorf("workers %d:\n got %q\nwant %q", workers, got, tc.want)
					}
					continue
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("workers %d:\n got %q\nwant %q", workers, got, tc.want)
				}
			}
		})
	}
}

func TestResolveAndOpen(t *testing.T) {
	t.Parallel()
	root, _, _ := tree(t)
	files, err := input.New(input.Options{}).Resolve([]string{root}, []string{"FrontEnd/ProtocolLog/SmtpReceive"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Name))
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if len(b) == 0 {
			t.Errorf("%s is empty", f.Name)
		}
	}
	if want := []string{"RECV2024030409-1.LOG", "RECV2024030410-2.LOG", "RECV2024030410-10.LOG"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
}

// TestOpenRefusesSwappedLink replaces a resolved file by a link out before
// it is opened: the os.Root under Open still refuses it.
func TestOpenRefusesSwappedLink(t *testing.T) {
	t.Parallel()
	root, _, outside := tree(t)
	rel := "FrontEnd/ProtocolLog/SmtpReceive/RECV2024030409-1.LOG"
	files, err := input.New(input.Options{}).Resolve([]string{root}, []string{rel})
	if err != nil || len(files) != 1 {
		t.Fatalf("Resolve: %v, %d files", err, len(files))
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.LOG"), p); err != nil {
		t.Fatal(err)
	}
	if f, err := files[0].Open(); err == nil {
		b, _ := io.ReadAll(f)
		f.Close()
		t.Fatalf("opened %q through a swapped link", b)
	}
}
