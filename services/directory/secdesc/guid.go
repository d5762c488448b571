package secdesc

import (
	"fmt"
)

// GUID is a GUID in wire order (as in object ACEs and schemaIDGUID values):
// Data1 (4 bytes), Data2 and Data3 (2 bytes each) little-endian, then Data4's
// 8 bytes as they are. String gives the canonical text form.
type GUID [16]byte

// GUIDFromBytes returns the GUID whose wire form is b (16 bytes exactly), such
// as a schemaIDGUID or rightsGuid value read over LDAP.
func GUIDFromBytes(b []byte) (GUID, error) {
	var g GUID
	if len(b) != len(g) {
		return g, fmt.Errorf("secdesc: a GUID is 16 bytes, got %d", len(b))
	}
	copy(g[:], b)
	return g, nil
}

// ParseGUID parses the canonical form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
// (either case), optionally in braces.
func ParseGUID(s string) (GUID, error) {
	t := s
	if len(t) == 38 && t[0] == '{' && t[37] == '}' {
		t = t[1:37]
	}
	g, ok := parseGUID36(t)
	if !ok {
		return GUID{}, &SyntaxError{Input: s, Msg: fmt.Sprintf("%q is not a GUID", s)}
	}
	return g, nil
}

// guidTextOrder lists, for each byte of the text form in order, its index in
// the wire form; guidTextPos is where its two hex digits start in the text.
var (
	guidTextOrder = [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	guidTextPos   = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}
)

func parseGUID36(s string) (GUID, bool) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	for i, wire := range guidTextOrder {
		pos := guidTextPos[i]
		hi, ok1 := digitVal(s[pos], 16)
		lo, ok2 := digitVal(s[pos+1], 16)
		if !ok1 || !ok2 {
			return g, false
		}
		g[wire] = byte(hi<<4 | lo)
	}
	return g, true
}

// String returns the canonical lower-case form.
func (g GUID) String() string { return string(g.appendString(make([]byte, 0, 36))) }

const hexDigits = "0123456789abcdef"

func (g GUID) appendString(b []byte) []byte {
	for i, wire := range guidTextOrder {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[g[wire]>>4], hexDigits[g[wire]&0xf])
	}
	return b
}

// IsZero reports whether g is all zeros.
func (g GUID) IsZero() bool { return g == GUID{} }

// MarshalText returns the canonical form.
func (g GUID) MarshalText() ([]byte, error) { return g.appendString(nil), nil }

// UnmarshalText parses the canonical form.
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// mustGUID is ParseGUID for the package's own literals.
func mustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// Schema and extended-right GUIDs that password writeback and its audit use.
var (
	GUIDResetPassword           = mustGUID("00299570-246d-11d0-a768-00aa006e0529") // User-Force-Change-Password
	GUIDChangePassword          = mustGUID("ab721a53-1e2f-11d0-9819-00aa0040529b") // User-Change-Password
	GUIDUnexpirePassword        = mustGUID("ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501")
	GUIDLockoutTime             = mustGUID("28630ebf-41d5-11d1-a9c1-0000f80367c1")
	GUIDPwdLastSet              = mustGUID("bf967a0a-0de6-11d0-a285-00aa003049e2")
	GUIDUserAccountRestrictions = mustGUID("4c164200-20c0-11d0-a768-00aa006e0529") // property set holding pwdLastSet
	GUIDUserClass               = mustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	GUIDInetOrgPersonClass      = mustGUID("4828cc14-1437-45bc-9b07-ad6f015e5f28")
	GUIDComputerClass           = mustGUID("bf967a86-0de6-11d0-a285-00aa003049e2")
	GUIDGroupClass              = mustGUID("bf967a9c-0de6-11d0-a285-00aa003049e2")
	GUIDOrganizationalUnitClass = mustGUID("bf967aa5-0de6-11d0-a285-00aa003049e2")
	GUIDGetChanges              = mustGUID("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2") // DS-Replication-Get-Changes
	GUIDGetChangesAll           = mustGUID("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2") // DS-Replication-Get-Changes-All
)

// GUIDKind says what a schema or extended-right GUID names.
type GUIDKind uint8

