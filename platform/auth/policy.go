package auth

import (
	"maps"
	"slices"
)

// Rule is the access rule of one RPC.
type Rule struct {
	// Role is the least role that may call the method.
	Role Role
	// Write marks methods that change state (Active Directory, or hybridkit's own store): every
	// call of them is recorded in the audit log, whatever its outcome.
	Write bool
}

// Policy maps full method names ("/package.Service/Method") to their rules. A method that is not
// in the policy is refused to everyone: a new RPC must be classified here before anyone can call
// it.
type Policy map[string]Rule

// Methods returns the policy's methods, sorted.
func (p Policy) Methods() []string { return slices.Sorted(maps.Keys(p)) }

// The services' full names.
const (
	identityService    = "/hybridkit.identity.v1.IdentityService/"
	directoryService   = "/hybridkit.directory.v1.DirectoryService/"
	tlsanalysisService = "/hybridkit.tlsanalysis.v1.TlsAnalysisService/"
)

// The rules the policy is made of.
var (
	// ruleRead: reads, analyses and assessments that change nothing.
	ruleRead = Rule{Role: RoleReader}
	// ruleStore: analyses that write only hybridkit's own store; audited.
	ruleStore = Rule{Role: RoleReader, Write: true}
	// ruleOperator: anything that writes outside hybridkit's own store, such as the directory
	// service's grant, restore and revoke; audited.
	ruleOperator = Rule{Role: RoleOperator, Write: true}
)

// DefaultPolicy returns hybridkit's policy: every RPC of the identity, directory and tlsanalysis
// services and server reflection. A test walks every registered method against it.
func DefaultPolicy() Policy {
	return Policy{
		identityService + "CheckLicences":             ruleRead,
		identityService + "CheckSync":                 ruleRead,
		identityService + "CheckSspr":                 ruleRead,
		identityService + "CheckAdmins":               ruleRead,
		identityService + "CheckLegacyAuthentication": ruleRead,
		identityService + "CheckSecureScore":          ruleRead,
		identityService + "CheckWritebackReadiness":   ruleRead,

		directoryService + "DecodeSecurityDescriptor": ruleRead,
		directoryService + "ListConnectorAccounts":    ruleRead,
		directoryService + "AuditScope":               ruleRead,
		directoryService + "CheckUsers":               ruleRead,
		directoryService + "GetCoverage":              ruleRead,
		directoryService + "GrantWriteback":           ruleOperator,
		directoryService + "RevokeWriteback":          ruleOperator,
		directoryService + "RestoreBackup":            ruleOperator,
		directoryService + "ListBackups":              ruleRead,
		directoryService + "GetBackup":                ruleRead,

		tlsanalysisService + "UploadLogs":     ruleStore,
		tlsanalysisService + "GetAnalysis":    ruleRead,
		tlsanalysisService + "ListAnalyses":   ruleRead,
		tlsanalysisService + "CreateAnalysis": ruleStore,
		tlsanalysisService + "GetOperation":   ruleRead,
		tlsanalysisService + "ExportAnalysis": ruleRead,

		// Reflection describes the APIs (grpcurl list/describe); it reveals no data.
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      ruleRead,
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": ruleRead,
	}
}
