package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultSQLitePath is the SQLite file Open uses for an empty DSN.
const DefaultSQLitePath = "hybridkit.db"

const redactedPassword = "xxxxx"

// target is a parsed DSN.
type target struct {
	dialect dialect
	// redacted is the DSN without its password.
	redacted string
	// secrets are the password spellings (raw, URL-decoded, resolved by pgx
	// from PGPASSWORD or a passfile) that must never appear in an error.
	secrets []string

	sqlitePath string
	memory     bool // a private in-memory SQLite database
	pgConfig   *pgx.ConnConfig
}

func parseDSN(dsn string) (target, error) {
	t := target{redacted: RedactDSN(dsn), secrets: dsnSecrets(dsn)}
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		t.dialect, t.sqlitePath, t.redacted = dialectSQLite, DefaultSQLitePath, "sqlite:"+DefaultSQLitePath
	case lower == "sqlite::memory:":
		t.dialect, t.memory = dialectSQLite, true
	case strings.HasPrefix(lower, "sqlite:"):
		t.dialect, t.sqlitePath = dialectSQLite, dsn[len("sqlite:"):]
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			// pgx's own message already hides the password; scrub anyway,
			// as its parsers quote the offending fragment.
			return target{}, t.scrub(fmt.Errorf("store: parse PostgreSQL DSN %s: %w", t.redacted, err))
		}
		if cfg.Password != "" {
			t.secrets = append(t.secrets, cfg.Password)
		}
		t.dialect, t.pgConfig = dialectPostgres, cfg
	case isSQLiteFileName(lower):
		t.dialect, t.sqlitePath, t.redacted = dialectSQLite, dsn, "sqlite:"+dsn
	default:
		return target{}, t.scrub(fmt.Errorf("store: unsupported DSN %q: want \"sqlite:PATH\", a path ending in .db, \"sqlite::memory:\" or \"postgres://...\": %w", t.redacted, ErrInvalidArgument))
	}
	if t.dialect == dialectSQLite && !t.memory {
		// The driver reads everything after '?' as its own parameters.
		if strings.ContainsAny(t.sqlitePath, "?#") {
			return target{}, fmt.Errorf("store: SQLite path %q: '?' and '#' are not allowed: %w", t.sqlitePath, ErrInvalidArgument)
		}
		if t.sqlitePath == "" || strings.HasSuffix(t.sqlitePath, "/") {
			return target{}, fmt.Errorf("store: SQLite DSN %q names no file: %w", dsn, ErrInvalidArgument)
		}
	}
	return t, nil
}

func isSQLiteFileName(lower string) bool {
	switch filepath.Ext(lower) {
	case ".db", ".sqlite", ".sqlite3":
		return !strings.Contains(lower, "://")
	}
	return false
}

var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// RedactDSN returns dsn with any password replaced by "xxxxx", for logs and
// errors: the user-info password of a URL, a password= query parameter and a
// password= keyword.
func RedactDSN(dsn string) string {
	if scheme, rest, ok := strings.Cut(dsn, "://"); ok {
		authority, tail := rest, ""
		if i := strings.IndexAny(rest, "?"); i >= 0 {
			authority, tail = rest[:i], rest[i:]
		}
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			if user, _, hasPW := strings.Cut(authority[:at], ":"); hasPW {
				authority = user + ":" + redactedPassword + authority[at:]
			}
		}
		dsn = scheme + "://" + authority + tail
	}
	return keywordPassword.ReplaceAllString(dsn, "${1}"+redactedPassword)
}

// dsnSecrets extracts the password spellings RedactDSN hides.
func dsnSecrets(dsn string) []string {
	var raw []string
	if _, rest, ok := strings.Cut(dsn, "://"); ok {
		authority := rest
		if i := strings.IndexAny(rest, "?"); i >= 0 {
			authority = rest[:i]
		}
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			if _, pw, hasPW := strings.Cut(authority[:at], ":"); hasPW {
				raw = append(raw, pw)
			}
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(dsn, -1) {
		raw = append(raw, strings.Trim(m[2], "'"), m[2])
	}
	var out []string
	for _, s := range raw {
		if s == "" || s == redactedPassword {
			continue
		}
		out = append(out, s)
		if dec, err := url.PathUnescape(s); err == nil && dec != s {
			out = append(out, dec)
		}
		if dec, err := url.QueryUnescape(s); err == nil && dec != s {
			out = append(out, dec)
		}
	}
	return out
}

// scrub hides the DSN's password in err's text while keeping err's chain for
// errors.Is and errors.As.
func (t target) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range t.secrets {
		msg = strings.ReplaceAll(msg, s, redactedPassword)
	}
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
