package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// listKind names the listing a page token belongs to.
type listKind byte

const (
	listRuns listKind = iota + 1
	listAudit
	listBackups
	listTokens
)

const (
	tokenVersion = 1
	tokenMACSize = 16
	// version, kind, time
	tokenHeaderSize = 1 + 1 + 8
)

// cursor is the last row of a page: the next page starts strictly after it
// in (time, id) descending order.
type cursor struct {
	time time.Time
	id   string
}

// filterKey canonicalises a listing's filter values. Quoting keeps it
// unambiguous whatever the values contain.
func filterKey(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Quote(p))
		b.WriteByte(',')
	}
	return b.String()
}

// encodeToken returns an opaque token for the page after c. It is signed
// together with the listing's filter, so it is refused if altered or replayed
// against another listing or another filter.
func (s *Store) encodeToken(kind listKind, filter string, c cursor) string {
	buf := make([]byte, tokenHeaderSize, tokenHeaderSize+len(c.id)+tokenMACSize)
	buf[0] = tokenVersion
	buf[1] = byte(kind)
	binary.BigEndian.PutUint64(buf[2:], uint64(c.time.UnixMicro()))
	buf = append(buf, c.id...)
	buf = append(buf, s.tokenMAC(buf, filter)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// decodeToken checks a token from encodeToken and returns its cursor.
func (s *Store) decodeToken(kind listKind, filter, token string) (cursor, error) {
	// Strict: a token has one spelling, so no altered character slips through
	// as ignored padding bits.
	buf, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(buf) <= tokenHeaderSize+tokenMACSize {
		return cursor{}, fmt.Errorf("page token: %w", ErrInvalidPageToken)
	}
	payload, mac := buf[:len(buf)-tokenMACSize], buf[len(buf)-tokenMACSize:]
	if !hmac.Equal(mac, s.tokenMAC(payload, filter)) {
		return cursor{}, fmt.Errorf("page token altered, or issued for another listing or filter: %w", ErrInvalidPageToken)
	}
	if payload[0] != tokenVersion || listKind(payload[1]) != kind {
		return cursor{}, fmt.Errorf("page token for another listing: %w", ErrInvalidPageToken)
	}
	micros := int64(binary.BigEndian.Uint64(payload[2:tokenHeaderSize]))
	return cursor{time: time.UnixMicro(micros).UTC(), id: string(payload[tokenHeaderSize:])}, nil
}

func (s *Store) tokenMAC(payload []byte, filter string) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write(payload)
	m.Write([]byte{0})
	m.Write([]byte(filter))
	return m.Sum(nil)[:tokenMACSize]
}
