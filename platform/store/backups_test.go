package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// allBytes holds every byte value, twice, in an order that also puts NUL,
// 0xFF and invalid UTF-8 next to each other.
func allBytes() []byte {
	b := make([]byte, 0, 512)
	for i := range 256 {
		b = append(b, byte(i))
	}
	for i := range 256 {
		b = append(b, byte(255-i))
	}
	return b
}

func TestBackupRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 7, 14, 23, 59, 59, 999_999_000, time.UTC))
		s := newStore(t, b, WithClock(clock.Now))

		value := allBytes()
		in := Backup{
			DN:     "CN=Jane Doe,OU=Users,DC=corp,DC=example",
			Domain: "corp.example",
			Value:  value,
			SDDL:   "O:DAG:DAD:AI(A;;RPWP;;;S-1-5-21-1-2-3-1104)",
			Reason: "before GrantWriteback",
			RunID:  "5f0c3c6a9e0d4b6f8a1b2c3d4e5f6a7b",
			Actor:  "alice",
		}
		put, err := s.PutBackup(ctx, in)
		if err != nil {
			t.Fatalf("PutBackup: %v", err)
		}
		if !hexID.MatchString(put.ID) || put.Attribute != DefaultBackupAttribute || !put.CreatedAt.Equal(clock.Now()) {
			t.Errorf("PutBackup = ID %q attribute %q created %v", put.ID, put.Attribute, put.CreatedAt)
		}
		// The store keeps its own copy.
		value[0] = 0xAA
		got, err := s.GetBackup(ctx, put.ID)
		if err != nil {
			t.Fatalf("GetBackup: %v", err)
		}
		if !bytes.Equal(got.Value, allBytes()) {
			t.Fatalf("Value round trip differs: got %d bytes %x…", len(got.Value), got.Value[:min(16, len(got.Value))])
		}
		want := in
		want.ID, want.Attribute, want.CreatedAt, want.Value = put.ID, DefaultBackupAttribute, clock.Now(), nil
		got.Value = nil
		if fmt.Sprint(got) != fmt.Sprint(want) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("GetBackup = %+v\nwant %+v", got, want)
		}

		// Another attribute, and a value of one NUL byte.
		other, err := s.PutBackup(ctx, Backup{DN: in.DN, Attribute: "msDS-AllowedToActOnBehalfOfOtherIdentity", Value: []byte{0}})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetBackup(ctx, other.ID); err != nil || got.Attribute != other.Attribute || !bytes.Equal(got.Value, []byte{0}) {
			t.Errorf("GetBackup(NUL value) = %+v, %v", got, err)
		}

		if _, err := s.GetBackup(ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetBackup of an unknown ID = %v, want ErrNotFound", err)
		}
		for _, tc := range []struct {
			b    Backup
			want string
		}{
			{Backup{ID: "x", DN: "CN=x", Value: []byte{1}}, "must not carry an ID"},
			{Backup{Value: []byte{1}}, "DN is empty"},
			{Backup{DN: "CN=x"}, "has no value"},
		} {
			if _, err := s.PutBackup(ctx, tc.b); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PutBackup(%+v) = %v, want ErrInvalidArgument saying %q", tc.b, err, tc.want)
			}
		}
	})
}

func TestBackupsOutliveRuns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		s := newStore(t, b)
		run, err := s.CreateRun(ctx, Run{Kind: "directory.grant"})
		if err != nil {
			t.Fatal(err)
		}
		bk, err := s.PutBackup(ctx, Backup{DN: "CN=x,DC=corp", Value: []byte{1, 2, 3}, RunID: run.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetBackup(ctx, bk.ID)
		if err != nil || got.RunID != run.ID || !bytes.Equal(got.Value, []byte{1, 2, 3}) {
			t.Errorf("backup after DeleteRun = %+v, %v; want it kept", got, err)
		}
	})
}

func TestListBackups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC))
		s := newStore(t, b, WithClock(clock.Now))
		dns := []string{"CN=Jane,OU=Users,DC=corp,DC=example", "CN=John,OU=Users,DC=corp,DC=example"}
		var all []Backup
		for i := range 13 {
			if i%4 == 0 {
				clock.Add(time.Minute)
			}
			bk, err := s.PutBackup(ctx, Backup{DN: dns[i%2], Value: []byte{byte(i)}, Reason: fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, bk)
		}
		newestFirst := func(keep func(Backup) bool) []string {
			var ids []Backup
			for _, bk := range all {
				if keep(bk) {
					ids = append(ids, bk)
				}
			}
			slices.SortFunc(ids, func(a, b Backup) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			out := make([]string, len(ids))
			for i, bk := range ids {
				out[i] = bk.ID
			}
			return out
		}
		listAll := func(q BackupQuery) []string {
			t.Helper()
			var ids []string
			for {
				page, next, err := s.ListBackups(ctx, q)
				if err != nil {
					t.Fatalf("ListBackups(%+v): %v", q, err)
				}
				for _, bk := range page {
					ids = append(ids, bk.ID)
					if bk.Value[0] != byte(mustAtoi(t, bk.Reason)) {
						t.Errorf("backup %s: value %x does not belong to reason %s", bk.ID, bk.Value, bk.Reason)
					}
				}
				if next == "" {
					return ids
				}
				q.PageToken = next
			}
		}

		if got, want := listAll(BackupQuery{PageSize: 3}), newestFirst(func(Backup) bool { return true }); !slices.Equal(got, want) {
			t.Errorf("all backups = %v, want %v", got, want)
		}
		jane := newestFirst(func(bk Backup) bool { return bk.DN == dns[0] })
		if got := listAll(BackupQuery{DN: dns[0], PageSize: 2}); !slices.Equal(got, jane) {
			t.Errorf("backups of %s = %v, want %v", dns[0], got, jane)
		}
		// AD compares DNs case-insensitively, and so does the filter.
		if got := listAll(BackupQuery{DN: strings.ToUpper(dns[0]), PageSize: 2}); !slices.Equal(got, jane) {
			t.Errorf("backups of the upper-case DN = %v, want %v", got, jane)
		}
		if got := listAll(BackupQuery{DN: "CN=Nobody,DC=corp"}); len(got) != 0 {
			t.Errorf("backups of an unknown DN = %v, want none", got)
		}

		_, tok, err := s.ListBackups(ctx, BackupQuery{DN: dns[0], PageSize: 1})
		if err != nil || tok == "" {
			t.Fatalf("ListBackups = %q, %v", tok, err)
		}
		if _, _, err := s.ListBackups(ctx, BackupQuery{DN: dns[1], PageToken: tok}); !errors.Is(err, ErrInvalidPageToken) {
			t.Errorf("token of another DN = %v, want ErrInvalidPageToken", err)
		}
		for name, bad := range tamperedTokens(tok) {
			if _, _, err := s.ListBackups(ctx, BackupQuery{DN: dns[0], PageToken: bad}); !errors.Is(err, ErrInvalidPageToken) {
				t.Errorf("%s: ListBackups = %v, want ErrInvalidPageToken", name, err)
			}
		}
		_, runTok, err := s.ListRuns(ctx, ListRunsQuery{PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if runTok != "" {
			t.Fatalf("runs listing of an empty table returned a token")
		}
		_, auditTok := auditToken(t, s)
		if _, _, err := s.ListBackups(ctx, BackupQuery{PageToken: auditTok}); !errors.Is(err, ErrInvalidPageToken) {
			t.Errorf("audit token for backups = %v, want ErrInvalidPageToken", err)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
