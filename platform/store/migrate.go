package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema change, applied in its own transaction.
type migration struct {
	version int64
	name    string // file name without the .sql suffix
	sql     string
}

// loadMigrations returns the dialect's migrations in version order.
func loadMigrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s/%s: name must start with a positive number", dir, e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// migrate applies the migrations the database lacks, one transaction each.
//
// On PostgreSQL every transaction first takes an advisory lock scoped to the
// current schema, so replicas starting together apply each migration once
// and the others wait and then see it applied. On SQLite the transaction
// begins IMMEDIATE, which takes the database write lock.
func (s *Store) migrate(ctx context.Context) error {
	migs, err := loadMigrations(s.dialect)
	if err != nil {
		return err
	}
	latest := migs[len(migs)-1].version
	for {
		applied, err := s.migrateStep(ctx, migs, latest)
		if err != nil {
			return err
		}
		if applied == nil {
			return nil
		}
		s.log.Info("store: schema migration applied", "version", applied.version, "name", applied.name, "dsn", s.where)
	}
}

// migrateStep applies the first missing migration and returns it, or nil when
// the schema is current.
func (s *Store) migrateStep(ctx context.Context, migs []migration, latest int64) (*migration, error) {
	var done *migration
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == dialectPostgres {
			// Serialise schema changes per schema; the lock ends with the
			// transaction. Also covers the CREATE TABLE IF NOT EXISTS below,
			// which races on PostgreSQL without it.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('hybridkit.store.migrate:' || current_schema(), 0))`); err != nil {
				return fmt.Errorf("store: take the migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.schemaMigrationsDDL()); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		have, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		if len(have) > 0 && have[len(have)-1] > latest {
			return fmt.Errorf("store: %s has schema version %d, this binary knows up to %d; upgrade hybridkit before using this database: %w",
				s.where, have[len(have)-1], latest, ErrSchemaTooNew)
		}
		for i := range migs {
			m := &migs[i]
			if _, ok := slices.BinarySearch(have, m.version); ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, s.dialect.timeArg(s.stamp())); err != nil {
				return fmt.Errorf("store: record migration %s: %w", m.name, err)
			}
			done = m
			return nil
		}
		return nil
	})
	return done, err
}

func (s *Store) schemaMigrationsDDL() string {
	if s.dialect == dialectPostgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    bigint      NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL
)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT`
}

func appliedVersions(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const tokenKeySetting = "page_token_key"

// loadTokenKey returns the key that signs page tokens, creating it on first
// use. It lives in the database so every replica accepts the others' tokens.
func (s *Store) loadTokenKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := s.wdb.ExecContext(ctx, s.dialect.rebind(`INSERT INTO store_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
		tokenKeySetting, fresh); err != nil {
		return nil, fmt.Errorf("store: create the page-token key: %w", err)
	}
	var key []byte
	if err := s.wdb.QueryRowContext(ctx, s.dialect.rebind(`SELECT value FROM store_settings WHERE name = ?`), tokenKeySetting).Scan(&key); err != nil {
		return nil, fmt.Errorf("store: read the page-token key: %w", err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("store: the page-token key in store_settings is %d bytes, want at least 16", len(key))
	}
	return key, nil
}
