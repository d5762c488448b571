package graphclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
)

var (
	epRoleAssignments   = endpoint{http.MethodGet, "/roleManagement/directory/roleAssignments", "RoleManagement.Read.Directory"}
	epRoleEligibility   = endpoint{http.MethodGet, "/roleManagement/directory/roleEligibilityScheduleInstances", "RoleManagement.Read.Directory"}
	epGroup             = endpoint{http.MethodGet, "/groups/{id}", "GroupMember.Read.All"}
	epGroupMembers      = endpoint{http.MethodGet, "/groups/{id}/members", "GroupMember.Read.All"}
	epGroupTransitive   = endpoint{http.MethodGet, "/groups/{id}/transitiveMembers", "GroupMember.Read.All"}
	epTransitiveOf      = endpoint{http.MethodGet, "/users/{id}/transitiveMemberOf", "User.Read.All"}
	epPerUserMFA        = endpoint{http.MethodGet, "/beta/users/{id}/authentication/requirements", "Policy.Read.All"}
	epRegistrationsByID = endpoint{http.MethodGet, "/reports/authenticationMethods/userRegistrationDetails/{id}", "AuditLog.Read.All"}
)

// Principal is a directory object that holds a role or belongs to a group: a user, a group or a
// service principal.
type Principal struct {
	ID string
	// Type is user, group, servicePrincipal or another directory object type.
	Type              string
	DisplayName       string
	UserPrincipalName string // users
	UserType          string // users: Member or Guest
	AccountEnabled    *bool
	// OnPremisesSyncEnabled is true for users and groups synchronised from on-premises AD.
	OnPremisesSyncEnabled *bool
	IsAssignableToRole    bool   // groups
	AppID                 string // service principals
}

// Synced reports whether the principal is synchronised from on-premises AD.
func (p Principal) Synced() bool { return p.OnPremisesSyncEnabled != nil && *p.OnPremisesSyncEnabled }

// Name is the principal's user principal name, or its display name.
func (p Principal) Name() string {
	if p.UserPrincipalName != "" {
		return p.UserPrincipalName
	}
	return p.DisplayName
}

func principalFrom(o models.DirectoryObjectable) Principal {
	if o == nil {
		return Principal{}
	}
	p := Principal{ID: deref(o.GetId()), Type: strings.TrimPrefix(deref(o.GetOdataType()), "#microsoft.graph.")}
	switch v := o.(type) {
	case models.Userable:
		p.Type = "user"
		p.DisplayName = deref(v.GetDisplayName())
		p.UserPrincipalName = deref(v.GetUserPrincipalName())
		p.UserType = deref(v.GetUserType())
		p.AccountEnabled = v.GetAccountEnabled()
		p.OnPremisesSyncEnabled = v.GetOnPremisesSyncEnabled()
	case models.Groupable:
		p.Type = "group"
		p.DisplayName = deref(v.GetDisplayName())
		p.OnPremisesSyncEnabled = v.GetOnPremisesSyncEnabled()
		p.IsAssignableToRole = deref(v.GetIsAssignableToRole())
	case models.ServicePrincipalable:
		p.Type = "servicePrincipal"
		p.DisplayName = deref(v.GetDisplayName())
		p.AppID = deref(v.GetAppId())
		p.AccountEnabled = v.GetAccountEnabled()
	}
	return p
}

// RoleAssignment is a directory role held by a principal: active (roleAssignments) or eligible
// through Privileged Identity Management (roleEligibilityScheduleInstances).
type RoleAssignment struct {
	ID               string
	RoleDefinitionID string // the role's template id
	DirectoryScopeID string // "/" for the whole tenant
	PrincipalID      string
	Principal        Principal
	Eligible         bool
	// Start and End bound an eligibility; End is zero for a permanent one.
	Start, End time.Time
}

