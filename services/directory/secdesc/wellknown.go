package secdesc

// Well-known SIDs the audit and grant code refer to by name (MS-DTYP 2.4.2.4).
var (
	SIDNull                           = mustSID(0, 0)
	SIDEveryone                       = mustSID(1, 0)
	SIDCreatorOwner                   = mustSID(3, 0)
	SIDCreatorGroup                   = mustSID(3, 1)
	SIDOwnerRights                    = mustSID(3, 4)
	SIDNetwork                        = mustSID(5, 2)
	SIDInteractive                    = mustSID(5, 4)
	SIDService                        = mustSID(5, 6)
	SIDAnonymous                      = mustSID(5, 7)
	SIDEnterpriseDomainControllers    = mustSID(5, 9)
	SIDPrincipalSelf                  = mustSID(5, 10)
	SIDAuthenticatedUsers             = mustSID(5, 11)
	SIDLocalSystem                    = mustSID(5, 18)
	SIDBuiltinAdministrators          = mustSID(5, 32, 544)
	SIDBuiltinUsers                   = mustSID(5, 32, 545)
	SIDAccountOperators               = mustSID(5, 32, 548)
	SIDServerOperators                = mustSID(5, 32, 549)
	SIDPrintOperators                 = mustSID(5, 32, 550)
	SIDBackupOperators                = mustSID(5, 32, 551)
	SIDPreWindows2000CompatibleAccess = mustSID(5, 32, 554)
	SIDWindowsAuthorizationAccess     = mustSID(5, 32, 560)
)

// Relative identifiers of well-known accounts and groups inside an AD domain
// (S-1-5-21-a-b-c-RID).
const (
	RIDEnterpriseReadOnlyDomainControllers uint32 = 498
	RIDAdministrator                       uint32 = 500
	RIDGuest                               uint32 = 501
	RIDKrbtgt                              uint32 = 502
	RIDDomainAdmins                        uint32 = 512
	RIDDomainUsers                         uint32 = 513
	RIDDomainGuests                        uint32 = 514
	RIDDomainComputers                     uint32 = 515
	RIDDomainControllers                   uint32 = 516
	RIDCertPublishers                      uint32 = 517
	RIDSchemaAdmins                        uint32 = 518
	RIDEnterpriseAdmins                    uint32 = 519
	RIDGroupPolicyCreatorOwners            uint32 = 520
	RIDReadOnlyDomainControllers           uint32 = 521
	RIDCloneableDomainControllers          uint32 = 522
	RIDProtectedUsers                      uint32 = 525
	RIDKeyAdmins                           uint32 = 526
	RIDEnterpriseKeyAdmins                 uint32 = 527
	RIDRASAndIASServers                    uint32 = 553
	RIDAllowedRODCPasswordReplication      uint32 = 571
	RIDDeniedRODCPasswordReplication       uint32 = 572
)

