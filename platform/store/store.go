// Package store keeps hybridkit's durable state: long-running operations
// (runs), their reports, the audit log of writes and the security-descriptor
// backups taken before a change to Active Directory.
//
// One Store runs on embedded SQLite (the default, pure Go, no cgo) or on
// PostgreSQL (several replicas). Both speak the same API and the same schema,
// migrated on Open.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"time"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrNotFound reports that the run, report or backup does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidPageToken reports a page token that was altered, belongs to
	// another listing or filter, or was issued by another database.
	ErrInvalidPageToken = errors.New("invalid page token")
	// ErrConflict reports a change the current state forbids, such as moving a
	// finished run back to running.
	ErrConflict = errors.New("conflict")
	// ErrInvalidArgument reports a value the store refuses to write.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrSchemaTooNew reports a database migrated by a newer hybridkit than
	// this binary; running against it could corrupt data written by the newer
	// version.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// Page sizes for the List methods. A PageSize of 0 means DefaultPageSize;
// larger than MaxPageSize is lowered to MaxPageSize.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Store is the state store. It is safe for concurrent use.
type Store struct {
	dialect dialect
	// wdb takes every write. On SQLite it holds a single connection so writers
	// queue in Go instead of failing with SQLITE_BUSY; on PostgreSQL it is the
	// same pool as rdb.
	wdb *sql.DB
	// rdb serves reads; on SQLite its connections are query_only.
	rdb *sql.DB

	log      *slog.Logger
	now      func() time.Time
	tokenKey []byte
	// where is the redacted DSN, safe for errors and logs.
	where string
}

type options struct {
	log      *slog.Logger
	now      func() time.Time
	maxConns int
}

// Option configures Open.
type Option func(*options)

// WithLogger sets the logger for migrations and connection events. The
// default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithClock replaces time.Now for the timestamps the store assigns. Tests use
// it to create rows with equal timestamps.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithMaxConns bounds the connection pool: PostgreSQL connections (default
// 10), or SQLite reader connections (default 4; SQLite always has one writer).
func WithMaxConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxConns = n
		}
	}
}

// Open connects to the store named by dsn and migrates its schema.
//
// DSN forms:
//
//	""                        SQLite file DefaultSQLitePath in the working directory
//	"sqlite:PATH"             SQLite file PATH (created with mode 0600)
//	"PATH.db"                 SQLite file (also .sqlite and .sqlite3)
//	"sqlite::memory:"         private in-memory SQLite, for tests
//	"postgres://..."          PostgreSQL (also "postgresql://"); every pgx
//	                          parameter applies, e.g. search_path, sslmode
//
// Errors and logs carry the DSN with its password replaced.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{dialect: target.dialect, log: o.log, now: o.now, where: target.redacted}
	switch target.dialect {
	case dialectSQLite:
		err = s.openSQLite(target, o.maxConns)
	case dialectPostgres:
		err = s.openPostgres(target, o.maxConns)
	}
	if err != nil {
		return nil, target.scrub(fmt.Errorf("store: open %s: %w", s.where, err))
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, target.scrub(err)
	}
	s.log.Debug("store opened", "dsn", s.where, "dialect", s.dialect.String())
	return s, nil
}

func (s *Store) start(ctx context.Context) error {
	if err := s.connect(ctx); err != nil {
		return err
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	key, err := s.loadTokenKey(ctx)
	if err != nil {
		return err
	}
	s.tokenKey = key
	return nil
}

// connect pings the database until it answers. A fresh SQLite file is switched to WAL by the
// first connection; connections of several processes opening it at the same moment can deadlock
// on that switch, which SQLite answers with SQLITE_BUSY at once instead of waiting, so those are
// retried for a while.
func (s *Store) connect(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := s.ping(ctx, "connect to")
		if err == nil || s.dialect != dialectSQLite || !isBusy(err) || attempt == 100 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(5+mathrand.IntN(20)) * time.Millisecond):
		}
	}
}

// Close closes the connection pools.
func (s *Store) Close() error {
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.ping(ctx, "ping") }

func (s *Store) ping(ctx context.Context, what string) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return fmt.Errorf("store: %s %s: %w", what, s.where, err)
	}
	if s.rdb != s.wdb {
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("store: %s %s: %w", what, s.where, err)
		}
	}
	return nil
}

// String returns the redacted DSN.
func (s *Store) String() string { return s.where }

// stamp returns the store clock's time in UTC at the precision both databases
// keep (microseconds), so what is written is exactly what is read back.
func (s *Store) stamp() time.Time { return normTime(s.now()) }

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pageSize applies the defaults and limits of the List methods.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("page size %d is negative: %w", n, ErrInvalidArgument)
	case n == 0:
		return DefaultPageSize, nil
	default:
		return min(n, MaxPageSize), nil
	}
}

func validFraction(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := ignoreDone(tx.Rollback()); rbErr != nil {
			return errors.Join(err, fmt.Errorf("store: roll back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
