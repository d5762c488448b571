package graphclient

import (
	"context"
	"fmt"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// SyncStatus is the tenant's directory synchronisation (Entra Connect or Cloud Sync) as the
// organization object reports it.
type SyncStatus struct {
	TenantID    string
	DisplayName string
	// Enabled is onPremisesSyncEnabled == true. Graph reports null for a tenant that has never
	// synced (and false once sync has been switched off).
	Enabled bool
	// LastSync is onPremisesLastSyncDateTime; zero when Graph reports none.
	LastSync time.Time
}

// SyncStatus reads whether the tenant is synchronised from on-premises AD and when it last
// synced. It needs the Organization.Read.All application permission.
func (c *Client) SyncStatus(ctx context.Context) (*SyncStatus, error) {
	cfg := &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "onPremisesSyncEnabled", "onPremisesLastSyncDateTime"},
		},
	}
	var orgs []models.Organizationable
	err := eachItem(ctx, c, epOrganization,
		func(ctx context.Context) (models.OrganizationCollectionResponseable, error) {
			return c.graph.Organization().Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.OrganizationCollectionResponseable, error) {
			return c.graph.Organization().WithUrl(link).Get(ctx, nil)
		},
		func(o models.Organizationable) error { orgs = append(orgs, o); return nil })
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("Graph %s returned no organization", epOrganization)
	}
	o := orgs[0]
	st := &SyncStatus{
		TenantID:    deref(o.GetId()),
		DisplayName: deref(o.GetDisplayName()),
		Enabled:     deref(o.GetOnPremisesSyncEnabled()),
	}
	if t := o.GetOnPremisesLastSyncDateTime(); t != nil {
		st.LastSync = t.UTC()
	}
	return st, nil
}

// User is a directory user with the properties that join it to its on-premises AD object.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	Mail              string
	UserType          string // Member or Guest
	AccountEnabled    bool
	// OnPremisesSyncEnabled is nil for a cloud-only user, true while synced, false for a user
	// once synced and since converted to cloud-only.
	OnPremisesSyncEnabled        *bool
	OnPremisesImmutableID        string
	OnPremisesDistinguishedName  string
	OnPremisesSamAccountName     string
	OnPremisesSecurityIdentifier string
	OnPremisesUserPrincipalName  string
	OnPremisesDomainName         string
	OnPremisesLastSync           time.Time
}

// Synced reports whether the user is currently synchronised from on-premises AD.
func (u User) Synced() bool { return u.OnPremisesSyncEnabled != nil && *u.OnPremisesSyncEnabled }

var userSelect = []string{
	"id", "userPrincipalName", "displayName", "mail", "userType", "accountEnabled",
	"onPremisesSyncEnabled", "onPremisesImmutableId", "onPremisesDistinguishedName",
	"onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesUserPrincipalName",
	"onPremisesDomainName", "onPremisesLastSyncDateTime",
}

// usersPageSize is Graph's largest page for users; fewer, larger pages cost less throttling
// budget than many small ones.
const usersPageSize = 999

// ListUsers calls fn for every user in the tenant, page by page; an error from fn stops the
// listing and is returned. It needs the User.Read.All application permission.
func (c *Client) ListUsers(ctx context.Context, fn func(User) error) error {
	top := int32(usersPageSize)
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: userSelect, Top: &top},
	}
	return eachItem(ctx, c, epUsers,
		func(ctx context.Context) (models.UserCollectionResponseable, error) {
			return c.graph.Users().Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.UserCollectionResponseable, error) {
			return c.graph.Users().WithUrl(link).Get(ctx, nil)
		},
		func(m models.Userable) error { return fn(userFrom(m)) })
}

func userFrom(m models.Userable) User {
	u := User{
		ID:                           deref(m.GetId()),
		UserPrincipalName:            deref(m.GetUserPrincipalName()),
		DisplayName:                  deref(m.GetDisplayName()),
		Mail:                         deref(m.GetMail()),
		UserType:                     deref(m.GetUserType()),
		AccountEnabled:               deref(m.GetAccountEnabled()),
		OnPremisesSyncEnabled:        m.GetOnPremisesSyncEnabled(),
		OnPremisesImmutableID:        deref(m.GetOnPremisesImmutableId()),
		OnPremisesDistinguishedName:  deref(m.GetOnPremisesDistinguishedName()),
		OnPremisesSamAccountName:     deref(m.GetOnPremisesSamAccountName()),
		OnPremisesSecurityIdentifier: deref(m.GetOnPremisesSecurityIdentifier()),
		OnPremisesUserPrincipalName:  deref(m.GetOnPremisesUserPrincipalName()),
		OnPremisesDomainName:         deref(m.GetOnPremisesDomainName()),
	}
	if t := m.GetOnPremisesLastSyncDateTime(); t != nil {
		u.OnPremisesLastSync = t.UTC()
	}
	return u
}
