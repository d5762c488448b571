package store

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type appliedMigration struct {
	version   int64
	name      string
	appliedAt time.Time
}

func readMigrations(t *testing.T, s *Store) []appliedMigration {
	t.Helper()
	rows, err := s.rdb.QueryContext(testContext(t), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.version, &m.name, dbTime{&m.appliedAt}); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantMigrations(t *testing.T, d dialect) []migration {
	t.Helper()
	migs, err := loadMigrations(d)
	if err != nil {
		t.Fatal(err)
	}
	return migs
}

func checkAllApplied(t *testing.T, s *Store, got []appliedMigration) {
	t.Helper()
	want := wantMigrations(t, s.dialect)
	if len(got) != len(want) {
		t.Fatalf("schema_migrations has %d rows, want %d (one per migration): %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].version != want[i].version || got[i].name != want[i].name {
			t.Errorf("schema_migrations[%d] = %d %s, want %d %s", i, got[i].version, got[i].name, want[i].version, want[i].name)
		}
	}
}

func TestMigrationsDialectsAgree(t *testing.T) {
	t.Parallel()
	lite, pg := wantMigrations(t, dialectSQLite), wantMigrations(t, dialectPostgres)
	if len(lite) == 0 {
		t.Fatal("no migrations embedded")
	}
	var liteNames, pgNames []string
	for _, m := range lite {
		liteNames = append(liteNames, m.name)
	}
	for _, m := range pg {
		pgNames = append(pgNames, m.name)
	}
	if !slices.Equal(liteNames, pgNames) {
		t.Fatalf("SQLite migrations %v and PostgreSQL migrations %v differ", liteNames, pgNames)
	}
	for i, m := range lite {
		if m.version != int64(i+1) {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}

func TestMigrationsAppliedOnceAndIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		clock := newFakeClock(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
		dsn := b.freshDSN(t)
		s := open(t, dsn, WithClock(clock.Now))
		first := readMigrations(t, s)
		checkAllApplied(t, s, first)
		if !first[0].appliedAt.Equal(clock.Now()) {
			t.Errorf("applied_at = %v, want the store clock %v", first[0].appliedAt, clock.Now())
		}

		// Running the migrations again on the open database changes nothing.
		clock.Add(time.Hour)
		if err := s.migrate(testContext(t)); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if again := readMigrations(t, s); !slices.Equal(again, first) {
			t.Fatalf("after a second migrate schema_migrations = %+v, want unchanged %+v", again, first)
		}

		// A restart applies nothing and keeps the data and the token key.
		run, err := s.CreateRun(testContext(t), Run{Kind: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if !b.reopenable {
			return
		}
		key := s.tokenKey
		s2 := open(t, dsn, WithClock(clock.Now))
		if again := readMigrations(t, s2); !slices.Equal(again, first) {
			t.Fatalf("after reopening schema_migrations = %+v, want unchanged %+v", again, first)
		}
		if got, err := s2.GetRun(testContext(t), run.ID); err != nil || got.ID != run.ID {
			t.Fatalf("GetRun after reopen = %+v, %v; want run %s", got, err, run.ID)
		}
		if string(s2.tokenKey) != string(key) {
			t.Error("the page-token key changed on reopen; tokens from before the restart would be refused")
		}
	})
}

func TestConcurrentOpen(t *testing.T) {
	// Replicas starting together: each migration is applied exactly once
	// (PostgreSQL advisory lock; SQLite BEGIN IMMEDIATE), every Open succeeds
	// and all of them agree on the page-token key.
	forEachBackend(t, func(t *testing.T, b backend) {
		if !b.reopenable {
			t.Skip("every in-memory Open is its own database")
		}
		dsn := b.freshDSN(t)
		const replicas = 8
		var wg sync.WaitGroup
		stores := make([]*Store, replicas)
		errs := make([]error, replicas)
		start := make(chan struct{})
		for i := range replicas {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = Open(testContext(t), dsn)
			})
		}
		close(start)
		wg.Wait()
		for i, s := range stores {
			if errs[i] != nil {
				t.Errorf("replica %d: Open: %v", i, errs[i])
				continue
			}
			t.Cleanup(func() { s.Close() })
		}
		if t.Failed() {
			return
		}
		checkAllApplied(t, stores[0], readMigrations(t, stores[0]))
		for i, s := range stores[1:] {
			if string(s.tokenKey) != string(stores[0].tokenKey) {
				t.Errorf("replica %d has another page-token key than replica 0", i+1)
			}
		}
		// A token issued by one replica is accepted by another.
		for range 3 {
			if _, err := stores[0].CreateRun(testContext(t), Run{Kind: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		_, tok, err := stores[1].ListRuns(testContext(t), ListRunsQuery{PageSize: 2})
		if err != nil || tok == "" {
			t.Fatalf("ListRuns on replica 1 = token %q, %v", tok, err)
		}
		page, _, err := stores[2].ListRuns(testContext(t), ListRunsQuery{PageSize: 2, PageToken: tok})
		if err != nil || len(page) != 1 {
			t.Fatalf("replica 2 with replica 1's token = %d runs, %v; want 1", len(page), err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		dsn := b.freshDSN(t)
		s := open(t, dsn)
		latest := wantMigrations(t, b.dialect)
		future := latest[len(latest)-1].version + 1
		if _, err := s.wdb.ExecContext(testContext(t), s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			future, "from_the_future", s.dialect.timeArg(time.Now())); err != nil {
			t.Fatal(err)
		}
		check := func(err error) {
			t.Helper()
			if !errors.Is(err, ErrSchemaTooNew) {
				t.Fatalf("err = %v, want ErrSchemaTooNew", err)
			}
			for _, want := range []string{"schema version " + strconv.FormatInt(future, 10), "knows up to " + strconv.FormatInt(future-1, 10), "upgrade hybridkit"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		}
		check(s.migrate(testContext(t)))
		if b.reopenable {
			s2, err := Open(testContext(t), dsn)
			if err == nil {
				s2.Close()
			}
			check(err)
		}
	})
}