// RoleAssignments lists the active assignments of one directory role (by template id) with
// their principals expanded. It needs RoleManagement.Read.Directory.
func (c *Client) RoleAssignments(ctx context.Context, roleDefinitionID string) ([]RoleAssignment, error) {
	filter := "roleDefinitionId eq '" + strings.ReplaceAll(roleDefinitionID, "'", "''") + "'"
	cfg := &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
		QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Filter: &filter, Expand: []string{"principal"}},
	}
	b := c.graph.RoleManagement().Directory().RoleAssignments()
	var out []RoleAssignment
	err := eachItem(ctx, c, epRoleAssignments,
		func(ctx context.Context) (models.UnifiedRoleAssignmentCollectionResponseable, error) {
			return b.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.UnifiedRoleAssignmentCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.UnifiedRoleAssignmentable) error {
			out = append(out, RoleAssignment{
				ID: deref(m.GetId()), RoleDefinitionID: deref(m.GetRoleDefinitionId()), DirectoryScopeID: deref(m.GetDirectoryScopeId()),
				PrincipalID: deref(m.GetPrincipalId()), Principal: principalFrom(m.GetPrincipal()),
			})
			return nil
		})
	return out, err
}

// RoleEligibilities lists every PIM-eligible directory role assignment with its principal. It
// needs RoleManagement.Read.Directory and Entra ID P2 ([LicenceError] with Plan "P2" otherwise).
func (c *Client) RoleEligibilities(ctx context.Context) ([]RoleAssignment, error) {
	cfg := &rolemanagement.DirectoryRoleEligibilityScheduleInstancesRequestBuilderGetRequestConfiguration{
		QueryParameters: &rolemanagement.DirectoryRoleEligibilityScheduleInstancesRequestBuilderGetQueryParameters{Expand: []string{"principal"}},
	}
	b := c.graph.RoleManagement().Directory().RoleEligibilityScheduleInstances()
	var out []RoleAssignment
	err := eachItem(ctx, c, epRoleEligibility,
		func(ctx context.Context) (models.UnifiedRoleEligibilityScheduleInstanceCollectionResponseable, error) {
			return b.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.UnifiedRoleEligibilityScheduleInstanceCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.UnifiedRoleEligibilityScheduleInstanceable) error {
			a := RoleAssignment{
				ID: deref(m.GetId()), RoleDefinitionID: deref(m.GetRoleDefinitionId()), DirectoryScopeID: deref(m.GetDirectoryScopeId()),
				PrincipalID: deref(m.GetPrincipalId()), Principal: principalFrom(m.GetPrincipal()), Eligible: true,
			}
			if t := m.GetStartDateTime(); t != nil {
				a.Start = t.UTC()
			}
			if t := m.GetEndDateTime(); t != nil {
				a.End = t.UTC()
			}
			out = append(out, a)
			return nil
		})
	return out, err
}

var memberSelect = []string{"id", "displayName", "userPrincipalName", "userType", "accountEnabled", "onPremisesSyncEnabled", "isAssignableToRole", "appId"}

// GroupMembers lists a group's members, direct or transitive (members of nested groups too,
// and the nested groups themselves). It needs GroupMember.Read.All.
func (c *Client) GroupMembers(ctx context.Context, groupID string, transitive bool, fn func(Principal) error) error {
	top := int32(999)
	g := c.graph.Groups().ByGroupId(groupID)
	if transitive {
		cfg := &groups.ItemTransitiveMembersRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.ItemTransitiveMembersRequestBuilderGetQueryParameters{Select: memberSelect, Top: &top},
		}
		return eachItem(ctx, c, epGroupTransitive,
			func(ctx context.Context) (models.DirectoryObjectCollectionResponseable, error) {
				return g.TransitiveMembers().Get(ctx, cfg)
			},
			func(ctx context.Context, link string) (models.DirectoryObjectCollectionResponseable, error) {
				return g.TransitiveMembers().WithUrl(link).Get(ctx, nil)
			},
			func(m models.DirectoryObjectable) error { return fn(principalFrom(m)) })
	}
	cfg := &groups.ItemMembersRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: memberSelect, Top: &top},
	}
	return eachItem(ctx, c, epGroupMembers,
		func(ctx context.Context) (models.DirectoryObjectCollectionResponseable, error) {
			return g.Members().Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.DirectoryObjectCollectionResponseable, error) {
			return g.Members().WithUrl(link).Get(ctx, nil)
		},
		func(m models.DirectoryObjectable) error { return fn(principalFrom(m)) })
}