// Kinds of GUIDs found in object ACEs.
const (
	KindAttribute      GUIDKind = iota + 1 // attributeSchema schemaIDGUID (RP/WP)
	KindPropertySet                        // property set rightsGuid (RP/WP)
	KindClass                              // classSchema schemaIDGUID (CC/DC, inherited object type)
	KindExtendedRight                      // control access right rightsGuid (CR)
	KindValidatedWrite                     // validated write rightsGuid (SW)
)

type guidName struct {
	kind GUIDKind
	name string
}

// knownGUIDs names the schema and extended-right GUIDs that are the same in
// every forest. A GUID can name an attribute and a validated write at once
// (member is also Self-Membership); the attribute or class comes first.
var knownGUIDs = map[GUID][]guidName{
	// Password writeback.
	GUIDResetPassword:           {{KindExtendedRight, "Reset Password"}},
	GUIDChangePassword:          {{KindExtendedRight, "Change Password"}},
	GUIDUnexpirePassword:        {{KindExtendedRight, "Unexpire Password"}},
	GUIDLockoutTime:             {{KindAttribute, "lockoutTime"}},
	GUIDPwdLastSet:              {{KindAttribute, "pwdLastSet"}},
	GUIDUserAccountRestrictions: {{KindPropertySet, "User-Account-Restrictions"}},

	// Classes.
	GUIDUserClass:               {{KindClass, "user"}},
	GUIDInetOrgPersonClass:      {{KindClass, "inetOrgPerson"}},
	GUIDComputerClass:           {{KindClass, "computer"}},
	GUIDGroupClass:              {{KindClass, "group"}},
	GUIDOrganizationalUnitClass: {{KindClass, "organizationalUnit"}},
	mustGUID("5cb41ed0-0e4c-11d0-a286-00aa003049e2"): {{KindClass, "contact"}},
	mustGUID("bf967a8b-0de6-11d0-a285-00aa003049e2"): {{KindClass, "container"}},
	mustGUID("19195a5b-6da0-11d0-afd3-00c04fd930c9"): {{KindClass, "domainDNS"}},
	mustGUID("f30e3bc2-9ff0-11d1-b603-0000f80367c1"): {{KindClass, "groupPolicyContainer"}},
	mustGUID("bf967aa8-0de6-11d0-a285-00aa003049e2"): {{KindClass, "printQueue"}},
	mustGUID("ce206244-5827-4a86-ba1c-1c0c386c1b64"): {{KindClass, "msDS-ManagedServiceAccount"}},
	mustGUID("7b8b558a-93a5-4af7-adca-c017e67f1057"): {{KindClass, "msDS-GroupManagedServiceAccount"}},

	// Attributes (some double as validated writes).
	mustGUID("bf9679c0-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "member"}, {KindValidatedWrite, "Self-Membership"}},
	mustGUID("f3a64788-5306-11d1-a9c5-0000f80367c1"): {{KindAttribute, "servicePrincipalName"}, {KindValidatedWrite, "Validated-SPN"}},
	mustGUID("72e39547-7b18-11d1-adef-00c04fd8d5cd"): {{KindAttribute, "dNSHostName"}, {KindValidatedWrite, "Validated-DNS-Host-Name"}},
	mustGUID("bf967a68-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "userAccountControl"}},
	mustGUID("3e0abfd0-126a-11d0-a060-00aa006c33ed"): {{KindAttribute, "sAMAccountName"}},
	mustGUID("28630ebb-41d5-11d1-a9c1-0000f80367c1"): {{KindAttribute, "userPrincipalName"}},
	mustGUID("bf9679e1-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "unicodePwd"}},
	mustGUID("bf967915-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "accountExpires"}},
	mustGUID("bf967950-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "description"}},
	mustGUID("bf967953-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "displayName"}},
	mustGUID("bf967961-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "mail"}},
	mustGUID("bf967a7f-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "userCertificate"}},
	mustGUID("bf9679a8-0de6-11d0-a285-00aa003049e2"): {{KindAttribute, "scriptPath"}},
	mustGUID("00fbf30c-91fe-11d1-aebc-0000f80367c1"): {{KindAttribute, "altSecurityIdentities"}},
	mustGUID("f30e3bbe-9ff0-11d1-b603-0000f80367c1"): {{KindAttribute, "gPLink"}},
	mustGUID("f30e3bbf-9ff0-11d1-b603-0000f80367c1"): {{KindAttribute, "gPOptions"}},
	mustGUID("b7c69e6d-2cc7-11d2-854e-00a0c983f608"): {{KindAttribute, "tokenGroups"}},
	mustGUID("46a9b11d-60ae-405a-b7e8-ff8a58d456d2"): {{KindAttribute, "tokenGroupsGlobalAndUniversal"}},
	mustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"): {{KindAttribute, "msDS-KeyCredentialLink"}},
	mustGUID("3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"): {{KindAttribute, "msDS-AllowedToActOnBehalfOfOtherIdentity"}},
	mustGUID("800d94d7-b7a1-42a1-b14d-7cae1423d07f"): {{KindAttribute, "msDS-AllowedToDelegateTo"}},
	mustGUID("20119867-1d04-4ab7-9371-cfc3d5df0afd"): {{KindAttribute, "msDS-SupportedEncryptionTypes"}},

	// Property sets.
	mustGUID("77b5b886-944a-11d1-aebd-0000f80367c1"): {{KindPropertySet, "Personal-Information"}},
	mustGUID("e48d0154-bcf8-11d1-8702-00c04fb96050"): {{KindPropertySet, "Public-Information"}},
	mustGUID("59ba2f42-79a2-11d0-9020-00c04fc2d3cf"): {{KindPropertySet, "General-Information"}},
	mustGUID("5f202010-79a5-11d0-9020-00c04fc2d4cf"): {{KindPropertySet, "User-Logon"}},
	mustGUID("bc0ac240-79a9-11d0-9020-00c04fc2d4cf"): {{KindPropertySet, "Membership"}},
	mustGUID("e45795b3-9455-11d1-aebd-0000f80367c1"): {{KindPropertySet, "Web-Information"}},
	mustGUID("e45795b2-9455-11d1-aebd-0000f80367c1"): {{KindPropertySet, "Email-Information"}},
	mustGUID("037088f8-0ae1-11d2-b422-00a0c968f939"): {{KindPropertySet, "RAS-Information"}},
	mustGUID("91e647de-d96f-4b70-9557-d63ff4f3ccd8"): {{KindPropertySet, "Private-Information"}},
	mustGUID("c7407360-20bf-11d0-a768-00aa006e0529"): {{KindPropertySet, "Domain-Password"}},
	mustGUID("b8119fd0-04f6-4762-ab7a-4986c76b3f9a"): {{KindPropertySet, "Domain-Other-Parameters"}},
	mustGUID("5805bc62-bdc9-4428-a5e2-856a0f4c185e"): {{KindPropertySet, "Terminal-Server-License-Server"}},

	// Extended rights.
	GUIDGetChanges:    {{KindExtendedRight, "DS-Replication-Get-Changes"}},
	GUIDGetChangesAll: {{KindExtendedRight, "DS-Replication-Get-Changes-All"}},
	mustGUID("89e95b76-444d-4c62-991a-0facbeda640c"): {{KindExtendedRight, "DS-Replication-Get-Changes-In-Filtered-Set"}},
	mustGUID("1131f6ab-9c07-11d1-f79f-00c04fc2dcd2"): {{KindExtendedRight, "DS-Replication-Synchronize"}},
	mustGUID("1131f6ac-9c07-11d1-f79f-00c04fc2dcd2"): {{KindExtendedRight, "DS-Replication-Manage-Topology"}},
	mustGUID("1131f6ae-9c07-11d1-f79f-00c04fc2dcd2"): {{KindExtendedRight, "Read-Only-Replication-Secret-Synchronization"}},
	mustGUID("ab721a54-1e2f-11d0-9819-00aa0040529b"): {{KindExtendedRight, "Send-As"}},
	mustGUID("ab721a56-1e2f-11d0-9819-00aa0040529b"): {{KindExtendedRight, "Receive-As"}},
	mustGUID("68b1d179-0d15-4d4f-ab71-46152e79a7bc"): {{KindExtendedRight, "Allowed-To-Authenticate"}},
	mustGUID("edacfd8f-ffb3-11d1-b41d-00a0c968f939"): {{KindExtendedRight, "Apply-Group-Policy"}},
	mustGUID("280f369c-67c7-438e-ae98-1d46f3c6f541"): {{KindExtendedRight, "Update-Password-Not-Required-Bit"}},
	mustGUID("05c74c5e-4deb-43b4-bd9f-86664c2a7fd5"): {{KindExtendedRight, "Enable-Per-User-Reversibly-Encrypted-Password"}},
	mustGUID("45ec5156-db7e-47bb-b53f-dbeb2d03c40f"): {{KindExtendedRight, "Reanimate-Tombstones"}},
	mustGUID("ba33815a-4f93-4c76-87f3-57574bff8109"): {{KindExtendedRight, "Migrate-SID-History"}},
	mustGUID("b7b1b3dd-ab09-4242-9e30-9980e5d322f7"): {{KindExtendedRight, "Generate-RSoP-Planning"}},
	mustGUID("b7b1b3de-ab09-4242-9e30-9980e5d322f7"): {{KindExtendedRight, "Generate-RSoP-Logging"}},
	mustGUID("0e10c968-78fb-11d2-90d4-00c04f79dc55"): {{KindExtendedRight, "Certificate-Enrollment"}},
	mustGUID("a05b8cc2-17bc-4802-a710-e7c15ab866a2"): {{KindExtendedRight, "Certificate-AutoEnrollment"}},
	mustGUID("9432c620-033c-4db7-8b58-14ef6d0bf477"): {{KindExtendedRight, "Refresh-Group-Cache"}},
	mustGUID("7c0e2a7c-a419-48e4-a995-10180aad54dd"): {{KindExtendedRight, "Manage-Optional-Features"}},
	mustGUID("3e0f7e18-2c7a-4c10-ba82-4d926db99a3e"): {{KindExtendedRight, "DS-Clone-Domain-Controller"}},
	mustGUID("440820ad-65b4-11d1-a3da-0000f875ae0d"): {{KindExtendedRight, "Add-GUID"}},
	mustGUID("1abd7cf8-0a99-11d1-adbb-00c04fd8d5cd"): {{KindExtendedRight, "Allocate-Rids"}},
	mustGUID("bae50096-4752-11d1-9052-00c04fc2d4cf"): {{KindExtendedRight, "Change-PDC"}},
	mustGUID("d58d5f36-0a98-11d1-adbb-00c04fd8d5cd"): {{KindExtendedRight, "Change-Rid-Master"}},
	mustGUID("e12b56b6-0a95-11d1-adbb-00c04fd8d5cd"): {{KindExtendedRight, "Change-Schema-Master"}},
	mustGUID("014bf69c-7b3b-11d1-85f6-08002be74fab"): {{KindExtendedRight, "Change-Domain-Master"}},
	mustGUID("cc17b1fb-33d9-11d2-97d4-00c04fd8d5cd"): {{KindExtendedRight, "Change-Infrastructure-Master"}},

	// Validated writes.
	mustGUID("9b026da6-0d3c-465c-8bee-5199d7165cba"): {{KindValidatedWrite, "DS-Validated-Write-Computer"}},
	mustGUID("80863791-dbe9-4eb8-837e-7f0ab55d9ac7"): {{KindValidatedWrite, "Validated-MS-DS-Additional-DNS-Host-Name"}},
	mustGUID("d31a8757-2447-4545-8081-3bb610cacbf2"): {{KindValidatedWrite, "Validated-MS-DS-Behavior-Version"}},
}

// GUIDName returns the name of a well-known schema or extended-right GUID: the
// lDAPDisplayName of an attribute or class, the name of a property set or
// right ("Reset Password", "DS-Replication-Get-Changes-All"), or "" when g is
// not known. Forest-specific GUIDs (schema extensions such as LAPS) are not.
func GUIDName(g GUID) string {
	if n := knownGUIDs[g]; len(n) > 0 {
		return n[0].name
	}
	return ""
}

// GUIDKindOf returns what a well-known GUID names (its first meaning when it has
// several), and false when g is not known.
func GUIDKindOf(g GUID) (GUIDKind, bool) {
	if n := knownGUIDs[g]; len(n) > 0 {
		return n[0].kind, true
	}
	return 0, false
}

// guidNameFor returns the name of g in the meaning that matches kind, falling
// back to its first meaning, then to the GUID text.
func guidNameFor(g GUID, kinds ...GUIDKind) string {
	names := knownGUIDs[g]
	for _, k := range kinds {
		for _, n := range names {
			if n.kind == k {
				return n.name
			}
		}
	}
	if len(names) > 0 {
		return names[0].name
	}
	return g.String()
}
