package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReports(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC))
		s := newStore(t, b, WithClock(clock.Now))
		run, err := s.CreateRun(ctx, Run{Kind: "tlsanalysis.analyze"})
		if err != nil {
			t.Fatal(err)
		}

		reports := map[ReportFormat]Report{
			ReportJSON: {RunID: run.ID, Format: ReportJSON, ContentType: "application/json", Content: []byte(`{"tls10":3}`)},
			ReportCSV:  {RunID: run.ID, Format: ReportCSV, ContentType: "text/csv; charset=utf-8", Content: []byte("\xef\xbb\xbfversion,count\r\n\"TLS 1.0\",3\r\n")},
			ReportHTML: {RunID: run.ID, Format: ReportHTML, ContentType: "text/html; charset=utf-8", Content: []byte("<!doctype html><p>3 × TLS 1.0</p>")},
		}
		for _, r := range reports {
			put, err := s.PutReport(ctx, r)
			if err != nil {
				t.Fatalf("PutReport(%s): %v", r.Format, err)
			}
			if !put.CreatedAt.Equal(clock.Now()) || !put.UpdatedAt.Equal(clock.Now()) {
				t.Errorf("PutReport(%s) times = %v / %v, want %v", r.Format, put.CreatedAt, put.UpdatedAt, clock.Now())
			}
		}
		for f, want := range reports {
			got, err := s.GetReport(ctx, run.ID, f)
			if err != nil {
				t.Fatalf("GetReport(%s): %v", f, err)
			}
			if got.RunID != run.ID || got.Format != f || got.ContentType != want.ContentType || !bytes.Equal(got.Content, want.Content) {
				t.Errorf("GetReport(%s) = %+v, want %+v", f, got, want)
			}
		}

		// Same run and format replaces; the first creation time stays.
		firstPut := clock.Now()
		clock.Add(time.Hour)
		repl := Report{RunID: run.ID, Format: ReportJSON, ContentType: "application/json; charset=utf-8", Content: []byte(`{"tls10":4}`)}
		if _, err := s.PutReport(ctx, repl); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetReport(ctx, run.ID, ReportJSON)
		if err != nil {
			t.Fatal(err)
		}
		if got.ContentType != repl.ContentType || string(got.Content) != `{"tls10":4}` || !got.CreatedAt.Equal(firstPut) || !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("after replace GetReport = %+v; want new content, created %v, updated %v", got, firstPut, clock.Now())
		}
		if csv, _ := s.GetReport(ctx, run.ID, ReportCSV); !bytes.Equal(csv.Content, reports[ReportCSV].Content) {
			t.Errorf("replacing the JSON report changed the CSV one: %q", csv.Content)
		}

		// An empty report is still a report.
		empty, err := s.CreateRun(ctx, Run{Kind: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutReport(ctx, Report{RunID: empty.ID, Format: ReportCSV, ContentType: "text/csv"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetReport(ctx, empty.ID, ReportCSV); err != nil || got.Content == nil || len(got.Content) != 0 {
			t.Errorf("empty report = %#v, %v; want empty non-nil content", got.Content, err)
		}

		// Errors.
		if _, err := s.GetReport(ctx, empty.ID, ReportHTML); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetReport of a missing format = %v, want ErrNotFound", err)
		}
		if _, err := s.PutReport(ctx, Report{RunID: "0123456789abcdef0123456789abcdef", Format: ReportJSON, ContentType: "application/json", Content: []byte("{}")}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutReport for an unknown run = %v, want ErrNotFound", err)
		}
		for _, tc := range []struct {
			r    Report
			want string
		}{
			{Report{Format: ReportJSON, ContentType: "application/json"}, "run ID is empty"},
			{Report{RunID: run.ID, Format: "pdf", ContentType: "application/pdf"}, `format "pdf"`},
			{Report{RunID: run.ID, Format: ReportJSON}, "content type is empty"},
		} {
			if _, err := s.PutReport(ctx, tc.r); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PutReport(%+v) = %v, want ErrInvalidArgument saying %q", tc.r, err, tc.want)
			}
		}

		// Deleting the run deletes its reports.
		if err := s.DeleteRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		for f := range reports {
			if _, err := s.GetReport(ctx, run.ID, f); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetReport(%s) after DeleteRun = %v, want ErrNotFound", f, err)
			}
		}
		var left int
		if err := s.rdb.QueryRowContext(ctx, s.dialect.rebind(`SELECT count(*) FROM reports WHERE run_id = ?`), run.ID).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d report rows left after DeleteRun (%v)", left, err)
		}
	})
}
