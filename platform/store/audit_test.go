package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	grantMethod   = "/hybridkit.directory.v1.DirectoryService/GrantWriteback"
	restoreMethod = "/hybridkit.directory.v1.DirectoryService/RestoreBackup"
)

func TestAppendAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		now := time.Date(2025, 5, 5, 12, 0, 0, 999_999_999, time.UTC)
		s := newStore(t, b, WithClock(func() time.Time { return now }))

		in := AuditRecord{
			Time:      time.Date(2025, 5, 5, 13, 59, 58, 1500, time.FixedZone("CEST", 2*3600)),
			Actor:     "svc-deploy",
			Action:    grantMethod,
			Target:    "OU=Users,DC=corp,DC=example",
			Result:    AuditDenied,
			Detail:    "role reader cannot write; ünïcode ✓, quotes ' \" and a\nnewline",
			RequestID: "req-42",
		}
		got, err := s.AppendAudit(ctx, in)
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if !hexID.MatchString(got.ID) {
			t.Errorf("ID = %q, want 32 hex digits", got.ID)
		}
		want := in
		want.ID, want.Time = got.ID, time.Date(2025, 5, 5, 11, 59, 58, 1000, time.UTC)
		if got != want {
			t.Errorf("AppendAudit = %+v\nwant %+v", got, want)
		}
		zero, err := s.AppendAudit(ctx, AuditRecord{Action: restoreMethod, Result: AuditOK})
		if err != nil {
			t.Fatal(err)
		}
		if !zero.Time.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("record without a time got %v, want the store clock %v", zero.Time, now.Truncate(time.Microsecond))
		}

		list, next, err := s.ListAudit(ctx, AuditQuery{})
		if err != nil || next != "" {
			t.Fatalf("ListAudit = %v, next %q", err, next)
		}
		if len(list) != 2 || list[0] != zero || list[1] != want {
			t.Errorf("ListAudit = %+v\nwant [%+v %+v]", list, zero, want)
		}
		for _, r := range list {
			if r.Time.Location() != time.UTC {
				t.Errorf("record %s time in %v, want UTC", r.ID, r.Time.Location())
			}
		}

		for _, tc := range []struct {
			name string
			rec  AuditRecord
			want string
		}{
			{"id given", AuditRecord{ID: "x", Action: grantMethod, Result: AuditOK}, "must not carry an ID"},
			{"no action", AuditRecord{Result: AuditOK}, "action is empty"},
			{"no result", AuditRecord{Action: grantMethod}, `result ""`},
			{"bad result", AuditRecord{Action: grantMethod, Result: "maybe"}, `result "maybe"`},
		} {
			if _, err := s.AppendAudit(ctx, tc.rec); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: AppendAudit = %v, want ErrInvalidArgument saying %q", tc.name, err, tc.want)
			}
		}
	})
}

func TestAuditAppendOnly(t *testing.T) {
	// The database itself refuses to change or remove audit records, so a
	// bug or a hand-written statement cannot rewrite history either.
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		rec, err := s.AppendAudit(ctx, AuditRecord{Actor: "alice", Action: grantMethod, Result: AuditOK})
		if err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			s.dialect.rebind(`UPDATE audit_records SET result = 'denied' WHERE id = ?`),
			s.dialect.rebind(`DELETE FROM audit_records WHERE id = ?`),
		}
		for _, stmt := range stmts {
			_, err := s.wdb.ExecContext(ctx, stmt, rec.ID)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", stmt, err)
			}
		}
		if b.dialect == dialectPostgres {
			if _, err := s.wdb.ExecContext(ctx, `TRUNCATE audit_records`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("TRUNCATE: err = %v, want the append-only refusal", err)
			}
		}
		list, _, err := s.ListAudit(ctx, AuditQuery{})
		if err != nil || len(list) != 1 || list[0] != rec {
			t.Errorf("after the refused changes ListAudit = %+v, %v; want [%+v]", list, err, rec)
		}
	})
}

func TestListAuditFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		base := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
		actors := []string{"alice", "bob", "carol"}
		actions := []string{grantMethod, restoreMethod}
		var all []AuditRecord
		for i := range 30 {
			rec, err := s.AppendAudit(ctx, AuditRecord{
				// Pairs share a timestamp, so ties are ordered by ID.
				Time:   base.Add(time.Duration(i/2) * time.Hour),
				Actor:  actors[i%3],
				Action: actions[i%2],
				Target: fmt.Sprintf("CN=user%d,OU=Users,DC=corp,DC=example", i),
				Result: AuditOK,
			})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, rec)
		}

		for _, tc := range []struct {
			name string
			q    AuditQuery
			keep func(AuditRecord) bool
		}{
			{"all", AuditQuery{}, func(AuditRecord) bool { return true }},
			{"actor", AuditQuery{Actor: "bob"}, func(r AuditRecord) bool { return r.Actor == "bob" }},
			{"action", AuditQuery{Action: restoreMethod}, func(r AuditRecord) bool { return r.Action == restoreMethod }},
			{"actor and action", AuditQuery{Actor: "alice", Action: grantMethod},
				func(r AuditRecord) bool { return r.Actor == "alice" && r.Action == grantMethod }},
			{"since inclusive", AuditQuery{Since: base.Add(10 * time.Hour)}, func(r AuditRecord) bool { return !r.Time.Before(base.Add(10 * time.Hour)) }},
			{"until exclusive", AuditQuery{Until: base.Add(3 * time.Hour)}, func(r AuditRecord) bool { return r.Time.Before(base.Add(3 * time.Hour)) }},
			{"window and actor", AuditQuery{Actor: "carol", Since: base.Add(2 * time.Hour), Until: base.Add(12 * time.Hour)},
				func(r AuditRecord) bool {
					return r.Actor == "carol" && !r.Time.Before(base.Add(2*time.Hour)) && r.Time.Before(base.Add(12*time.Hour))
				}},
			{"no match", AuditQuery{Actor: "mallory"}, func(AuditRecord) bool { return false }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var want []AuditRecord
				for _, r := range all {
					if tc.keep(r) {
						want = append(want, r)
					}
				}
				slices.SortFunc(want, func(a, b AuditRecord) int {
					if c := b.Time.Compare(a.Time); c != 0 {
						return c
					}
					return strings.Compare(b.ID, a.ID)
				})
				q := tc.q
				q.PageSize = 4
				var got []AuditRecord
				for pages := 1; ; pages++ {
					page, next, err := s.ListAudit(ctx, q)
					if err != nil {
						t.Fatalf("page %d: %v", pages, err)
					}
					got = append(got, page...)
					if next == "" {
						break
					}
					if len(page) != 4 {
						t.Fatalf("page %d has %d records and a next page", pages, len(page))
					}
					q.PageToken = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("ListAudit(%+v) =\n%v\nwant\n%v", tc.q, auditIDs(got), auditIDs(want))
				}
				if tc.name != "no match" && len(want) == 0 {
					t.Fatal("test case selects nothing")
				}
			})
		}

		// A token only continues the listing it came from.
		_, tok, err := s.ListAudit(ctx, AuditQuery{Actor: "alice", PageSize: 2})
		if err != nil || tok == "" {
			t.Fatalf("ListAudit = %q, %v", tok, err)
		}
		for name, q := range map[string]AuditQuery{
			"other actor":  {Actor: "bob", PageToken: tok},
			"added action": {Actor: "alice", Action: grantMethod, PageToken: tok},
			"added since":  {Actor: "alice", Since: base, PageToken: tok},
			"added until":  {Actor: "alice", Until: base.Add(100 * time.Hour), PageToken: tok},
		} {
			if _, _, err := s.ListAudit(ctx, q); !errors.Is(err, ErrInvalidPageToken) {
				t.Errorf("%s: ListAudit = %v, want ErrInvalidPageToken", name, err)
			}
		}
		for name, bad := range tamperedTokens(tok) {
			if _, _, err := s.ListAudit(ctx, AuditQuery{Actor: "alice", PageToken: bad}); !errors.Is(err, ErrInvalidPageToken) {
				t.Errorf("%s: ListAudit = %v, want ErrInvalidPageToken", name, err)
			}
		}
		if _, _, err := s.ListAudit(ctx, AuditQuery{Since: base.Add(time.Hour), Until: base}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("since after until: %v, want ErrInvalidArgument", err)
		}
	})
}

func auditIDs(recs []AuditRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Time.Format(time.TimeOnly) + "/" + r.ID[:6]
	}
	return out
}

// auditToken appends three records and returns a first-page token of the
// audit listing, for checking that other listings refuse it.
func auditToken(t *testing.T, s *Store) ([]AuditRecord, string) {
	t.Helper()
	for range 3 {
		if _, err := s.AppendAudit(testContext(t), AuditRecord{Action: grantMethod, Result: AuditOK}); err != nil {
			t.Fatal(err)
		}
	}
	page, tok, err := s.ListAudit(testContext(t), AuditQuery{PageSize: 1})
	if err != nil || tok == "" {
		t.Fatalf("ListAudit = %q, %v", tok, err)
	}
	return page, tok
}
