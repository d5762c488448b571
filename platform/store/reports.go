package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReportFormat is the format of a run's report.
type ReportFormat string

// Report formats.
const (
	ReportJSON ReportFormat = "json"
	ReportCSV  ReportFormat = "csv"
	ReportHTML ReportFormat = "html"
)

// Valid reports whether f is one of the report formats.
func (f ReportFormat) Valid() bool {
	return f == ReportJSON || f == ReportCSV || f == ReportHTML
}

// Report is a run's output in one format. A run has at most one report per
// format.
type Report struct {
	RunID       string
	Format      ReportFormat
	ContentType string // e.g. "text/csv; charset=utf-8"
	Content     []byte
	CreatedAt   time.Time // first put
	UpdatedAt   time.Time // last put
}

// PutReport stores the report, replacing the run's report in the same format.
// The run must exist (ErrNotFound otherwise); deleting the run deletes it.
func (s *Store) PutReport(ctx context.Context, r Report) (Report, error) {
	switch {
	case r.RunID == "":
		return Report{}, fmt.Errorf("store: report run ID is empty: %w", ErrInvalidArgument)
	case !r.Format.Valid():
		return Report{}, fmt.Errorf("store: report format %q is not one of json, csv, html: %w", r.Format, ErrInvalidArgument)
	case r.ContentType == "":
		return Report{}, fmt.Errorf("store: report content type is empty: %w", ErrInvalidArgument)
	}
	if r.Content == nil {
		r.Content = []byte{}
	}
	d := s.dialect
	now := s.stamp()
	out := r
	out.UpdatedAt = now
	// The foreign key on run_id, not a prior lookup, tells a missing run: it
	// also catches a run deleted concurrently.
	err := s.wdb.QueryRowContext(ctx, d.rebind(`INSERT INTO reports (run_id, format, content_type, content, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, format) DO UPDATE SET
content_type = excluded.content_type, content = excluded.content, updated_at = excluded.updated_at
RETURNING created_at`),
		r.RunID, string(r.Format), r.ContentType, r.Content, d.timeArg(now), d.timeArg(now)).Scan(dbTime{&out.CreatedAt})
	switch {
	case err == nil:
		return out, nil
	case isForeignKeyViolation(err):
		return Report{}, fmt.Errorf("store: run %q: %w", r.RunID, ErrNotFound)
	default:
		return Report{}, fmt.Errorf("store: put %s report of run %q: %w", r.Format, r.RunID, err)
	}
}

// GetReport returns the run's report in the given format.
func (s *Store) GetReport(ctx context.Context, runID string, format ReportFormat) (Report, error) {
	r := Report{RunID: runID, Format: format}
	err := s.rdb.QueryRowContext(ctx, s.dialect.rebind(`SELECT content_type, content, created_at, updated_at FROM reports WHERE run_id = ? AND format = ?`),
		runID, string(format)).Scan(&r.ContentType, &r.Content, dbTime{&r.CreatedAt}, dbTime{&r.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, fmt.Errorf("store: %s report of run %q: %w", format, runID, ErrNotFound)
	}
	if err != nil {
		return Report{}, fmt.Errorf("store: get %s report of run %q: %w", format, runID, err)
	}
	if r.Content == nil {
		r.Content = []byte{}
	}
	return r, nil
}