// fixedSIDNames names SIDs that are the same in every domain.
var fixedSIDNames = map[SID]string{
	mustSID(0, 0):                 "Nobody",
	mustSID(1, 0):                 "Everyone",
	mustSID(2, 0):                 "Local",
	mustSID(2, 1):                 "Console Logon",
	mustSID(3, 0):                 "Creator Owner",
	mustSID(3, 1):                 "Creator Group",
	mustSID(3, 2):                 "Creator Owner Server",
	mustSID(3, 3):                 "Creator Group Server",
	mustSID(3, 4):                 "Owner Rights",
	mustSID(5, 1):                 "Dialup",
	mustSID(5, 2):                 "Network",
	mustSID(5, 3):                 "Batch",
	mustSID(5, 4):                 "Interactive",
	mustSID(5, 6):                 "Service",
	mustSID(5, 7):                 "Anonymous Logon",
	mustSID(5, 8):                 "Proxy",
	mustSID(5, 9):                 "Enterprise Domain Controllers",
	mustSID(5, 10):                "Self",
	mustSID(5, 11):                "Authenticated Users",
	mustSID(5, 12):                "Restricted Code",
	mustSID(5, 13):                "Terminal Server User",
	mustSID(5, 14):                "Remote Interactive Logon",
	mustSID(5, 15):                "This Organization",
	mustSID(5, 17):                "IUSR",
	mustSID(5, 18):                "SYSTEM",
	mustSID(5, 19):                "Local Service",
	mustSID(5, 20):                "Network Service",
	mustSID(5, 32):                "BUILTIN",
	mustSID(5, 33):                "Write Restricted Code",
	mustSID(5, 32, 544):           "Administrators",
	mustSID(5, 32, 545):           "Users",
	mustSID(5, 32, 546):           "Guests",
	mustSID(5, 32, 547):           "Power Users",
	mustSID(5, 32, 548):           "Account Operators",
	mustSID(5, 32, 549):           "Server Operators",
	mustSID(5, 32, 550):           "Print Operators",
	mustSID(5, 32, 551):           "Backup Operators",
	mustSID(5, 32, 552):           "Replicator",
	mustSID(5, 32, 554):           "Pre-Windows 2000 Compatible Access",
	mustSID(5, 32, 555):           "Remote Desktop Users",
	mustSID(5, 32, 556):           "Network Configuration Operators",
	mustSID(5, 32, 557):           "Incoming Forest Trust Builders",
	mustSID(5, 32, 558):           "Performance Monitor Users",
	mustSID(5, 32, 559):           "Performance Log Users",
	mustSID(5, 32, 560):           "Windows Authorization Access Group",
	mustSID(5, 32, 561):           "Terminal Server License Servers",
	mustSID(5, 32, 562):           "Distributed COM Users",
	mustSID(5, 32, 568):           "IIS_IUSRS",
	mustSID(5, 32, 569):           "Cryptographic Operators",
	mustSID(5, 32, 573):           "Event Log Readers",
	mustSID(5, 32, 574):           "Certificate Service DCOM Access",
	mustSID(5, 32, 575):           "RDS Remote Access Servers",
	mustSID(5, 32, 576):           "RDS Endpoint Servers",
	mustSID(5, 32, 577):           "RDS Management Servers",
	mustSID(5, 32, 578):           "Hyper-V Administrators",
	mustSID(5, 32, 579):           "Access Control Assistance Operators",
	mustSID(5, 32, 580):           "Remote Management Users",
	mustSID(5, 32, 582):           "Storage Replica Administrators",
	mustSID(5, 64, 10):            "NTLM Authentication",
	mustSID(5, 64, 14):            "SChannel Authentication",
	mustSID(5, 64, 21):            "Digest Authentication",
	mustSID(5, 80, 0):             "All Services",
	mustSID(5, 84, 0, 0, 0, 0, 0): "User-Mode Drivers",
	mustSID(5, 113):               "Local Account",
	mustSID(5, 114):               "Local Account and Member of Administrators",
	mustSID(5, 1000):              "Other Organization",
	mustSID(15, 2, 1):             "All Application Packages",
	mustSID(16, 0):                "Untrusted Mandatory Level",
	mustSID(16, 4096):             "Low Mandatory Level",
	mustSID(16, 8192):             "Medium Mandatory Level",
	mustSID(16, 8448):             "Medium Plus Mandatory Level",
	mustSID(16, 12288):            "High Mandatory Level",
	mustSID(16, 16384):            "System Mandatory Level",
	mustSID(16, 20480):            "Protected Process Mandatory Level",
	mustSID(18, 1):                "Authentication Authority Asserted Identity",
	mustSID(18, 2):                "Service Asserted Identity",
}

// domainRIDNames names the well-known accounts and groups of any AD domain.
var domainRIDNames = map[uint32]string{
	RIDEnterpriseReadOnlyDomainControllers: "Enterprise Read-only Domain Controllers",
	RIDAdministrator:                       "Administrator",
	RIDGuest:                               "Guest",
	RIDKrbtgt:                              "krbtgt",
	RIDDomainAdmins:                        "Domain Admins",
	RIDDomainUsers:                         "Domain Users",
	RIDDomainGuests:                        "Domain Guests",
	RIDDomainComputers:                     "Domain Computers",
	RIDDomainControllers:                   "Domain Controllers",
	RIDCertPublishers:                      "Cert Publishers",
	RIDSchemaAdmins:                        "Schema Admins",
	RIDEnterpriseAdmins:                    "Enterprise Admins",
	RIDGroupPolicyCreatorOwners:            "Group Policy Creator Owners",
	RIDReadOnlyDomainControllers:           "Read-only Domain Controllers",
	RIDCloneableDomainControllers:          "Cloneable Domain Controllers",
	RIDProtectedUsers:                      "Protected Users",
	RIDKeyAdmins:                           "Key Admins",
	RIDEnterpriseKeyAdmins:                 "Enterprise Key Admins",
	RIDRASAndIASServers:                    "RAS and IAS Servers",
	RIDAllowedRODCPasswordReplication:      "Allowed RODC Password Replication Group",
	RIDDeniedRODCPasswordReplication:       "Denied RODC Password Replication Group",
}

// Name returns a readable name for a well-known SID ("Everyone", "Domain
// Admins", ...), or "" when s is not well known. Domain-relative names are
// given for any domain S-1-5-21-a-b-c; Name cannot tell which domain.
func (s SID) Name() string {
	if n, ok := fixedSIDNames[s]; ok {
		return n
	}
	if rid, ok := domainRID(s); ok {
		return domainRIDNames[rid]
	}
	return ""
}

// domainRID reports whether s is an account of an AD domain
// (S-1-5-21-a-b-c-RID) and returns the RID.
func domainRID(s SID) (uint32, bool) {
	if s.rev != 1 || s.n != 5 || s.Authority() != 5 || s.sub[0] != 21 {
		return 0, false
	}
	return s.sub[4], true
}

// displayName returns Name, or the S-1-... form when s is not well known.
func (s SID) displayName() string {
	if n := s.Name(); n != "" {
		return n
	}
	return s.String()
}

// sddlAlias is one SDDL SID alias (MS-DTYP 2.5.1.1). A fixed alias names one
// SID; a relative one names RID in the domain (or, with root, in the forest
// root domain) given to the SDDL functions.
type sddlAlias struct {
	code string
	sid  SID
	rid  uint32
	root bool
}

