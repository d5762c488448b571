package store

import (
	"context"
	"database/sql"
	"strings"
)

// pageQuery is one page of a newest-first listing.
type pageQuery struct {
	kind   listKind
	filter string // filterKey of the listing's filter values
	token  string
	size   int
	// sql is "SELECT columns FROM table"; the table has an id column and
	// timeCol, and an index on (timeCol DESC, id DESC).
	sql     string
	timeCol string
	where   []string // conditions, ANDed, with '?' placeholders
	args    []any
}

// listPage runs q with keyset pagination on (timeCol, id) and calls scan for
// each row of the page. It returns the token for the next page, or "" when
// this page is the last.
func (s *Store) listPage(ctx context.Context, q pageQuery, scan func(*sql.Rows) (cursor, error)) (string, error) {
	size, err := pageSize(q.size)
	if err != nil {
		return "", err
	}
	where, args := q.where, q.args
	if q.token != "" {
		c, err := s.decodeToken(q.kind, q.filter, q.token)
		if err != nil {
			return "", err
		}
		where = append(where[:len(where):len(where)], "("+q.timeCol+", id) < (?, ?)")
		args = append(args[:len(args):len(args)], s.dialect.timeArg(c.time), c.id)
	}
	var b strings.Builder
	b.WriteString(q.sql)
	for i, w := range where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(w)
	}
	b.WriteString(" ORDER BY " + q.timeCol + " DESC, id DESC LIMIT ?")
	// One row more than the page tells whether another page follows.
	args = append(args, size+1)

	rows, err := s.rdb.QueryContext(ctx, s.dialect.rebind(b.String()), args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var last cursor
	n, more := 0, false
	for rows.Next() {
		if n == size {
			more = true
			break
		}
		if last, err = scan(rows); err != nil {
			return "", err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if !more {
		return "", nil
	}
	return s.encodeToken(q.kind, q.filter, last), nil
}
