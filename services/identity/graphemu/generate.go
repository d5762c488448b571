package graphemu

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateOptions describes a synthetic tenant. Generation is deterministic for a given value.
type GenerateOptions struct {
	// Users is how many users to create.
	Users int `json:"users"`
	// Seed selects the pseudo-random sequence (names, ids, which users are synced or registered).
	Seed uint64 `json:"seed,omitempty"`
	// SyncedPercent is the share of users synced from on-premises AD (0-100).
	SyncedPercent int `json:"syncedPercent,omitempty"`
	// MFARegisteredPercent is the share of users registered for MFA (0-100).
	MFARegisteredPercent int `json:"mfaRegisteredPercent,omitempty"`
	// SSPRRegisteredPercent is the share of users registered for self-service password reset.
	SSPRRegisteredPercent int `json:"ssprRegisteredPercent,omitempty"`
	// GuestPercent is the share of guest users (never synced).
	GuestPercent int `json:"guestPercent,omitempty"`
	// Admins is how many users (the first ones) hold an admin role.
	Admins int `json:"admins,omitempty"`
	// Domain is the UPN suffix; defaults to the tenant's default verified domain.
	Domain string `json:"domain,omitempty"`
	// Security adds what the admin, SSPR, legacy-authentication and Secure Score checks read:
	// privileged role assignments for the Admins (active, through role-assignable groups and
	// PIM-eligible), their registered methods and per-user MFA states, groups, Conditional
	// Access policies, 90 days of Secure Score and the control profiles (see generateSecurity).
	Security bool `json:"security,omitempty"`
	// GlobalAdmins is how many of the Admins are Global Administrators (default 2 + Admins/20).
	GlobalAdmins int `json:"globalAdmins,omitempty"`
	// SSPRScope is all (the default: every member is enabled for SSPR), selected (the members
	// of an "SSPR Users" group) or none.
	SSPRScope string `json:"ssprScope,omitempty"`
	// SignIns is how many sign-in events to generate over the 30 days before the generation
	// date, a few of them by legacy clients (needs Security).
	SignIns int `json:"signIns,omitempty"`
	// SKU is the licence GenerateTenant gives every user (default SPE_E3, Entra ID P1; SPE_E5
	// adds P2). Fixtures list their own SKUs.
	SKU string `json:"sku,omitempty"`
}

// generatedAt anchors every generated timestamp so fixtures are reproducible.
var generatedAt = time.Date(2025, 6, 2, 8, 30, 0, 0, time.UTC)

// GenerateTenant builds a synthetic hybrid tenant: an organization synced from on-premises AD
// when any users are synced, Microsoft 365 E3 seats for every user, and the requested users with
// their registration details. The app is granted every permission the emulator knows.
func GenerateTenant(id, displayName string, opts GenerateOptions) *Tenant {
	domain := opts.Domain
	if domain == "" {
		domain = strings.ToLower(strings.ReplaceAll(displayName, " ", "")) + ".com"
	}
	initial := strings.TrimSuffix(domain, ".com") + ".onmicrosoft.com"
	t := &Tenant{
		ID:                 id,
		AppID:              "00000000-0000-0000-0000-00000000a11c",
		GrantedPermissions: KnownPermissions(),
		Organization: Organization{
			ID:                id,
			DisplayName:       displayName,
			TenantType:        "AAD",
			CountryLetterCode: "GB",
			PreferredLanguage: "en",
			CreatedDateTime:   ptr(generatedAt.AddDate(-6, 0, 0)),
			VerifiedDomains: []VerifiedDomain{
				{Name: domain, Type: "Managed", IsDefault: true, Capabilities: "Email, OfficeCommunicationsOnline"},
				{Name: initial, Type: "Managed", IsInitial: true, Capabilities: "Email, OfficeCommunicationsOnline"},
			},
			BusinessPhones:             []string{},
			TechnicalNotificationMails: []string{"it@" + domain},
		},
	}
	if opts.SyncedPercent > 0 {
		t.Organization.OnPremisesSyncEnabled = ptr(true)
		t.Organization.OnPremisesLastSyncDateTime = ptr(generatedAt.Add(-17 * time.Minute))
	}
	seats := int64(opts.Users)
	if seats < 25 {
		seats = 25
	}
	part := opts.SKU
	if part == "" {
		part = "SPE_E3"
	}
	sku, err := CatalogSKU(part, seats, int64(opts.Users))
	if err != nil {
		panic(err.Error())
	}
	t.SubscribedSKUs = []SubscribedSKU{sku}
	opts.Domain = domain
	t.Generate = &opts
	if err := t.normalize(); err != nil {
		// normalize only fails on malformed input, which the generator never produces.
		panic(fmt.Sprintf("graphemu: generated tenant is invalid: %v", err))
	}
	return t
}

var (
	givenNames = []string{"Ava", "Ben", "Chloe", "Dev", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jack", "Keira", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Ravi", "Sofia", "Tom", "Una", "Victor", "Wen", "Yusuf", "Zara"}
	surnames   = []string{"Adams", "Brown", "Chen", "Davies", "Evans", "Fischer", "Garcia", "Hughes", "Iqbal", "Jones", "Khan", "Lewis", "Murphy", "Nowak", "Okafor", "Patel", "Quigley", "Roberts", "Singh", "Taylor", "Usman", "Vaughan", "Walsh", "Young", "Zhou"}
	jobTitles  = []string{"Analyst", "Engineer", "Consultant", "Manager", "Designer", "Accountant", "Administrator"}
	offices    = []string{"London", "Leeds", "Dublin", "Remote"}
)