// sddlAliases lists every alias ParseSDDL accepts. The fixed ones are also what
// SDDL() emits; relative ones are emitted only by SDDLOptions with a domain.
var sddlAliases = []sddlAlias{
	{code: "WD", sid: mustSID(1, 0)},
	{code: "CO", sid: mustSID(3, 0)},
	{code: "CG", sid: mustSID(3, 1)},
	{code: "OW", sid: mustSID(3, 4)},
	{code: "NU", sid: mustSID(5, 2)},
	{code: "IU", sid: mustSID(5, 4)},
	{code: "SU", sid: mustSID(5, 6)},
	{code: "AN", sid: mustSID(5, 7)},
	{code: "ED", sid: mustSID(5, 9)},
	{code: "PS", sid: mustSID(5, 10)},
	{code: "AU", sid: mustSID(5, 11)},
	{code: "RC", sid: mustSID(5, 12)},
	{code: "SY", sid: mustSID(5, 18)},
	{code: "LS", sid: mustSID(5, 19)},
	{code: "NS", sid: mustSID(5, 20)},
	{code: "WR", sid: mustSID(5, 33)},
	{code: "BA", sid: mustSID(5, 32, 544)},
	{code: "BU", sid: mustSID(5, 32, 545)},
	{code: "BG", sid: mustSID(5, 32, 546)},
	{code: "PU", sid: mustSID(5, 32, 547)},
	{code: "AO", sid: mustSID(5, 32, 548)},
	{code: "SO", sid: mustSID(5, 32, 549)},
	{code: "PO", sid: mustSID(5, 32, 550)},
	{code: "BO", sid: mustSID(5, 32, 551)},
	{code: "RE", sid: mustSID(5, 32, 552)},
	{code: "RU", sid: mustSID(5, 32, 554)},
	{code: "RD", sid: mustSID(5, 32, 555)},
	{code: "NO", sid: mustSID(5, 32, 556)},
	{code: "MU", sid: mustSID(5, 32, 558)},
	{code: "LU", sid: mustSID(5, 32, 559)},
	{code: "IS", sid: mustSID(5, 32, 568)},
	{code: "CY", sid: mustSID(5, 32, 569)},
	{code: "ER", sid: mustSID(5, 32, 573)},
	{code: "CD", sid: mustSID(5, 32, 574)},
	{code: "RA", sid: mustSID(5, 32, 575)},
	{code: "ES", sid: mustSID(5, 32, 576)},
	{code: "MS", sid: mustSID(5, 32, 577)},
	{code: "HA", sid: mustSID(5, 32, 578)},
	{code: "AA", sid: mustSID(5, 32, 579)},
	{code: "RM", sid: mustSID(5, 32, 580)},
	{code: "UD", sid: mustSID(5, 84, 0, 0, 0, 0, 0)},
	{code: "AC", sid: mustSID(15, 2, 1)},
	{code: "LW", sid: mustSID(16, 4096)},
	{code: "ME", sid: mustSID(16, 8192)},
	{code: "MP", sid: mustSID(16, 8448)},
	{code: "HI", sid: mustSID(16, 12288)},
	{code: "SI", sid: mustSID(16, 16384)},
	{code: "AS", sid: mustSID(18, 1)},
	{code: "SS", sid: mustSID(18, 2)},

	{code: "RO", rid: RIDEnterpriseReadOnlyDomainControllers, root: true},
	{code: "LA", rid: RIDAdministrator},
	{code: "LG", rid: RIDGuest},
	{code: "DA", rid: RIDDomainAdmins},
	{code: "DU", rid: RIDDomainUsers},
	{code: "DG", rid: RIDDomainGuests},
	{code: "DC", rid: RIDDomainComputers},
	{code: "DD", rid: RIDDomainControllers},
	{code: "CA", rid: RIDCertPublishers},
	{code: "SA", rid: RIDSchemaAdmins, root: true},
	{code: "EA", rid: RIDEnterpriseAdmins, root: true},
	{code: "PA", rid: RIDGroupPolicyCreatorOwners},
	{code: "CN", rid: RIDCloneableDomainControllers},
	{code: "AP", rid: RIDProtectedUsers},
	{code: "KA", rid: RIDKeyAdmins},
	{code: "EK", rid: RIDEnterpriseKeyAdmins, root: true},
	{code: "RS", rid: RIDRASAndIASServers},
}

// fixedAliasOf maps a SID to its fixed SDDL alias, for SDDL output.
var fixedAliasOf = func() map[SID]string {
	m := make(map[SID]string)
	for _, a := range sddlAliases {
		if !a.sid.IsZero() {
			m[a.sid] = a.code
		}
	}
	return m
}()

// aliasByCode maps an SDDL alias code to its definition, for SDDL input.
var aliasByCode = func() map[string]sddlAlias {
	m := make(map[string]sddlAlias, len(sddlAliases))
	for _, a := range sddlAliases {
		m[a.code] = a
	}
	return m
}()
