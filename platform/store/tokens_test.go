package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTokenLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 7, 1, 9, 0, 0, 123456789, time.FixedZone("CEST", 2*3600)))
		s := newStore(t, b, WithClock(clock.Now))
		created0 := time.Date(2025, 7, 1, 7, 0, 0, 123456000, time.UTC)

		hash := sha256.Sum256([]byte("the secret"))
		expires := time.Date(2025, 8, 1, 0, 0, 0, 999, time.UTC)
		tok, err := s.CreateToken(ctx, Token{Name: "ops scripts ✓", Role: TokenRoleOperator, SecretHash: hash[:], CreatedBy: "cli:root", ExpiresAt: expires})
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if !hexID.MatchString(tok.ID) || !tok.CreatedAt.Equal(created0) || !tok.ExpiresAt.Equal(expires.Truncate(time.Microsecond)) ||
			!tok.LastUsedAt.IsZero() || !tok.RevokedAt.IsZero() {
			t.Errorf("CreateToken = %+v", tok)
		}
		got, err := s.GetTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatalf("GetTokenByID: %v", err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Errorf("GetTokenByID = %+v\nwant %+v", got, tok)
		}
		if !bytes.Equal(got.SecretHash, hash[:]) {
			t.Errorf("hash = %x, want %x", got.SecretHash, hash)
		}
		if !got.Active(clock.Now()) || got.Active(expires) {
			t.Errorf("Active: want active now and not at its expiry")
		}

		// Use is recorded with the store clock.
		clock.Add(time.Minute)
		if err := s.TouchToken(ctx, tok.ID); err != nil {
			t.Fatalf("TouchToken: %v", err)
		}
		got, _ = s.GetTokenByID(ctx, tok.ID)
		if !got.LastUsedAt.Equal(created0.Add(time.Minute)) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, created0.Add(time.Minute))
		}

		// Revoking is for good, and a second revoke keeps the first time.
		clock.Add(time.Minute)
		rev, err := s.RevokeToken(ctx, tok.ID)
		if err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		if !rev.RevokedAt.Equal(created0.Add(2*time.Minute)) || rev.Active(clock.Now()) {
			t.Errorf("after revoke: %+v", rev)
		}
		clock.Add(time.Minute)
		again, err := s.RevokeToken(ctx, tok.ID)
		if err != nil || !again.RevokedAt.Equal(rev.RevokedAt) {
			t.Errorf("second revoke = %v, %v; want the first revocation time %v", again.RevokedAt, err, rev.RevokedAt)
		}

		for name, err := range map[string]error{
			"get":    func() error { _, err := s.GetTokenByID(ctx, "0123456789abcdef0123456789abcdef"); return err }(),
			"revoke": func() error { _, err := s.RevokeToken(ctx, "0123456789abcdef0123456789abcdef"); return err }(),
			"touch":  s.TouchToken(ctx, "0123456789abcdef0123456789abcdef"),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a missing token: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestCreateTokenRefuses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		s := newStore(t, b, WithClock(func() time.Time { return now }))
		hash := sha256.Sum256([]byte("x"))
		ok := Token{Name: "n", Role: TokenRoleReader, SecretHash: hash[:]}
		for _, tc := range []struct {
			name   string
			change func(*Token)
			want   string
		}{
			{"id", func(t *Token) { t.ID = "abc" }, "must not carry an ID"},
			{"no name", func(t *Token) { t.Name = "" }, "name is empty"},
			{"long name", func(t *Token) { t.Name = strings.Repeat("n", 201) }, "at most 200"},
			{"role", func(t *Token) { t.Role = "admin" }, `role "admin"`},
			{"hash", func(t *Token) { t.SecretHash = []byte("short") }, "5 bytes"},
			{"expired", func(t *Token) { t.ExpiresAt = now }, "not in the future"},
			{"revoked", func(t *Token) { t.RevokedAt = now }, "revoked already"},
		} {
			tok := ok
			tc.change(&tok)
			_, err := s.CreateToken(ctx, tok)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want ErrInvalidArgument saying %q", tc.name, err, tc.want)
			}
		}
		if list, _, err := s.ListTokens(ctx, TokenQuery{}); err != nil || len(list) != 0 {
			t.Errorf("after refusals the store holds %d tokens (%v), want none", len(list), err)
		}
	})
}

func TestListTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testContext(t)
		clock := newFakeClock(time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC))
		s := newStore(t, b, WithClock(clock.Now))
		hash := sha256.Sum256([]byte("x"))
		var ids []string
		for _, name := range []string{"a", "b", "c"} {
			tok, err := s.CreateToken(ctx, Token{Name: name, Role: TokenRoleReader, SecretHash: hash[:]})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tok.ID)
			clock.Add(time.Second)
		}
		if _, err := s.RevokeToken(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		page1, next, err := s.ListTokens(ctx, TokenQuery{PageSize: 2})
		if err != nil || next == "" || len(page1) != 2 || page1[0].ID != ids[2] || page1[1].ID != ids[1] || page1[1].RevokedAt.IsZero() {
			t.Fatalf("page 1 = %+v, next %q, %v; want c, b (revoked)", page1, next, err)
		}
		page2, next, err := s.ListTokens(ctx, TokenQuery{PageSize: 2, PageToken: next})
		if err != nil || next != "" || len(page2) != 1 || page2[0].ID != ids[0] {
			t.Fatalf("page 2 = %+v, next %q, %v; want a", page2, next, err)
		}
		// A page token of another listing is refused.
		_, runTok, _ := s.ListRuns(ctx, ListRunsQuery{PageSize: 1})
		_, audTok, _ := s.ListAudit(ctx, AuditQuery{PageSize: 1})
		for _, tok := range []string{runTok, audTok, "garbage"} {
			if tok == "" {
				continue
			}
			if _, _, err := s.ListTokens(ctx, TokenQuery{PageToken: tok}); !errors.Is(err, ErrInvalidPageToken) {
				t.Errorf("token %q: %v, want ErrInvalidPageToken", tok, err)
			}
		}
	})
}