// generateUsers creates n users numbered from offset+1, with matching registration details.
func generateUsers(g GenerateOptions, domain string, offset int) ([]User, []UserRegistrationDetails) {
	if g.Domain != "" {
		domain = g.Domain
	}
	rng := rand.New(rand.NewPCG(g.Seed, 0x9e3779b97f4a7c15))
	dcs := "DC=corp,DC=" + strings.ReplaceAll(domain, ".", ",DC=")
	sidBase := fmt.Sprintf("S-1-5-21-%d-%d-%d", 1000000000+rng.IntN(999999999), 1000000000+rng.IntN(999999999), 1000000000+rng.IntN(999999999))
	users := make([]User, 0, g.Users)
	regs := make([]UserRegistrationDetails, 0, g.Users)
	for i := range g.Users {
		n := offset + i + 1
		given := givenNames[rng.IntN(len(givenNames))]
		sur := surnames[rng.IntN(len(surnames))]
		display := given + " " + sur
		alias := fmt.Sprintf("%s.%s%05d", strings.ToLower(given), strings.ToLower(sur), n)
		guest := rng.IntN(100) < g.GuestPercent
		synced := !guest && rng.IntN(100) < g.SyncedPercent
		id := uuidFrom(rng)
		u := User{
			ID:                id,
			DisplayName:       display,
			GivenName:         ptr(given),
			Surname:           ptr(sur),
			JobTitle:          ptr(jobTitles[rng.IntN(len(jobTitles))]),
			OfficeLocation:    ptr(offices[rng.IntN(len(offices))]),
			PreferredLanguage: ptr("en-GB"),
			BusinessPhones:    []string{},
			AccountEnabled:    ptr(rng.IntN(50) != 0),
			UserType:          "Member",
			CreatedDateTime:   ptr(generatedAt.Add(-time.Duration(rng.IntN(5*365*24)) * time.Hour)),
		}
		if guest {
			ext := strings.ReplaceAll(alias, ".", "_") + "_fabrikam.com#EXT#"
			u.UserPrincipalName = ext + "@" + strings.TrimSuffix(domain, ".com") + ".onmicrosoft.com"
			u.Mail = ptr(alias + "@fabrikam.com")
			u.UserType = "Guest"
		} else {
			u.UserPrincipalName = alias + "@" + domain
			u.Mail = ptr(u.UserPrincipalName)
		}
		if synced {
			sam := strings.ToLower(given[:1]+sur) + fmt.Sprintf("%05d", n)
			if len(sam) > 20 {
				sam = sam[:20]
			}
			u.OnPremisesSyncEnabled = ptr(true)
			u.OnPremisesLastSyncDateTime = ptr(generatedAt.Add(-time.Duration(17+rng.IntN(30)) * time.Minute))
			u.OnPremisesImmutableID = ptr(base64.StdEncoding.EncodeToString(uuidBytes(rng)))
			u.OnPremisesDistinguishedName = ptr(fmt.Sprintf("CN=%s,OU=Users,OU=%s,%s", display, offices[n%len(offices)], dcs))
			u.OnPremisesSamAccountName = ptr(sam)
			u.OnPremisesSecurityIdentifier = ptr(fmt.Sprintf("%s-%d", sidBase, 1100+n))
			u.OnPremisesUserPrincipalName = ptr(alias + "@corp." + domain)
			u.OnPremisesDomainName = ptr("corp." + domain)
		}
		users = append(users, u)

		r := UserRegistrationDetails{
			ID:                  id,
			UserPrincipalName:   u.UserPrincipalName,
			UserDisplayName:     display,
			UserType:            "member",
			IsAdmin:             i < g.Admins,
			IsSsprEnabled:       !guest,
			LastUpdatedDateTime: generatedAt.Add(-time.Duration(rng.IntN(90*24)) * time.Hour),
		}
		if guest {
			r.UserType = "guest"
		}
		if rng.IntN(100) < g.MFARegisteredPercent {
			r.IsMfaRegistered = true
			r.IsMfaCapable = true
			r.MethodsRegistered = append(r.MethodsRegistered, "microsoftAuthenticatorPush", "softwareOneTimePasscode")
			r.IsSystemPreferredAuthenticationMethodEnabled = true
			r.SystemPreferredAuthenticationMethods = []string{"push"}
			r.UserPreferredMethodForSecondaryAuthentication = "push"
			if rng.IntN(4) == 0 {
				r.IsPasswordlessCapable = true
				r.MethodsRegistered = append(r.MethodsRegistered, "microsoftAuthenticatorPasswordless")
			}
		}
		if rng.IntN(100) < g.SSPRRegisteredPercent {
			r.IsSsprRegistered = true
			r.MethodsRegistered = append(r.MethodsRegistered, "mobilePhone")
		}
		r.IsSsprCapable = r.IsSsprEnabled && r.IsSsprRegistered
		regs = append(regs, r)
	}
	return users, regs
}

func uuidBytes(rng *rand.Rand) []byte {
	b := make([]byte, 16)
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

func uuidFrom(rng *rand.Rand) string {
	b := uuidBytes(rng)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func ptr[T any](v T) *T { return &v }
