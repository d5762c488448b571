package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dsn      string
		dialect  dialect
		path     string
		memory   bool
		redacted string
		wantErr  string
	}{
		{dsn: "", dialect: dialectSQLite, path: DefaultSQLitePath, redacted: "sqlite:hybridkit.db"},
		{dsn: "sqlite:/var/lib/hybridkit/state.db", dialect: dialectSQLite, path: "/var/lib/hybridkit/state.db", redacted: "sqlite:/var/lib/hybridkit/state.db"},
		{dsn: "sqlite:relative/state", dialect: dialectSQLite, path: "relative/state", redacted: "sqlite:relative/state"},
		{dsn: "sqlite::memory:", dialect: dialectSQLite, memory: true, redacted: "sqlite::memory:"},
		{dsn: "state.db", dialect: dialectSQLite, path: "state.db", redacted: "sqlite:state.db"},
		{dsn: "/data/State.DB", dialect: dialectSQLite, path: "/data/State.DB", redacted: "sqlite:/data/State.DB"},
		{dsn: "/data/state.sqlite3", dialect: dialectSQLite, path: "/data/state.sqlite3", redacted: "sqlite:/data/state.sqlite3"},
		{dsn: "postgres://hk:s3cr3t@db.internal:5432/hybridkit?sslmode=verify-full", dialect: dialectPostgres,
			redacted: "postgres://hk:xxxxx@db.internal:5432/hybridkit?sslmode=verify-full"},
		{dsn: "postgresql://hk@db.internal/hybridkit", dialect: dialectPostgres, redacted: "postgresql://hk@db.internal/hybridkit"},
		{dsn: "sqlite:", wantErr: "names no file"},
		{dsn: "sqlite:/tmp/dir/", wantErr: "names no file"},
		{dsn: "sqlite:/tmp/a?b.db", wantErr: "'?' and '#' are not allowed"},
		{dsn: "mysql://root:s3cr3t@db/x", wantErr: "unsupported DSN"},
		{dsn: "host=db password=s3cr3t", wantErr: "unsupported DSN"},
		{dsn: "state.txt", wantErr: "unsupported DSN"},
		{dsn: "http://example.com/state.db", wantErr: "unsupported DSN"},
		{dsn: "postgres://hk:s3cr3t@db:notaport/x", wantErr: "parse PostgreSQL DSN"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			got, err := parseDSN(tc.dsn)
			if tc.wantErr != "" {
				if !strings.Contains(fmtErr(err), tc.wantErr) {
					t.Fatalf("parseDSN(%q) = %v, want an error saying %q", tc.dsn, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDSN(%q): %v", tc.dsn, err)
			}
			if got.dialect != tc.dialect || got.sqlitePath != tc.path || got.memory != tc.memory || got.redacted != tc.redacted {
				t.Errorf("parseDSN(%q) = dialect %v path %q memory %v redacted %q; want %v %q %v %q",
					tc.dsn, got.dialect, got.sqlitePath, got.memory, got.redacted, tc.dialect, tc.path, tc.memory, tc.redacted)
			}
			if (got.pgConfig != nil) != (tc.dialect == dialectPostgres) {
				t.Errorf("pgConfig = %v for dialect %v", got.pgConfig, tc.dialect)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://hk:s3cr3t@db:5432/x", "postgres://hk:xxxxx@db:5432/x"},
		{"postgres://hk@db/x", "postgres://hk@db/x"},
		{"postgres://db/x?sslmode=disable", "postgres://db/x?sslmode=disable"},
		{"postgres://hk:p%40ss%2Fw0rd@db/x", "postgres://hk:xxxxx@db/x"},
		{"postgres://hk:p@ss@db/x", "postgres://hk:xxxxx@db/x"},
		{"postgres://hk:@db/x", "postgres://hk:xxxxx@db/x"},
		{"postgres://db/x?user=hk&password=s3cr3t&sslmode=require", "postgres://db/x?user=hk&password=xxxxx&sslmode=require"},
		{"host=db user=hk password=s3cr3t dbname=x", "host=db user=hk password=xxxxx dbname=x"},
		{"host=db password='s3 cr3t' dbname=x", "host=db password=xxxxx dbname=x"},
		{"sqlite:/var/lib/state.db", "sqlite:/var/lib/state.db"},
	} {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	// Port 1 on loopback refuses connections: the error comes from the
	// connection attempt, with pgx's own message around it.
	t.Setenv("PGCONNECT_TIMEOUT", "5")
	for _, tc := range []struct {
		dsn     string
		secrets []string
	}{
		{"postgres://hk:s3cr3t@127.0.0.1:1/x?sslmode=disable", []string{"s3cr3t"}},
		{"postgresql://hk:p%40ss%2Fw0rd@127.0.0.1:1/x?sslmode=disable", []string{"p%40ss%2Fw0rd", "p@ss/w0rd"}},
		{"postgres://hk@127.0.0.1:1/x?sslmode=disable&password=qu3rys3cr3t", []string{"qu3rys3cr3t"}},
		{"postgres://hk:s3cr3t@127.0.0.1:notaport/x", []string{"s3cr3t"}},
		{"postgres://hk:s3cr3t@127.0.0.1:1/x?sslmode=bogus", []string{"s3cr3t"}},
		{"mysql://root:s3cr3t@127.0.0.1/x", []string{"s3cr3t"}},
		{"host=127.0.0.1 password=s3cr3t", []string{"s3cr3t"}},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			s, err := Open(testContext(t), tc.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			for _, secret := range tc.secrets {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks the password %q: %v", secret, err)
				}
			}
			if strings.HasPrefix(tc.dsn, "postgres") && !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error %q does not say which server", err)
			}
		})
	}
}

func TestPostgresPasswordHiddenFromLogsAndErrors(t *testing.T) {
	t.Parallel()
	base := requirePostgres(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-Pa55"
	u.User = url.UserPassword(u.User.Username(), secret)

	// The server rejects the database: the error text comes from the server.
	missing := *u
	missing.Path = "/hybridkit_no_such_db_" + randomHex(t, 4)
	if _, err := Open(testContext(t), missing.String()); err == nil || strings.Contains(err.Error(), secret) ||
		!strings.Contains(err.Error(), "xxxxx") || !strings.Contains(err.Error(), strings.TrimPrefix(missing.Path, "/")) {
		t.Errorf("Open of a missing database = %v; want an error naming the database, with the password redacted", err)
	}

	// A successful Open logs the DSN redacted. (The test server trusts
	// loopback, so the password is accepted whatever it is.)
	withPW, err := url.Parse(postgresSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	withPW.User = url.UserPassword(withPW.User.Username(), secret)
	var logs bytes.Buffer
	s := open(t, withPW.String(), WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if !strings.Contains(logs.String(), "schema migration applied") || !strings.Contains(logs.String(), ":xxxxx@") {
		t.Errorf("logs do not show the migrations with the redacted DSN:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(s.String(), secret) {
		t.Errorf("password in logs or String():\n%s\n%s", logs.String(), s.String())
	}
}

func TestSQLiteFileSettings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, "sqlite:"+path)
	ctx := testContext(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL: every commit is durable
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		for name, db := range map[string]*sql.DB{"writer": s.wdb, "reader": s.rdb} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s PRAGMA %s = %s, want %s", name, tc.pragma, got, tc.want)
			}
		}
	}
	// Readers cannot write, even by mistake.
	if _, err := s.rdb.ExecContext(ctx, `INSERT INTO store_settings (name, value) VALUES ('x', x'00')`); err == nil {
		t.Error("a write through the reader pool succeeded")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v, want 0600 (it holds the audit log and backups)", fi.Mode().Perm())
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if got := s.String(); got != "sqlite:"+path {
		t.Errorf("String() = %q", got)
	}
}

func TestDefaultDSNAndMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := Open(testContext(t), "")
	if err != nil {
		t.Fatalf("Open(\"\"): %v", err)
	}
	if _, err := s.CreateRun(testContext(t), Run{Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, DefaultSQLitePath)); err != nil || fi.Size() == 0 {
		t.Errorf("default database file: %v, %v", fi, err)
	}
	if err := s.Ping(testContext(t)); err == nil {
		t.Error("Ping after Close succeeded")
	}

	_, err = Open(testContext(t), "sqlite:"+filepath.Join(dir, "missing", "state.db"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "directory of the SQLite file") {
		t.Errorf("Open in a missing directory = %v, want a not-exist error about the directory", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, "sqlite:"+filepath.Join(dir, "cancelled.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestScrubKeepsErrorChain(t *testing.T) {
	t.Parallel()
	// Defence in depth for drivers that quote the connection string: the
	// password disappears from the text, errors.Is still sees the cause.
	tg, err := parseDSN("postgres://hk:p%40ss@db/x")
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("dial failed for postgres://hk:p%40ss@db/x (password p@ss)")
	got := tg.scrub(fmt.Errorf("store: connect: %w: %w", cause, context.DeadlineExceeded))
	if want := "store: connect: dial failed for postgres://hk:xxxxx@db/x (password xxxxx): context deadline exceeded"; got.Error() != want {
		t.Errorf("scrubbed = %q\nwant      %q", got, want)
	}
	if !errors.Is(got, cause) || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("scrubbed error lost its chain: %v", got)
	}
	clean := errors.New("no secret here")
	if tg.scrub(clean) != clean {
		t.Error("scrub wrapped an error that held no secret")
	}
	if tg.scrub(nil) != nil {
		t.Error("scrub(nil) != nil")
	}
}
