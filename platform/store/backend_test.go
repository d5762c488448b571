package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresDSNEnv names the PostgreSQL server the suite runs against; see
// scripts/postgres-test.sh.
const postgresDSNEnv = "HYBRIDKIT_TEST_POSTGRES_DSN"

// backend is one database the suite runs against.
type backend struct {
	name string
	// freshDSN returns the DSN of an empty database, removed when t ends.
	freshDSN func(t testing.TB) string
	// reopenable is false for in-memory SQLite: every Open is a new database.
	reopenable bool
	dialect    dialect
}

var backends = []backend{
	{name: "sqlite-file", freshDSN: sqliteFileDSN, reopenable: true, dialect: dialectSQLite},
	{name: "sqlite-memory", freshDSN: func(testing.TB) string { return "sqlite::memory:" }, dialect: dialectSQLite},
	{name: "postgres", freshDSN: postgresSchemaDSN, reopenable: true, dialect: dialectPostgres},
}

func sqliteFileDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "state.db")
}

// requirePostgres returns the server DSN, or skips the test when it is unset.
// In CI (CI=true) an unset DSN fails the test, so the PostgreSQL half of the
// suite cannot silently go missing.
func requirePostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, and CI=true: CI must run the PostgreSQL suite (start a server with scripts/postgres-test.sh start)", postgresDSNEnv)
	}
	t.Skipf("%s is not set; run scripts/postgres-test.sh start and eval \"$(scripts/postgres-test.sh env)\" to include PostgreSQL", postgresDSNEnv)
	return ""
}

// postgresSchemaDSN creates a schema of its own for the test and returns a
// DSN whose search_path selects it, so tests run in parallel without seeing
// each other's tables. The schema is dropped when the test ends.
func postgresSchemaDSN(t testing.TB) string {
	t.Helper()
	base := requirePostgres(t)
	schema := "hk_test_" + randomHex(t, 8)
	admin := postgresAdmin(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresDSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

// postgresAdmin is one small pool shared by the tests for creating and
// dropping their schemas; it lives until the test binary exits.
func postgresAdmin(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	adminOnce.Do(func() {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			adminErr = err
			return
		}
		adminDB = stdlib.OpenDB(*cfg)
		adminDB.SetMaxOpenConns(4)
	})
	if adminErr != nil {
		t.Fatalf("%s: %v", postgresDSNEnv, adminErr)
	}
	return adminDB
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// forEachBackend runs fn as a parallel subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// open opens dsn and closes the store when the test ends.
func open(t testing.TB, dsn string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(testContext(t), dsn, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", RedactDSN(dsn), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newStore opens a fresh, empty store on b.
func newStore(t testing.TB, b backend, opts ...Option) *Store {
	t.Helper()
	return open(t, b.freshDSN(t), opts...)
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
