package input

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is a server-side file that Resolve found under a root.
type File struct {
	// Name is the path as asked for (a folder's files: the folder's path joined
	// with the file's), used in reports and for ordering.
	Name string
	// Size is the file's size in bytes when Resolve found it (compressed, for .gz and .zip).
	Size int64
	root string // the root, symbolic links resolved
	rel  string // the file inside root, symbolic links resolved
}

// Open opens the file through an os.Root, so that a symbolic link swapped in
// after Resolve still cannot lead outside the root.
func (f File) Open() (*os.File, error) {
	r, err := os.OpenRoot(f.root)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	defer r.Close()
	file, err := r.Open(f.rel)
	if err != nil {
		return nil, fmt.Errorf("input: opening %s: %w", f.Name, err)
	}
	return file, nil
}

// WalkPaths resolves paths (see Resolve), then walks each file in log order
// (see Walk), Options.Workers at a time.
func (w *Walker) WalkPaths(ctx context.Context, roots, paths []string, fn WalkFunc) error {
	files, err := w.Resolve(roots, paths)
	if err != nil {
		return err
	}
	return w.WalkFiles(ctx, files, fn)
}

// WalkFiles walks files that Resolve returned, in their order (see Walk),
// Options.Workers at a time, so a caller that resolved them once (to check
// the paths or total their sizes) does not resolve them again.
func (w *Walker) WalkFiles(ctx context.Context, files []File, fn WalkFunc) error {
	return w.each(ctx, len(files), false, func(ctx context.Context, i int, inParallel bool) error {
		f, err := files[i].Open()
		if err != nil {
			return err
		}
		defer f.Close()
		b := &budget{}
		b.left.Store(w.opts.MaxExpandedBytes)
		return w.walk(ctx, files[i].Name, f, fn, 0, b, inParallel)
	})
}

// Resolve lists the files named by paths, each a file or a folder (walked
// recursively for names ending in Options.Extensions), absolute or relative to
// the roots (tried in order). Every path must stay under a root: absolute
// paths elsewhere, ".." that climbs out and symbolic links that point out are
// refused with ErrOutsideRoots. Symbolic links to folders met while walking
// are not followed. The files come back in log order (exlog.CompareFileNames),
// without duplicates.
func (w *Walker) Resolve(roots, paths []string) ([]File, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("input: %w", ErrNoRoots)
	}
	var abss, rs []string
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("input: root %q: %w", r, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("input: root %q: %w", r, err)
		}
		abss, rs = append(abss, abs), append(rs, real)
	}
	var files []File
	seen := make(map[File]bool)
	add := func(f File) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		if p == "" {
			return nil, errors.New("input: empty path")
		}
		full, err := locate(abss, rs, p)
		if err != nil {
			return nil, err
		}
		f, isDir, err := w.confine(rs, full, p)
		if err != nil {
			return nil, err
		}
		if !isDir {
			add(f)
			continue
		}
		if err := w.walkDir(rs, full, f, add); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, compareFiles)
	return files, nil
}

// locate returns the path p names: itself when absolute, else the first root
// under which it exists. An absolute path outside the roots is refused before
// the disk is touched, so that answers say nothing about files elsewhere.
func locate(abss, rs []string, p string) (string, error) {
	if filepath.IsAbs(p) {
		p = filepath.Clean(p)
		if !isUnderAny(abss, p) && !isUnderAny(rs, p) {
			return "", fmt.Errorf("input: %q is outside the configured roots: %w", p, ErrOutsideRoots)
		}
		return p, nil
	}
	if !filepath.IsLocal(p) {
		return "", fmt.Errorf("input: %q climbs out of the configured roots: %w", p, ErrOutsideRoots)
	}
	for _, r := range abss {
		full := filepath.Join(r, p)
		if _, err := os.Lstat(full); err == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("input: %q is not under any configured root: %w", p, fs.ErrNotExist)
}

// confine resolves the symbolic links of full and checks the result is under
// a root. It reports whether full is a folder.
func (w *Walker) confine(rs []string, full, asked string) (File, bool, error) {
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return File{}, false, fmt.Errorf("input: %q: %w", asked, err)
	}
	root, rel, ok := under(rs, real)
	if !ok {
		if real != full {
			return File{}, false, fmt.Errorf("input: %q leads through a symbolic link to %s, outside the configured roots: %w", asked, real, ErrOutsideRoots)
		}
		return File{}, false, fmt.Errorf("input: %q is outside the configured roots: %w", asked, ErrOutsideRoots)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return File{}, false, fmt.Errorf("input: %q: %w", asked, err)
	}
	switch {
	case fi.IsDir():
		return File{Name: full, root: root, rel: rel}, true, nil
	case !fi.Mode().IsRegular():
		return File{}, false, fmt.Errorf("input: %q is not a regular file", asked)
	}
	return File{Name: full, Size: fi.Size(), root: root, rel: rel}, false, nil
}

func (w *Walker) walkDir(rs []string, full string, dir File, add func(File)) error {
	realDir := filepath.Join(dir.root, dir.rel)
	return filepath.WalkDir(realDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("input: walking %s: %w", full, err)
		}
		if d.IsDir() || !w.wanted(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(realDir, p)
		name := filepath.Join(full, rel)
		if d.Type()&fs.ModeSymlink != 0 {
			f, isDir, err := w.confine(rs, p, name)
			if err != nil {
				return err
			}
			if !isDir {
				f.Name = name
				add(f)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		relRoot, _ := filepath.Rel(dir.root, p)
		var size int64
		if fi, err := d.Info(); err == nil {
			size = fi.Size()
		}
		add(File{Name: name, Size: size, root: dir.root, rel: relRoot})
		return nil
	})
}

func (w *Walker) wanted(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range w.opts.Extensions {
		if strings.HasSuffix(lower, strings.ToLower(ext)) {
			return true
		}
	}
	return false
}

// under returns the root that holds p and p relative to it.
func under(rs []string, p string) (root, rel string, ok bool) {
	for _, r := range rs {
		rel, err := filepath.Rel(r, p)
		if err == nil && (rel == "." || filepath.IsLocal(rel)) {
			return r, rel, true
		}
	}
	return "", "", false
}

func isUnderAny(rs []string, p string) bool {
	_, _, ok := under(rs, p)
	return ok
}
