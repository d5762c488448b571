package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// problemsTenant serves the identity checks' fixture with problems everywhere and returns its
// Graph base URL.
func problemsTenant(t *testing.T) string {
	t.Helper()
	tn, err := graphemu.LoadTenant("../../services/identity/checks/testdata/tenants/problems.json")
	if err != nil {
		t.Fatal(err)
	}
	return graphemu.Start(t, tn).BaseURL()
}

func runIdentityT(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runIdentity(context.Background(), args, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	return stdout.String(), err
}

func TestIdentityLocal(t *testing.T) {
	t.Parallel()
	base := problemsTenant(t)

	t.Run("licences table", func(t *testing.T) {
		t.Parallel()
		out, err := runIdentityT(t, "licences", "--graph-base-url", base)
		if err != nil {
			t.Fatal(err)
		}
		rows := parseFindingsTable(t, out)
		if len(rows) != 2 || rows[0].head != "INFO licences.premium Entra ID P1 is licensed: 13 of 20 premium units assigned" ||
			rows[0].lines[0] != "- SPE_E3 (Enabled): plan AAD_PREMIUM provisioning Success, 13 of 20 units assigned" {
			t.Errorf("table:\n%s", out)
		}
		if r := rows[len(rows)-1]; !strings.HasPrefix(r.head, "LOW licences.no-p2 No Entra ID P2") || !strings.HasPrefix(r.lines[len(r.lines)-1], "Fix: Entra ID P2 (or Microsoft 365 E5)") {
			t.Errorf("no licences.no-p2 with its remediation in:\n%s", out)
		}
	})

	t.Run("admins json", func(t *testing.T) {
		t.Parallel()
		out, err := runIdentityT(t, "admins", "-o", "json", "--graph-base-url", base)
		if err != nil {
			t.Fatal(err)
		}
		var resp identityv1.CheckAdminsResponse
		if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		if got := findingSummary(resp.GetFindings()); got != "admins.no-mfa:CRITICAL,admins.mfa-not-enforced:HIGH,admins.not-phishing-resistant:MEDIUM,"+
			"admins.too-many-global-admins:MEDIUM,admins.synced:HIGH,admins.service-principals:LOW,admins.pim-unavailable:INFO" {
			t.Errorf("findings %s", got)
		}
		if r := resp.GetReport(); r.GetGlobalAdmins() != 5 || len(r.GetAdmins()) != 9 || r.GetAdmins()[0].GetRoles()[0].GetRoleName() != "Global Administrator" {
			t.Errorf("report: %d GAs, %d admins", r.GetGlobalAdmins(), len(r.GetAdmins()))
		}
		// Proto field names, as the tls command prints them.
		if !strings.Contains(out, `"global_admins"`) || !strings.Contains(out, `"mfa_enforced_by"`) {
			t.Errorf("not proto names:\n%.600s", out)
		}
	})

	t.Run("admins table", func(t *testing.T) {
		t.Parallel()
		out, err := runIdentityT(t, "admins", "--graph-base-url", base, "-o", "table")
		if err != nil {
			t.Fatal(err)
		}
		rows := parseFindingsTable(t, out)
		var heads []string
		for _, r := range rows {
			heads = append(heads, r.head)
		}
		want := []string{
			"CRITICAL admins.no-mfa 1 admin in privileged roles has no MFA method registered",
			"HIGH admins.mfa-not-enforced Nothing enforces MFA for 4 admins in privileged roles",
			"MEDIUM admins.not-phishing-resistant 5 admins in privileged roles have no phishing-resistant method",
			"MEDIUM admins.too-many-global-admins 5 Global Administrators: Microsoft recommends fewer than five",
			"HIGH admins.synced 2 admin accounts in privileged roles are synced from on-premises AD",
			"LOW admins.service-principals 1 service principal holds privileged roles: MFA cannot protect them",
			"INFO admins.pim-unavailable PIM-eligible role assignments could not be read: the tenant has no Microsoft Entra ID P2 licence",
		}
		if !slices.Equal(heads, want) {
			t.Errorf("rows:\n got  %q\n want %q", heads, want)
		}
		if len(rows) > 1 && !strings.HasPrefix(rows[1].lines[0], "- ops2@fabrikam.onmicrosoft.com [Global Administrator]; methods: microsoftAuthenticatorPush; MFA enforced by: nothing") {
			t.Errorf("evidence %q", rows[1].lines)
		}
	})

	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		_, err := runIdentityT(t, "score", "--days", "91", "--graph-base-url", base)
		if err == nil || !strings.Contains(err.Error(), "invalid days: must be between 0 (the default) and 90") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestIdentityServer(t *testing.T) {
	t.Parallel()
	cfg := identity.Config{BaseURL: problemsTenant(t), Auth: "auto"}
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return identity.Run(ctx, identity.Options{Config: cfg, Deps: deps, Store: st})
	})
	out, err := runIdentityT(t, "licences", "--server", addr, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var resp identityv1.CheckLicencesResponse
	if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	if got := findingSummary(resp.GetFindings()); got != "licences.premium:INFO,licences.no-p2:LOW" || !resp.GetReport().GetP1() {
		t.Errorf("findings %s, report %v", got, resp.GetReport())
	}
	// The server validates, and its status reaches the user.
	_, err = runIdentityT(t, "legacy", "--server", addr, "--days", "45")
	if err == nil || !strings.Contains(err.Error(), "invalid days") || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Errorf("err = %v", err)
	}
}

func TestIdentityErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no CHECK given"},
		{[]string{"mfa"}, `unknown check "mfa"`},
		{[]string{"admins", "-o", "yaml", "--graph-base-url", "http://127.0.0.1:1/v1.0"}, `-o "yaml"`},
		{[]string{"admins", "extra"}, "unexpected arguments"},
		// No Graph configuration: the service's own answer says what to set.
		{[]string{"licences"}, "--graph-tenant-id"},
	} {
		_, err := runIdentityT(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

type findingRow struct {
	head  string   // severity, id and title, single-spaced
	lines []string // evidence and remediation
}

// parseFindingsTable reads the table back, checking that the header, the columns and the
// indented lines line up.
func parseFindingsTable(t *testing.T, out string) []findingRow {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("table:\n%s", out)
	}
	titleCol := strings.Index(lines[0], "TITLE")
	idCol := strings.Index(lines[0], "ID ")
	if !strings.HasPrefix(lines[0], "SEVERITY  ID") || titleCol < 0 {
		t.Fatalf("header %q", lines[0])
	}
	var rows []findingRow
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " ") {
			if len(rows) == 0 || len(l) <= titleCol || strings.TrimSpace(l[:titleCol]) != "" || l[titleCol] == ' ' {
				t.Fatalf("line not under the title column: %q", l)
			}
			rows[len(rows)-1].lines = append(rows[len(rows)-1].lines, l[titleCol:])
			continue
		}
		if len(l) <= titleCol || l[idCol-1] != ' ' || l[titleCol-1] != ' ' {
			t.Fatalf("row not in columns: %q", l)
		}
		rows = append(rows, findingRow{head: strings.Join(strings.Fields(l[:titleCol]), " ") + " " + l[titleCol:]})
	}
	return rows
}

func findingSummary(fs []*identityv1.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.GetId()+":"+strings.TrimPrefix(f.GetSeverity().String(), "SEVERITY_"))
	}
	return strings.Join(ids, ",")
}
