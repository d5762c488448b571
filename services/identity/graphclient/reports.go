package graphclient

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// UserRegistration is a user's authentication-method registration state, from the
// userRegistrationDetails report.
type UserRegistration struct {
	ID                    string
	UserPrincipalName     string
	UserDisplayName       string
	UserType              string // member or guest
	IsAdmin               bool
	IsMfaRegistered       bool
	IsMfaCapable          bool
	IsPasswordlessCapable bool
	IsSsprRegistered      bool
	IsSsprEnabled         bool
	IsSsprCapable         bool
	MethodsRegistered     []string
	LastUpdated           time.Time
}

// ListUserRegistrations calls fn for every user's registration details, page by page (999 a
// page: the report is throttled to a few requests a second). The report needs the
// AuditLog.Read.All application permission and an Entra ID P1 or P2 licence ([LicenceError]
// otherwise).
func (c *Client) ListUserRegistrations(ctx context.Context, fn func(UserRegistration) error) error {
	return c.ListUserRegistrationsWhere(ctx, "", fn)
}

func registrationFrom(m models.UserRegistrationDetailsable) UserRegistration {
	r := UserRegistration{
		ID:                    deref(m.GetId()),
		UserPrincipalName:     deref(m.GetUserPrincipalName()),
		UserDisplayName:       deref(m.GetUserDisplayName()),
		IsAdmin:               deref(m.GetIsAdmin()),
		IsMfaRegistered:       deref(m.GetIsMfaRegistered()),
		IsMfaCapable:          deref(m.GetIsMfaCapable()),
		IsPasswordlessCapable: deref(m.GetIsPasswordlessCapable()),
		IsSsprRegistered:      deref(m.GetIsSsprRegistered()),
		IsSsprEnabled:         deref(m.GetIsSsprEnabled()),
		IsSsprCapable:         deref(m.GetIsSsprCapable()),
		MethodsRegistered:     m.GetMethodsRegistered(),
	}
	if t := m.GetUserType(); t != nil {
		r.UserType = t.String()
	}
	if t := m.GetLastUpdatedDateTime(); t != nil {
		r.LastUpdated = t.UTC()
	}
	return r
}
