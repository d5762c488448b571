package store

import (
	"errors"
	"testing"
	"time"
)

func tokenStore() *Store {
	return &Store{tokenKey: []byte("0123456789abcdef0123456789abcdef")}
}

func TestPageTokenRoundTrip(t *testing.T) {
	t.Parallel()
	s := tokenStore()
	for _, c := range []cursor{
		{time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), "0123456789abcdef0123456789abcdef"},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "x"},
		{time.Unix(0, 0).UTC(), "id with spaces, ünïcode and \x00"},
	} {
		tok := s.encodeToken(listAudit, filterKey("alice", ""), c)
		got, err := s.decodeToken(listAudit, filterKey("alice", ""), tok)
		if err != nil || !got.time.Equal(c.time) || got.id != c.id {
			t.Errorf("round trip of %+v = %+v, %v", c, got, err)
		}
		// Same values, different filter split: quoting keeps them apart.
		if _, err := s.decodeToken(listAudit, filterKey("alice\",\"", ""), tok); !errors.Is(err, ErrInvalidPageToken) {
			t.Errorf("token accepted under another filter: %v", err)
		}
		if _, err := s.decodeToken(listRuns, filterKey("alice", ""), tok); !errors.Is(err, ErrInvalidPageToken) {
			t.Errorf("audit token accepted for runs: %v", err)
		}
	}
}

func FuzzDecodePageToken(f *testing.F) {
	s := tokenStore()
	f.Add(s.encodeToken(listRuns, filterKey("k"), cursor{time.Unix(1700000000, 0), "abc"}))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.decodeToken(listRuns, filterKey("k"), tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidPageToken) {
				t.Fatalf("decode error %v is not ErrInvalidPageToken", err)
			}
			return
		}
		// Anything accepted is exactly what the store would have issued.
		if again := s.encodeToken(listRuns, filterKey("k"), c); again != tok {
			t.Fatalf("accepted token %q re-encodes as %q", tok, again)
		}
	})
}
