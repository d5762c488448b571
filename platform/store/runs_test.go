package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRunCRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 6, 1, 8, 30, 0, 123456789, time.FixedZone("CEST", 2*3600)))
		s := newStore(t, b, WithClock(clock.Now))

		input := []byte(`{"paths": ["C:\\logs\\RECV2025.LOG"], "z": 1, "a": [1, 2]}`)
		created, err := s.CreateRun(ctx, Run{Kind: "tlsanalysis.analyze", Input: input, Actor: "alice@example.com", ProgressText: "queued"})
		if err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		wantCreatedAt := time.Date(2025, 6, 1, 6, 30, 0, 123456000, time.UTC)
		if !hexID.MatchString(created.ID) {
			t.Errorf("ID = %q, want 32 hex digits", created.ID)
		}
		if created.State != RunPending || !created.CreatedAt.Equal(wantCreatedAt) || created.CreatedAt.Location() != time.UTC ||
			!created.UpdatedAt.Equal(wantCreatedAt) || !created.FinishedAt.IsZero() {
			t.Errorf("CreateRun = %+v; want pending, created and updated at %v UTC, not finished", created, wantCreatedAt)
		}

		got, err := s.GetRun(ctx, created.ID)
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		assertRunEqual(t, got, created)
		if string(got.Input) != string(input) {
			t.Errorf("Input = %s, want byte-identical %s", got.Input, input)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
		}

		// Running, then succeeded with a summary.
		clock.Add(2 * time.Second)
		running, err := s.UpdateRun(ctx, created.ID, func(r *Run) error {
			r.State, r.Progress, r.ProgressText = RunRunning, 0.25, "parsing RECV2025.LOG"
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateRun to running: %v", err)
		}
		if running.State != RunRunning || running.Progress != 0.25 || running.ProgressText != "parsing RECV2025.LOG" ||
			!running.UpdatedAt.Equal(wantCreatedAt.Add(2*time.Second)) || !running.FinishedAt.IsZero() {
			t.Errorf("after update to running: %+v", running)
		}
		clock.Add(3 * time.Second)
		summary := []byte(`{"sessions":12,"tls10":3}`)
		done, err := s.UpdateRun(ctx, created.ID, func(r *Run) error {
			r.State, r.Progress, r.Summary = RunSucceeded, 1, summary
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateRun to succeeded: %v", err)
		}
		finished := wantCreatedAt.Add(5 * time.Second)
		if !done.FinishedAt.Equal(finished) || !done.UpdatedAt.Equal(finished) {
			t.Errorf("succeeded run: FinishedAt %v UpdatedAt %v, want both %v", done.FinishedAt, done.UpdatedAt, finished)
		}
		got, err = s.GetRun(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertRunEqual(t, got, done)
		if string(got.Summary) != string(summary) {
			t.Errorf("Summary = %s, want %s", got.Summary, summary)
		}

		// Later changes keep the finish time.
		clock.Add(time.Minute)
		again, err := s.UpdateRun(ctx, created.ID, func(r *Run) error { r.ProgressText = "report written"; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if !again.FinishedAt.Equal(finished) || again.ProgressText != "report written" {
			t.Errorf("update after finish: FinishedAt %v (want %v), ProgressText %q", again.FinishedAt, finished, again.ProgressText)
		}

		// An error from fn aborts the update and is returned as is.
		errStop := errors.New("stop")
		if _, err := s.UpdateRun(ctx, created.ID, func(r *Run) error { r.ProgressText = "lost"; return errStop }); err != errStop {
			t.Errorf("UpdateRun with a failing fn = %v, want errStop itself", err)
		}
		if got, _ := s.GetRun(ctx, created.ID); got.ProgressText != "report written" {
			t.Errorf("aborted update was written: ProgressText %q", got.ProgressText)
		}

		// Delete, then everything about the run is gone.
		if err := s.DeleteRun(ctx, created.ID); err != nil {
			t.Fatalf("DeleteRun: %v", err)
		}
		if _, err := s.GetRun(ctx, created.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRun after delete: %v, want ErrNotFound", err)
		}
		if err := s.DeleteRun(ctx, created.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteRun: %v, want ErrNotFound", err)
		}
		called := false
		if _, err := s.UpdateRun(ctx, created.ID, func(*Run) error { called = true; return nil }); !errors.Is(err, ErrNotFound) || called {
			t.Errorf("UpdateRun on a deleted run: %v (fn called %v), want ErrNotFound without calling fn", err, called)
		}
		if _, err := s.GetRun(ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRun of an unknown ID: %v, want ErrNotFound", err)
		}
	})
}

func assertRunEqual(t *testing.T, got, want Run) {
	t.Helper()
	g, w := got, want
	g.Input, g.Summary, w.Input, w.Summary = nil, nil, nil, nil
	if g.ID != w.ID || g.Kind != w.Kind || g.State != w.State || g.Progress != w.Progress || g.ProgressText != w.ProgressText ||
		g.Error != w.Error || g.Actor != w.Actor || !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) ||
		!g.FinishedAt.Equal(w.FinishedAt) {
		t.Errorf("run = %+v\nwant %+v", got, want)
	}
	if string(got.Input) != string(want.Input) || string(got.Summary) != string(want.Summary) {
		t.Errorf("run input/summary = %s / %s, want %s / %s", got.Input, got.Summary, want.Input, want.Summary)
	}
}

func TestCreateRunValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := newStore(t, b)
		for _, tc := range []struct {
			name string
			run  Run
			want string
		}{
			{"id given", Run{ID: "abc", Kind: "k"}, "must not carry an ID"},
			{"no kind", Run{}, "kind is empty"},
			{"bad state", Run{Kind: "k", State: "paused"}, `state "paused"`},
			{"progress below 0", Run{Kind: "k", Progress: -0.1}, "outside 0..1"},
			{"progress above 1", Run{Kind: "k", Progress: 1.5}, "outside 0..1"},
			{"progress NaN", Run{Kind: "k", Progress: math.NaN()}, "outside 0..1"},
			{"input not JSON", Run{Kind: "k", Input: []byte("{nope")}, "input is not JSON"},
			{"summary not JSON", Run{Kind: "k", Summary: []byte("<html>")}, "summary is not JSON"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.CreateRun(testContext(t), tc.run)
				if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("CreateRun(%+v) = %v, want ErrInvalidArgument saying %q", tc.run, err, tc.want)
				}
			})
		}
		runs, _, err := s.ListRuns(testContext(t), ListRunsQuery{})
		if err != nil || len(runs) != 0 {
			t.Errorf("after only invalid creates ListRuns = %d runs, %v; want none", len(runs), err)
		}

		// Creating a run already finished stamps FinishedAt.
		r, err := s.CreateRun(testContext(t), Run{Kind: "k", State: RunFailed, Error: "no route to DC"})
		if err != nil || r.FinishedAt.IsZero() || !r.FinishedAt.Equal(r.CreatedAt) {
			t.Errorf("CreateRun(failed) = %+v, %v; want FinishedAt = CreatedAt", r, err)
		}
	})
}

func TestUpdateRunRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		for _, tc := range []struct {
			name  string
			start RunState
			fn    func(*Run)
			want  error
		}{
			{"id", RunPending, func(r *Run) { r.ID = "other" }, ErrInvalidArgument},
			{"kind", RunPending, func(r *Run) { r.Kind = "other" }, ErrInvalidArgument},
			{"actor", RunPending, func(r *Run) { r.Actor = "mallory" }, ErrInvalidArgument},
			{"input", RunPending, func(r *Run) { r.Input = []byte(`{"x":2}`) }, ErrInvalidArgument},
			{"created at", RunPending, func(r *Run) { r.CreatedAt = r.CreatedAt.Add(-time.Hour) }, ErrInvalidArgument},
			{"bad state", RunRunning, func(r *Run) { r.State = "done" }, ErrInvalidArgument},
			{"bad progress", RunRunning, func(r *Run) { r.Progress = 2 }, ErrInvalidArgument},
			{"bad summary", RunRunning, func(r *Run) { r.Summary = []byte("{") }, ErrInvalidArgument},
			{"succeeded to running", RunSucceeded, func(r *Run) { r.State = RunRunning }, ErrConflict},
			{"failed to succeeded", RunFailed, func(r *Run) { r.State = RunSucceeded }, ErrConflict},
			{"cancelled to pending", RunCancelled, func(r *Run) { r.State = RunPending }, ErrConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := s.CreateRun(ctx, Run{Kind: "k", State: tc.start, Input: []byte(`{"x":1}`), Actor: "alice"})
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.UpdateRun(ctx, r.ID, func(r *Run) error { tc.fn(r); return nil })
				if !errors.Is(err, tc.want) {
					t.Fatalf("UpdateRun = %v, want %v", err, tc.want)
				}
				got, err := s.GetRun(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				assertRunEqual(t, got, r)
			})
		}

		// fn gets its own copy of the byte slices.
		r, err := s.CreateRun(ctx, Run{Kind: "k", Input: []byte(`{"x":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateRun(ctx, r.ID, func(r *Run) error { r.Input[5] = '9'; r.Input = []byte(`{"x":1}`); return nil }); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetRun(ctx, r.ID); string(got.Input) != `{"x":1}` {
			t.Errorf("Input = %s after fn scribbled on its copy", got.Input)
		}
	})
}

func TestUpdateRunConcurrent(t *testing.T) {
	// Read-modify-write from several goroutines: with the row held for the
	// whole transaction no increment is lost.
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		r, err := s.CreateRun(ctx, Run{Kind: "k", State: RunRunning, Summary: []byte(`{"steps":0}`)})
		if err != nil {
			t.Fatal(err)
		}
		// A power-of-two step adds up exactly in float64.
		const workers, steps, progressStep = 4, 25, 1.0 / 128
		var wg sync.WaitGroup
		errs := make(chan error, workers*steps)
		for w := range workers {
			wg.Go(func() {
				for range steps {
					_, err := s.UpdateRun(ctx, r.ID, func(r *Run) error {
						var sum struct{ Steps int }
						if err := json.Unmarshal(r.Summary, &sum); err != nil {
							return err
						}
						sum.Steps++
						r.Summary = fmt.Appendf(nil, `{"steps":%d}`, sum.Steps)
						r.Progress += progressStep
						r.ProgressText = fmt.Sprintf("worker %d", w)
						return nil
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("UpdateRun: %v", err)
		}
		got, err := s.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"steps":%d}`, workers*steps); string(got.Summary) != want {
			t.Errorf("Summary = %s, want %s: updates were lost", got.Summary, want)
		}
		if want := workers * steps * progressStep; got.Progress != want {
			t.Errorf("Progress = %v, want %v (%d increments of %v)", got.Progress, want, workers*steps, progressStep)
		}
	})
}

func TestListRunsPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		s := newStore(t, b, WithClock(clock.Now))

		// 23 runs over 8 distinct instants, so pages split inside groups of
		// equal timestamps and the ID must break the ties.
		var all []Run
		for i := range 23 {
			if i%3 == 0 {
				clock.Add(time.Second)
			}
			kind := "analysis"
			if i%2 == 1 {
				kind = "grant"
			}
			r, err := s.CreateRun(ctx, Run{Kind: kind, ProgressText: fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		newestFirst := func(runs []Run) []string {
			sorted := slices.Clone(runs)
			slices.SortFunc(sorted, func(a, b Run) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			return runIDs(sorted)
		}

		for _, tc := range []struct {
			kind      string
			pageSize  int
			wantPages int
		}{
			{"", 5, 5},
			{"", 23, 1},
			{"", 22, 2},
			{"", 0, 1},
			{"grant", 4, 3},
			{"analysis", 1, 12},
		} {
			t.Run(fmt.Sprintf("kind=%q size=%d", tc.kind, tc.pageSize), func(t *testing.T) {
				var want []Run
				for _, r := range all {
					if tc.kind == "" || r.Kind == tc.kind {
						want = append(want, r)
					}
				}
				var got []string
				token, pages := "", 0
				for {
					page, next, err := s.ListRuns(ctx, ListRunsQuery{Kind: tc.kind, PageSize: tc.pageSize, PageToken: token})
					if err != nil {
						t.Fatalf("page %d: %v", pages+1, err)
					}
					pages++
					if size := cmpSize(tc.pageSize); len(page) > size || (next != "" && len(page) != size) {
						t.Fatalf("page %d has %d runs with page size %d (next %q)", pages, len(page), size, next)
					}
					for _, r := range page {
						if tc.kind != "" && r.Kind != tc.kind {
							t.Errorf("run %s of kind %s in a listing of %s", r.ID, r.Kind, tc.kind)
						}
					}
					got = append(got, runIDs(page)...)
					if next == "" {
						break
					}
					token = next
				}
				if pages != tc.wantPages {
					t.Errorf("%d pages, want %d", pages, tc.wantPages)
				}
				if w := newestFirst(want); !slices.Equal(got, w) {
					t.Errorf("listed IDs\n%v\nwant newest first\n%v", got, w)
				}
			})
		}

		// Rows created between pages do not shift the pages already seen:
		// keyset pagination continues after the last row, unlike OFFSET.
		first, tok, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
		if _, err := s.CreateRun(ctx, Run{Kind: "analysis"}); err != nil {
			t.Fatal(err)
		}
		rest, _, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 100, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := append(runIDs(first), runIDs(rest)...), newestFirst(all); !slices.Equal(got, want) {
			t.Errorf("pages around an insert = %v, want %v", got, want)
		}
	})
}

func cmpSize(n int) int {
	if n == 0 {
		return DefaultPageSize
	}
	return n
}

func runIDs(runs []Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

func TestListRunsBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		for range 3 {
			if _, err := s.CreateRun(ctx, Run{Kind: "analysis"}); err != nil {
				t.Fatal(err)
			}
		}
		_, tok, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 1})
		if err != nil || tok == "" {
			t.Fatalf("ListRuns = token %q, %v", tok, err)
		}
		if _, _, err := s.ListRuns(ctx, ListRunsQuery{PageSize: -1}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("negative page size: %v, want ErrInvalidArgument", err)
		}
		_, auditTok := auditToken(t, s)

		for name, bad := range tamperedTokens(tok) {
			t.Run(name, func(t *testing.T) {
				runs, next, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 1, PageToken: bad})
				if !errors.Is(err, ErrInvalidPageToken) || runs != nil || next != "" {
					t.Errorf("ListRuns(token %q) = %d runs, %q, %v; want ErrInvalidPageToken", bad, len(runs), next, err)
				}
			})
		}
		for name, q := range map[string]ListRunsQuery{
			"other kind":            {Kind: "grant", PageToken: tok},
			"audit token for runs":  {PageToken: auditTok},
			"token from another db": {PageToken: tokenFromOtherStore(t)},
		} {
			t.Run(name, func(t *testing.T) {
				if _, _, err := s.ListRuns(ctx, q); !errors.Is(err, ErrInvalidPageToken) {
					t.Errorf("ListRuns(%+v) = %v, want ErrInvalidPageToken", q, err)
				}
			})
		}
		// The page size may change between pages.
		if page, _, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 10, PageToken: tok}); err != nil || len(page) != 2 {
			t.Errorf("second page with a larger page size = %d runs, %v; want 2", len(page), err)
		}
	})
}

// tamperedTokens returns variants of a valid token that must be refused.
func tamperedTokens(tok string) map[string]string {
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	return map[string]string{
		"first char changed":  flip(0),
		"middle char changed": flip(len(tok) / 2),
		"last char changed":   flip(len(tok) - 1),
		"truncated":           tok[:len(tok)-4],
		"extended":            tok + "AAAA",
		"not base64":          "!!" + tok[2:],
		"garbage":             "hello",
	}
}

func tokenFromOtherStore(t *testing.T) string {
	t.Helper()
	other := open(t, "sqlite::memory:")
	for range 2 {
		if _, err := other.CreateRun(testContext(t), Run{Kind: "analysis"}); err != nil {
			t.Fatal(err)
		}
	}
	_, tok, err := other.ListRuns(testContext(t), ListRunsQuery{PageSize: 1})
	if err != nil || tok == "" {
		t.Fatalf("ListRuns on the other store = %q, %v", tok, err)
	}
	return tok
}
