package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hybridkit/hybridkit/platform/store"
)

// APITokenPrefix starts every API token, so secret scanners and people recognise one.
const APITokenPrefix = "hk_"

// secretBytes is the size of an API token's random secret.
const secretBytes = 32

// TokenStore keeps API tokens; *store.Store is one.
type TokenStore interface {
	CreateToken(ctx context.Context, t store.Token) (store.Token, error)
	GetTokenByID(ctx context.Context, id string) (store.Token, error)
	TouchToken(ctx context.Context, id string) error
}

// NewToken describes an API token to create.
type NewToken struct {
	Name string
	Role Role
	// ExpiresIn is the token's lifetime; 0 means it never expires.
	ExpiresIn time.Duration
	// CreatedBy says who created it, for the record.
	CreatedBy string
}

// CreateAPIToken makes a token with a fresh random secret, stores its hash, and returns the token
// (the only time it is ever seen) with its record.
func CreateAPIToken(ctx context.Context, st TokenStore, nt NewToken, now time.Time) (string, store.Token, error) {
	if nt.Role != RoleReader && nt.Role != RoleOperator {
		return "", store.Token{}, fmt.Errorf("auth: token role %s: want reader or operator", nt.Role)
	}
	if nt.ExpiresIn < 0 {
		return "", store.Token{}, fmt.Errorf("auth: token lifetime %s is negative", nt.ExpiresIn)
	}
	secret := make([]byte, secretBytes)
	rand.Read(secret)
	hash := sha256.Sum256(secret)
	rec := store.Token{Name: nt.Name, Role: nt.Role.String(), SecretHash: hash[:], CreatedBy: nt.CreatedBy}
	if nt.ExpiresIn > 0 {
		rec.ExpiresAt = now.Add(nt.ExpiresIn)
	}
	rec, err := st.CreateToken(ctx, rec)
	if err != nil {
		return "", store.Token{}, err
	}
	return APITokenPrefix + rec.ID + "_" + base64.RawURLEncoding.EncodeToString(secret), rec, nil
}

// errMalformedToken is a token that cannot be an API token; the caller says "invalid token".
var errMalformedToken = errors.New("malformed API token")

// parseAPIToken splits "hk_<id>_<secret>" into the ID and the SHA-256 hash of the secret.
func parseAPIToken(tok string) (id string, hash [sha256.Size]byte, err error) {
	rest, ok := strings.CutPrefix(tok, APITokenPrefix)
	if !ok {
		return "", hash, errMalformedToken
	}
	// The ID is hex; the secret is base64url, which may itself contain '_'.
	id, enc, ok := strings.Cut(rest, "_")
	if !ok || !isHexID(id) {
		return "", hash, errMalformedToken
	}
	secret, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(secret) != secretBytes {
		return "", hash, errMalformedToken
	}
	return id, sha256.Sum256(secret), nil
}

// isHexID reports whether s looks like a store ID: 32 lower-case hex digits.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
