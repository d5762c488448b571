package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// TestWritebackReadinessThroughServe runs CheckWritebackReadiness through the real `hybridkit
// serve`: the identity service reads an emulated tenant whose synced users are the Samba seed's,
// and calls the in-process directory service (wired by serve) with the caller's reader token.
// Not parallel: it shares the DC with the tests that change DACLs.
func TestWritebackReadinessThroughServe(t *testing.T) {
	d := dcFromEnv(t)
	tn := graphemu.SampleTenant()
	lastSync := time.Now().Add(-10 * time.Minute)
	tn.Organization.OnPremisesLastSyncDateTime = &lastSync
	str := func(s string) *string { return &s }
	yes := true
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	// Joined by DN (no SID in Entra), except Administrator (RID 500) and an unknown SID.
	seeded := []struct{ upn, dn, sid string }{
		{"alice.archer@hybrid.test", d.dn("CN=Alice Archer,OU=Staff"), ""},
		{"erin.evans@hybrid.test", d.dn("CN=Erin Evans,OU=Staff"), ""},
		{"grace.green@hybrid.test", d.dn("CN=Grace Green,OU=Staff"), ""},
		{"dave.doyle@hybrid.test", d.dn("CN=Dave Doyle,OU=Staff"), ""},
		{"administrator@hybrid.test", d.dn("CN=Administrator,CN=Users"), d.domainSID + "-500"},
		{"ghost@hybrid.test", d.dn("CN=Ghost,OU=Staff"), d.domainSID + "-987654"},
	}
	var users []graphemu.User
	for i, s := range seeded {
		u := graphemu.User{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), UserPrincipalName: s.upn, DisplayName: s.upn,
			AccountEnabled: &yes, UserType: "Member", CreatedDateTime: &created,
			OnPremisesSyncEnabled: &yes, OnPremisesLastSyncDateTime: &lastSync,
			OnPremisesDistinguishedName: str(s.dn),
		}
		if s.sid != "" {
			u.OnPremisesSecurityIdentifier = str(s.sid)
		}
		users = append(users, u)
	}
	tn.Users = append(tn.Users, users...)
	for _, u := range users {
		tn.UserRegistrationDetails = append(tn.UserRegistrationDetails, graphemu.UserRegistrationDetails{
			ID: u.ID, UserPrincipalName: u.UserPrincipalName, UserDisplayName: u.DisplayName, UserType: "member",
			IsSsprEnabled: true, IsSsprRegistered: true, IsSsprCapable: true,
		})
	}
	// The sample tenant's own synced users (Adele, Alex) are SSPR-enabled too but not in this
	// AD: they must come back as not found.
	p := startServe(t, "--directory-ldap-url", d.url, "--directory-ldap-ca-file", d.ca, "--directory-ldap-server-name", d.serverName,
		"--directory-ldap-bind-dn", d.bindDN, "--directory-ldap-password", d.password,
		"--identity-graph-base-url", graphemu.Start(t, tn).BaseURL())
	code, out := httpDoAs(t, p.reader, "GET", "http://"+p.gateway+"/v1/checks/writebackReadiness", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/checks/writebackReadiness: %d %v", code, out)
	}
	num := func(key string) float64 { f, _ := dig(out, "report", key).(float64); return f }
	if dig(out, "report", "directory_checked") != true {
		t.Fatalf("directory not checked: %v", dig(out, "report", "directory_unavailable"))
	}
	if c, _ := dig(out, "report", "connector").(string); !strings.Contains(c, "MSOL_0123456789ab") {
		t.Errorf("connector %q", c)
	}
	if num("candidates") != 8 || num("works") != 1 || num("fails") != 4 || num("not_found") != 3 {
		t.Errorf("counts: candidates %v works %v fails %v not found %v", num("candidates"), num("works"), num("fails"), num("not_found"))
	}
	want := map[string]string{
		"alice.archer@hybrid.test":  "",
		"erin.evans@hybrid.test":    "WRITEBACK_VERDICT_REASON_EXPLICIT_DENY",
		"grace.green@hybrid.test":   "WRITEBACK_VERDICT_REASON_ADMIN_SD_HOLDER",
		"dave.doyle@hybrid.test":    "WRITEBACK_VERDICT_REASON_PROTECTED_DACL",
		"administrator@hybrid.test": "WRITEBACK_VERDICT_REASON_ADMIN_SD_HOLDER",
		"ghost@hybrid.test":         "WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD",
		"adele.vance@contoso.com":   "WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD",
		"alex.wilber@contoso.com":   "WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD",
	}
	list, _ := dig(out, "report", "users").([]any)
	seen := 0
	for _, v := range list {
		upn, _ := dig(v, "user_principal_name").(string)
		reason, _ := dig(v, "reason").(string)
		if reason == "WRITEBACK_VERDICT_REASON_UNSPECIFIED" {
			reason = ""
		}
		w, ok := want[upn]
		if !ok {
			t.Errorf("unexpected user %s", upn)
			continue
		}
		seen++
		if reason != w || (w == "") != (dig(v, "works") == true) {
			t.Errorf("%s: reason %q works %v, want %q (%v)", upn, reason, dig(v, "works"), w, dig(v, "detail"))
		}
	}
	if seen != len(want) {
		t.Errorf("%d users listed, want %d: %v", seen, len(want), list)
	}
	var ids []string
	fs, _ := dig(out, "findings").([]any)
	for _, f := range fs {
		id, _ := dig(f, "id").(string)
		ids = append(ids, id)
	}
	if got := strings.Join(ids, ","); !strings.Contains(got, "writeback.users-will-fail") || strings.Contains(got, "writeback.directory-unavailable") ||
		strings.Contains(got, "writeback.sync-stale") {
		t.Errorf("findings %s", got)
	}
}
