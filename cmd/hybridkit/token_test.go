package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/store"
)

var tokenPattern = regexp.MustCompile(`^hk_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$`)

// tokenCLI runs `hybridkit token ARGS...` and returns its standard output and error.
func tokenCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runToken(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// newCLIToken makes a token in the store at dsn (empty: HYBRIDKIT_STORE) through the CLI and
// returns it.
func newCLIToken(t *testing.T, dsn, name, role string) string {
	t.Helper()
	args := []string{"create", "--name", name, "--role", role}
	if dsn != "" {
		args = append(args, "--store", dsn)
	}
	out, _, err := tokenCLI(t, args...)
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	tok := strings.TrimSpace(out)
	if !tokenPattern.MatchString(tok) {
		t.Fatalf("token create printed %q, want only the token", out)
	}
	return tok
}

func TestTokenCLI(t *testing.T) {
	t.Parallel()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hybridkit.db")

	out, errOut, err := tokenCLI(t, "create", "--name", "ops scripts", "--role", "reader", "--store", dsn, "--expires", "2h")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, errOut)
	}
	reader := strings.TrimSpace(out)
	m := tokenPattern.FindStringSubmatch(reader)
	if m == nil {
		t.Fatalf("create printed %q, want the token alone", out)
	}
	readerID := m[1]
	if !strings.Contains(errOut, "shown only now") || !strings.Contains(errOut, readerID) || !strings.Contains(errOut, "expires ") || strings.Contains(errOut, reader) {
		t.Errorf("create's message on stderr: %q", errOut)
	}
	operator := newCLIToken(t, dsn, "break glass", "operator")

	// The tokens authenticate against the same store, with their roles.
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := auth.New(auth.Options{Tokens: st, Logger: grpctest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]auth.Role{reader: auth.RoleReader, operator: auth.RoleOperator} {
		if p, err := a.Authenticate(context.Background(), "Bearer "+tok); err != nil || p.Role != want {
			t.Errorf("token of role %s: %+v, %v", want, p, err)
		}
	}

	// list shows both, never a secret.
	out, _, err = tokenCLI(t, "list", "--store", dsn)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(out, readerID) || !strings.Contains(out, "ops scripts") ||
		!strings.Contains(out, "break glass") || strings.Count(out, "active") != 2 {
		t.Errorf("list:\n%s", out)
	}
	for _, tok := range []string{reader, operator} {
		if strings.Contains(out, tok[36:]) {
			t.Errorf("list shows a secret:\n%s", out)
		}
	}

	// revoke by ID (flags after the ID work too); the whole token is accepted as well.
	out, _, err = tokenCLI(t, "revoke", readerID, "--store", dsn)
	if err != nil || !strings.Contains(out, "Revoked token "+readerID) {
		t.Fatalf("revoke: %q, %v", out, err)
	}
	if _, _, err := tokenCLI(t, "revoke", "--store", dsn, operator); err != nil {
		t.Fatalf("revoke by token: %v", err)
	}
	out, _, err = tokenCLI(t, "list", "--store", dsn, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("list -o json: %v\n%s", err, out)
	}
	if len(rows) != 2 || rows[0]["state"] != "revoked" || rows[1]["state"] != "revoked" || rows[1]["id"] != readerID ||
		rows[1]["role"] != "reader" || rows[1]["expires"] == "" || rows[0]["created_by"] == "" {
		t.Errorf("list -o json after revoking: %v", rows)
	}
	if _, err := a.Authenticate(context.Background(), "Bearer "+reader); err == nil {
		// The authenticator above caches for 5s; a fresh one sees the revocation at once.
		a2, _ := auth.New(auth.Options{Tokens: st, Logger: grpctest.Logger(t)})
		if _, err := a2.Authenticate(context.Background(), "Bearer "+reader); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("revoked token: %v", err)
		}
	}

	// Creating and revoking are audited.
	recs, _, err := st.ListAudit(context.Background(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action+" "+r.Target)
		if strings.Contains(r.Detail, reader[36:]) || strings.Contains(r.Detail, operator[36:]) {
			t.Errorf("audit record holds a secret: %+v", r)
		}
	}
	if len(recs) != 4 || recs[1].Action != "hybridkit token revoke" || recs[1].Target != "token:"+readerID || recs[3].Action != "hybridkit token create" {
		t.Errorf("audit: %q", actions)
	}
}

func TestTokenCLIRefuses(t *testing.T) {
	t.Parallel()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hybridkit.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "want create, list or revoke"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"create", "--store", dsn, "--role", "reader"}, "--name is required"},
		{[]string{"create", "--store", dsn, "--name", "x"}, "--role is required"},
		{[]string{"create", "--store", dsn, "--name", "x", "--role", "admin"}, `role "admin": want reader or operator`},
		{[]string{"create", "--store", dsn, "--name", "x", "--role", "reader", "--expires", "-1h"}, "negative"},
		{[]string{"create", "--store", dsn, "--name", "x", "--role", "reader", "extra"}, "unexpected arguments"},
		{[]string{"list", "--store", dsn, "-o", "xml"}, "want table or json"},
		{[]string{"revoke", "--store", dsn}, "exactly one token ID"},
		{[]string{"revoke", "--store", dsn, "0123456789abcdef0123456789abcdef"}, "no token"},
	} {
		_, _, err := tokenCLI(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("token %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	out, _, err := tokenCLI(t, "list", "--store", dsn)
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("after refusals list = %q, %v; want the header only", out, err)
	}
}

func TestTokenCLIStoreFromEnvironment(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "env.db")
	t.Setenv("HYBRIDKIT_STORE", dsn)
	newCLIToken(t, "", "from env", "reader")
	out, _, err := tokenCLI(t, "list")
	if err != nil || !strings.Contains(out, "from env") {
		t.Errorf("list with HYBRIDKIT_STORE: %q, %v", out, err)
	}
}
