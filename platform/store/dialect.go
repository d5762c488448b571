package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the SQL flavour of the database behind a Store.
type dialect int

const (
	dialectSQLite dialect = iota + 1
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// sqliteParams configure every SQLite connection. synchronous=FULL makes each
// commit durable before it returns: descriptor backups must survive a crash
// that follows the write to Active Directory.
const sqliteParams = "_busy_timeout=10000&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL&_dqs=0"

func (s *Store) openSQLite(t target, maxReaders int) error {
	if maxReaders <= 0 {
		maxReaders = 4
	}
	if t.memory {
		// One connection is the whole database: it must never be closed.
		db, err := sql.Open("sqlite", ":memory:?_foreign_keys=1&_dqs=0&_txlock=immediate")
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.wdb, s.rdb = db, db
		return nil
	}
	dir := filepath.Dir(t.sqlitePath)
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("directory of the SQLite file: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("directory of the SQLite file: %s is not a directory", dir)
	}
	// Create the file ourselves so it is private: it holds the audit log and
	// descriptor backups. SQLite gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(t.sqlitePath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// BEGIN IMMEDIATE takes the write lock up front, so a read-modify-write
	// transaction cannot fail half-way on a lock upgrade.
	wdb, err := sql.Open("sqlite", t.sqlitePath+"?"+sqliteParams+"&_txlock=immediate")
	if err != nil {
		return err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	rdb, err := sql.Open("sqlite", t.sqlitePath+"?"+sqliteParams+"&_query_only=1")
	if err != nil {
		wdb.Close()
		return err
	}
	rdb.SetMaxOpenConns(maxReaders)
	rdb.SetMaxIdleConns(maxReaders)
	s.wdb, s.rdb = wdb, rdb
	return nil
}

func (s *Store) openPostgres(t target, maxConns int) error {
	if maxConns <= 0 {
		maxConns = 10
	}
	db := stdlib.OpenDB(*t.pgConfig)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// Recycle connections so a failover or a load balancer change is picked
	// up without a restart.
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.wdb, s.rdb = db, db
	return nil
}

// rebind turns the '?' placeholders the queries are written with into
// PostgreSQL's $n. The queries hold no '?' inside literals.
func (d dialect) rebind(q string) string {
	if d != dialectPostgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// forUpdate locks the selected row on PostgreSQL; SQLite's BEGIN IMMEDIATE
// already holds the database write lock.
func (d dialect) forUpdate() string {
	if d == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// timeArg converts t to the column type: timestamptz on PostgreSQL, integer
// microseconds since the Unix epoch on SQLite (which sorts and compares
// exactly, unlike text timestamps with varying fractions).
func (d dialect) timeArg(t time.Time) any {
	t = normTime(t)
	if d == dialectPostgres {
		return t
	}
	return t.UnixMicro()
}

// nullTimeArg is timeArg with the zero time stored as NULL.
func (d dialect) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(t)
}

// dbTime scans a time column of either dialect; NULL scans as the zero time.
type dbTime struct{ t *time.Time }

func (d dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = normTime(v)
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("store: cannot scan %T into a time", v)
	}
	return nil
}

var _ sql.Scanner = dbTime{}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) driver.Value {
	if len(b) == 0 {
		return nil
	}
	return b
}

// isForeignKeyViolation reports whether err is a foreign key failure.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_BUSY
}