// GroupRef is a group a user belongs to.
type GroupRef struct {
	ID, DisplayName    string
	IsAssignableToRole bool
}

type directoryObjectJSON struct {
	ODataType          string `json:"@odata.type"`
	ID                 string `json:"id"`
	DisplayName        string `json:"displayName"`
	IsAssignableToRole *bool  `json:"isAssignableToRole"`
}

type directoryObjectPage struct {
	NextLink string                `json:"@odata.nextLink"`
	Value    []directoryObjectJSON `json:"value"`
}

// TransitiveMemberOf returns the groups each user belongs to, directly or through nested groups,
// by user id. Users are asked in $batch requests of 20 within the concurrency bound; a user
// Graph no longer knows is left out. It needs User.Read.All (or GroupMember.Read.All).
func (c *Client) TransitiveMemberOf(ctx context.Context, userIDs []string) (map[string][]GroupRef, error) {
	calls := make([]batchCall, len(userIDs))
	for i, id := range userIDs {
		calls[i] = batchCall{url: "/users/" + url.PathEscape(id) + "/transitiveMemberOf?$select=id,displayName,isAssignableToRole&$top=999", ep: epTransitiveOf}
	}
	results, err := c.batch(ctx, "v1.0", calls)
	if err != nil {
		return nil, err
	}
	if err := firstRefusal(results); err != nil {
		return nil, err
	}
	out := make(map[string][]GroupRef, len(userIDs))
	for i, r := range results {
		if r.status == http.StatusNotFound {
			continue
		}
		if r.err != nil {
			return nil, r.err
		}
		groups := []GroupRef{}
		body := r.body
		for pages := 0; ; pages++ {
			var page directoryObjectPage
			if err := decodeJSON(body, &page); err != nil {
				return nil, fmt.Errorf("Graph %s: %w", epTransitiveOf, err)
			}
			for _, o := range page.Value {
				if o.ODataType == "#microsoft.graph.group" {
					groups = append(groups, GroupRef{ID: o.ID, DisplayName: o.DisplayName, IsAssignableToRole: deref(o.IsAssignableToRole)})
				}
			}
			if page.NextLink == "" {
				break
			}
			if pages >= maxPages {
				return nil, fmt.Errorf("Graph %s: paging did not end after %d pages", epTransitiveOf, pages)
			}
			if body, err = c.raw(ctx, epTransitiveOf, abstractions.GET, page.NextLink, nil); err != nil {
				return nil, err
			}
		}
		out[userIDs[i]] = groups
	}
	return out, nil
}

// Groups reads groups by id (their display names and whether they are role-assignable), in
// $batch requests of 20; a group Graph no longer knows is left out. It needs
// GroupMember.Read.All.
func (c *Client) Groups(ctx context.Context, groupIDs []string) (map[string]GroupRef, error) {
	calls := make([]batchCall, len(groupIDs))
	for i, id := range groupIDs {
		calls[i] = batchCall{url: "/groups/" + url.PathEscape(id) + "?$select=id,displayName,isAssignableToRole", ep: epGroup}
	}
	results, err := c.batch(ctx, "v1.0", calls)
	if err != nil {
		return nil, err
	}
	if err := firstRefusal(results); err != nil {
		return nil, err
	}
	out := make(map[string]GroupRef, len(groupIDs))
	for i, r := range results {
		if r.status == http.StatusNotFound {
			continue
		}
		if r.err != nil {
			return nil, r.err
		}
		var o directoryObjectJSON
		if err := decodeJSON(r.body, &o); err != nil {
			return nil, fmt.Errorf("Graph %s: %w", epGroup, err)
		}
		out[groupIDs[i]] = GroupRef{ID: o.ID, DisplayName: o.DisplayName, IsAssignableToRole: deref(o.IsAssignableToRole)}
	}
	return out, nil
}

