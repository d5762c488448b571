package input

import (
	"os"
	"path/filepath"
	"testing"
)

// Resolve reports each file's size, so callers can total a job without opening every file.
func TestResolveReportsSizes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "Hub"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"RECV2026112509-1.LOG": 10, "SEND2026112509-1.LOG": 2500}
	for name, n := range want {
		if err := os.WriteFile(filepath.Join(root, "Hub", name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, paths := range [][]string{{"Hub"}, {"Hub/RECV2026112509-1.LOG", "Hub/SEND2026112509-1.LOG"}} {
		files, err := New(Options{}).Resolve([]string{root}, paths)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 {
			t.Fatalf("%v: %d files", paths, len(files))
		}
		for _, f := range files {
			if f.Size != want[filepath.Base(f.Name)] {
				t.Errorf("%v: %s has Size %d, want %d", paths, f.Name, f.Size, want[filepath.Base(f.Name)])
			}
		}
	}
}
