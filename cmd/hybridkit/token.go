package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/config"
	"github.com/hybridkit/hybridkit/platform/store"
)

const tokenUsage = `Usage:
  hybridkit token create --name NAME --role reader|operator [--expires 720h] [--store DSN]
  hybridkit token list [-o table|json] [--store DSN]
  hybridkit token revoke [--store DSN] ID

API tokens for the REST gateway and the gRPC services (Authorization: Bearer TOKEN). create prints
the token on standard output; it is shown only this once: the store keeps a hash of it. --store is
the services' store (default sqlite:hybridkit.db, or HYBRIDKIT_STORE). A revoked token stops
working within seconds on every running service.
`

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: want create, list or revoke")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("hybridkit token "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage, "\nFlags:\n"); fs.PrintDefaults() }
	dsn := fs.String("store", "sqlite:hybridkit.db", "state store the services use: sqlite:PATH or postgres://...")
	var run func(ctx context.Context, st *store.Store) error
	switch cmd {
	case "create":
		name := fs.String("name", "", "what the token is for, e.g. the script or team using it (required)")
		role := fs.String("role", "", "reader (reads, analyses, assessments) or operator (also changes Active Directory) (required)")
		expires := fs.Duration("expires", 720*time.Hour, "lifetime; 0 means it never expires")
		run = func(ctx context.Context, st *store.Store) error {
			return createToken(ctx, st, *name, *role, *expires, stdout, stderr)
		}
	case "list":
		format := fs.String("o", "table", "output: table or json")
		run = func(ctx context.Context, st *store.Store) error { return listTokens(ctx, st, *format, stdout) }
	case "revoke":
		run = func(ctx context.Context, st *store.Store) error { return revokeToken(ctx, st, fs.Args(), stdout) }
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: unknown command %q: want create, list or revoke", cmd)
	}
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if cmd != "revoke" && fs.NArg() > 0 {
		return fmt.Errorf("token %s: unexpected arguments %q", cmd, fs.Args())
	}
	st, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return run(ctx, st)
}

// parseInterspersed parses flags that may follow the positional arguments (revoke ID --store X).
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	var pos []string
	for fs.NArg() > 0 {
		pos = append(pos, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// tokenActor names who ran the command in the audit log.
func tokenActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func createToken(ctx context.Context, st *store.Store, name, roleName string, expires time.Duration, stdout, stderr io.Writer) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("token create: --name is required")
	}
	if roleName == "" {
		return errors.New("token create: --role is required: reader or operator")
	}
	role, err := auth.ParseRole(roleName)
	if err != nil {
		return fmt.Errorf("token create: --%w", err)
	}
	if expires < 0 {
		return fmt.Errorf("token create: --expires %s is negative", expires)
	}
	actor := tokenActor()
	tok, rec, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: name, Role: role, ExpiresIn: expires, CreatedBy: actor}, time.Now())
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	if _, err := st.AppendAudit(ctx, store.AuditRecord{Actor: actor, Action: "hybridkit token create", Target: "token:" + rec.ID, Result: store.AuditOK,
		Detail: fmt.Sprintf("%q (%s)", rec.Name, rec.Role)}); err != nil {
		return fmt.Errorf("token create: the token was created but not audited: %w", err)
	}
	exp := "never expires"
	if !rec.ExpiresAt.IsZero() {
		exp = "expires " + rec.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "Created token %s %q (%s), %s. It is shown only now; keep it in a secret store:\n", rec.ID, rec.Name, rec.Role, exp)
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// tokenState is "active", "expired" or "revoked".
func tokenState(t store.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.Active(now):
		return "expired"
	}
	return "active"
}

func listTokens(ctx context.Context, st *store.Store, format string, stdout io.Writer) error {
	if format != "table" && format != "json" {
		return fmt.Errorf("token list: -o %q: want table or json", format)
	}
	var all []store.Token
	for page := ""; ; {
		list, next, err := st.ListTokens(ctx, store.TokenQuery{PageSize: store.MaxPageSize, PageToken: page})
		if err != nil {
			return err
		}
		all = append(all, list...)
		if next == "" {
			break
		}
		page = next
	}
	now := time.Now()
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	if format == "json" {
		type row struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Role      string `json:"role"`
			State     string `json:"state"`
			CreatedBy string `json:"created_by,omitempty"`
			Created   string `json:"created"`
			LastUsed  string `json:"last_used,omitempty"`
			Expires   string `json:"expires,omitempty"`
			Revoked   string `json:"revoked,omitempty"`
		}
		rows := []row{}
		for _, t := range all {
			rows = append(rows, row{t.ID, t.Name, t.Role, tokenState(t, now), t.CreatedBy, stamp(t.CreatedAt), stamp(t.LastUsedAt), stamp(t.ExpiresAt), stamp(t.RevokedAt)})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tSTATE\tCREATED\tLAST USED\tEXPIRES")
	for _, t := range all {
		orDash := func(s string) string {
			if s == "" {
				return "-"
			}
			return s
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, tokenState(t, now), stamp(t.CreatedAt), orDash(stamp(t.LastUsedAt)), orDash(stamp(t.ExpiresAt)))
	}
	return tw.Flush()
}

func revokeToken(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("token revoke: want exactly one token ID (see hybridkit token list)")
	}
	id := args[0]
	// Accept the whole token too: its ID is the part after hk_.
	if rest, ok := strings.CutPrefix(id, auth.APITokenPrefix); ok {
		id, _, _ = strings.Cut(rest, "_")
	}
	tok, err := st.RevokeToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("token revoke: no token %q (see hybridkit token list)", id)
	}
	if err != nil {
		return err
	}
	if _, err := st.AppendAudit(ctx, store.AuditRecord{Actor: tokenActor(), Action: "hybridkit token revoke", Target: "token:" + tok.ID, Result: store.AuditOK,
		Detail: fmt.Sprintf("%q (%s)", tok.Name, tok.Role)}); err != nil {
		return fmt.Errorf("token revoke: the token was revoked but not audited: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "Revoked token %s %q (%s) at %s.\n", tok.ID, tok.Name, tok.Role, tok.RevokedAt.Format(time.RFC3339))
	return err
}