// PerUserMFAStates returns each user's legacy per-user MFA state (disabled, enabled or
// enforced) by user id, from the beta GET /users/{id}/authentication/requirements, one request
// per user sent in beta $batch requests of 20. A user Graph no longer knows is left out. It
// needs Policy.Read.All.
func (c *Client) PerUserMFAStates(ctx context.Context, userIDs []string) (map[string]string, error) {
	calls := make([]batchCall, len(userIDs))
	for i, id := range userIDs {
		calls[i] = batchCall{url: "/users/" + url.PathEscape(id) + "/authentication/requirements", ep: epPerUserMFA}
	}
	results, err := c.batch(ctx, "beta", calls)
	if err != nil {
		return nil, err
	}
	if err := firstRefusal(results); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(userIDs))
	for i, r := range results {
		if r.status == http.StatusNotFound {
			continue
		}
		if r.err != nil {
			return nil, r.err
		}
		var req struct {
			PerUserMfaState string `json:"perUserMfaState"`
		}
		if err := decodeJSON(r.body, &req); err != nil {
			return nil, fmt.Errorf("Graph %s: %w", epPerUserMFA, err)
		}
		out[userIDs[i]] = req.PerUserMfaState
	}
	return out, nil
}

// UserRegistrationsByID reads the registration details of the given users in $batch requests
// of 20; a user without a record is left out. Like [Client.ListUserRegistrations] it needs
// AuditLog.Read.All and Entra ID P1 or P2.
func (c *Client) UserRegistrationsByID(ctx context.Context, userIDs []string) (map[string]UserRegistration, error) {
	calls := make([]batchCall, len(userIDs))
	for i, id := range userIDs {
		calls[i] = batchCall{url: "/reports/authenticationMethods/userRegistrationDetails/" + url.PathEscape(id), ep: epRegistrationsByID}
	}
	results, err := c.batch(ctx, "v1.0", calls)
	if err != nil {
		return nil, err
	}
	if err := firstRefusal(results); err != nil {
		return nil, err
	}
	out := make(map[string]UserRegistration, len(userIDs))
	for i, r := range results {
		if r.status == http.StatusNotFound {
			continue
		}
		if r.err != nil {
			return nil, r.err
		}
		var j registrationJSON
		if err := decodeJSON(r.body, &j); err != nil {
			return nil, fmt.Errorf("Graph %s: %w", epRegistrationsByID, err)
		}
		out[userIDs[i]] = j.registration()
	}
	return out, nil
}

type registrationJSON struct {
	ID                    string    `json:"id"`
	UserPrincipalName     string    `json:"userPrincipalName"`
	UserDisplayName       string    `json:"userDisplayName"`
	UserType              string    `json:"userType"`
	IsAdmin               bool      `json:"isAdmin"`
	IsMfaRegistered       bool      `json:"isMfaRegistered"`
	IsMfaCapable          bool      `json:"isMfaCapable"`
	IsPasswordlessCapable bool      `json:"isPasswordlessCapable"`
	IsSsprRegistered      bool      `json:"isSsprRegistered"`
	IsSsprEnabled         bool      `json:"isSsprEnabled"`
	IsSsprCapable         bool      `json:"isSsprCapable"`
	MethodsRegistered     []string  `json:"methodsRegistered"`
	LastUpdatedDateTime   time.Time `json:"lastUpdatedDateTime"`
}

func (j registrationJSON) registration() UserRegistration {
	return UserRegistration{
		ID: j.ID, UserPrincipalName: j.UserPrincipalName, UserDisplayName: j.UserDisplayName, UserType: j.UserType,
		IsAdmin: j.IsAdmin, IsMfaRegistered: j.IsMfaRegistered, IsMfaCapable: j.IsMfaCapable, IsPasswordlessCapable: j.IsPasswordlessCapable,
		IsSsprRegistered: j.IsSsprRegistered, IsSsprEnabled: j.IsSsprEnabled, IsSsprCapable: j.IsSsprCapable,
		MethodsRegistered: j.MethodsRegistered, LastUpdated: j.LastUpdatedDateTime.UTC(),
	}
}
