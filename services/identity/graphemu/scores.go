package graphemu

import "time"

// SignIn is Graph's signIn resource (GET /auditLogs/signIns), the subset the emulator serves.
type SignIn struct {
	ID                               string          `json:"id"`
	CreatedDateTime                  time.Time       `json:"createdDateTime"`
	UserDisplayName                  string          `json:"userDisplayName"`
	UserPrincipalName                string          `json:"userPrincipalName"`
	UserID                           string          `json:"userId"`
	AppID                            string          `json:"appId"`
	AppDisplayName                   string          `json:"appDisplayName"`
	IPAddress                        string          `json:"ipAddress"`
	ClientAppUsed                    string          `json:"clientAppUsed"`
	CorrelationID                    string          `json:"correlationId"`
	ConditionalAccessStatus          string          `json:"conditionalAccessStatus"` // success, failure, notApplied
	IsInteractive                    bool            `json:"isInteractive"`
	RiskDetail                       string          `json:"riskDetail"`
	RiskLevelAggregated              string          `json:"riskLevelAggregated"`
	RiskLevelDuringSignIn            string          `json:"riskLevelDuringSignIn"`
	RiskState                        string          `json:"riskState"`
	RiskEventTypesV2                 []string        `json:"riskEventTypes_v2"`
	ResourceDisplayName              string          `json:"resourceDisplayName"`
	ResourceID                       string          `json:"resourceId"`
	Status                           SignInStatus    `json:"status"`
	DeviceDetail                     DeviceDetail    `json:"deviceDetail"`
	Location                         SignInLocation  `json:"location"`
	AppliedConditionalAccessPolicies []AppliedPolicy `json:"appliedConditionalAccessPolicies"`
}

// SignInStatus is Graph's signInStatus: errorCode 0 is a successful sign-in.
type SignInStatus struct {
	ErrorCode         int     `json:"errorCode"`
	FailureReason     *string `json:"failureReason"`
	AdditionalDetails *string `json:"additionalDetails"`
}

// DeviceDetail is Graph's deviceDetail.
type DeviceDetail struct {
	DeviceID        string `json:"deviceId"`
	DisplayName     string `json:"displayName"`
	OperatingSystem string `json:"operatingSystem"`
	Browser         string `json:"browser"`
	IsCompliant     bool   `json:"isCompliant"`
	IsManaged       bool   `json:"isManaged"`
	TrustType       string `json:"trustType"`
}

// SignInLocation is Graph's signInLocation.
type SignInLocation struct {
	City            string `json:"city"`
	State           string `json:"state"`
	CountryOrRegion string `json:"countryOrRegion"`
}

// AppliedPolicy is Graph's appliedConditionalAccessPolicy.
type AppliedPolicy struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Result      string `json:"result"`
}

func (s *SignIn) normalize() {
	if s.RiskDetail == "" {
		s.RiskDetail = "none"
	}
	if s.RiskLevelAggregated == "" {
		s.RiskLevelAggregated = "none"
	}
	if s.RiskLevelDuringSignIn == "" {
		s.RiskLevelDuringSignIn = "none"
	}
	if s.RiskState == "" {
		s.RiskState = "none"
	}
	if s.ConditionalAccessStatus == "" {
		s.ConditionalAccessStatus = "notApplied"
	}
	if s.RiskEventTypesV2 == nil {
		s.RiskEventTypesV2 = []string{}
	}
	if s.AppliedConditionalAccessPolicies == nil {
		s.AppliedConditionalAccessPolicies = []AppliedPolicy{}
	}
}

// SecureScore is Graph's secureScore: one daily snapshot.
type SecureScore struct {
	ID                       string                    `json:"id"`
	AzureTenantID            string                    `json:"azureTenantId"`
	ActiveUserCount          int                       `json:"activeUserCount"`
	CreatedDateTime          time.Time                 `json:"createdDateTime"`
	CurrentScore             float64                   `json:"currentScore"`
	EnabledServices          []string                  `json:"enabledServices"`
	LicensedUserCount        int                       `json:"licensedUserCount"`
	MaxScore                 float64                   `json:"maxScore"`
	AverageComparativeScores []AverageComparativeScore `json:"averageComparativeScores"`
	ControlScores            []ControlScore            `json:"controlScores"`
	VendorInformation        VendorInformation         `json:"vendorInformation"`
}

// AverageComparativeScore is Graph's averageComparativeScore (basis AllTenants, TotalSeats,
// IndustryTypes).
type AverageComparativeScore struct {
	Basis        string  `json:"basis"`
	AverageScore float64 `json:"averageScore"`
}

// ControlScore is Graph's controlScore; Graph adds a few open properties, served as such.
type ControlScore struct {
	ControlCategory      string  `json:"controlCategory"`
	ControlName          string  `json:"controlName"`
	Description          string  `json:"description"`
	Score                float64 `json:"score"`
	ScoreInPercentage    float64 `json:"scoreInPercentage"`
	ImplementationStatus string  `json:"implementationStatus"`
	LastSynced           string  `json:"lastSynced"`
}

// VendorInformation is Graph's securityVendorInformation.
type VendorInformation struct {
	Provider        string  `json:"provider"`
	ProviderVersion *string `json:"providerVersion"`
	SubProvider     *string `json:"subProvider"`
	Vendor          string  `json:"vendor"`
}

// SecureScoreControlProfile is Graph's secureScoreControlProfile: one improvement action.
type SecureScoreControlProfile struct {
	ID                    string               `json:"id"`
	AzureTenantID         string               `json:"azureTenantId"`
	ActionType            string               `json:"actionType"`
	ActionURL             string               `json:"actionUrl"`
	ControlCategory       string               `json:"controlCategory"` // Identity, Data, Device, Apps, Infrastructure
	Title                 string               `json:"title"`
	ComplianceInformation []any                `json:"complianceInformation"`
	ControlStateUpdates   []ControlStateUpdate `json:"controlStateUpdates"`
	Deprecated            bool                 `json:"deprecated"`
	ImplementationCost    string               `json:"implementationCost"` // Low, Moderate, High
	LastModifiedDateTime  *time.Time           `json:"lastModifiedDateTime"`
	MaxScore              float64              `json:"maxScore"`
	Rank                  int                  `json:"rank"`
	Remediation           string               `json:"remediation"`
	RemediationImpact     string               `json:"remediationImpact"`
	Service               string               `json:"service"`
	Threats               []string             `json:"threats"`
	Tier                  string               `json:"tier"`
	UserImpact            string               `json:"userImpact"` // Low, Moderate, High
	VendorInformation     VendorInformation    `json:"vendorInformation"`
}

// ControlStateUpdate is Graph's secureScoreControlStateUpdate.
type ControlStateUpdate struct {
	AssignedTo      string     `json:"assignedTo"`
	Comment         string     `json:"comment"`
	State           string     `json:"state"` // Default, Ignored, ThirdParty, Reviewed
	UpdatedBy       string     `json:"updatedBy"`
	UpdatedDateTime *time.Time `json:"updatedDateTime"`
}

var secureScoreVendor = VendorInformation{Provider: "SecureScore", Vendor: "Microsoft"}
