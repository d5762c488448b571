// Package secdesc reads and writes Windows security descriptors, such as the
// nTSecurityDescriptor of Active Directory objects, in their binary
// self-relative form (MS-DTYP 2.4.6) and in SDDL (MS-DTYP 2.5.1).
//
// Parse and MarshalBinary round-trip byte for byte: a descriptor that has not
// been changed since Parse comes back exactly as read, whatever order the
// directory put its owner, group, SACL and DACL in and whatever padding it
// left. A changed descriptor is written in the canonical layout Windows uses
// (SACL, DACL, owner, group, no gaps). ACEs of types this package does not
// decode, and data after the SID of those it does (callback conditions,
// resource attributes, padding), are kept in ACE.Raw and written back as they
// were.
//
// ParseSDDL and SDDL convert to and from text; SDDLOptions describes which SID
// aliases are read and written and the package's hex extension for ACEs that
// standard SDDL cannot express. Names (SID.Name, GUIDName, RightNames,
// ACE.Describe) turn ACEs into sentences for audit reports, and the ACL
// helpers (Add, Remove, Contains, Canonicalize, IsCanonical) support granting.
//
// Parsing never panics; malformed input yields a *FormatError wrapping one of
// the Err* sentinels.
package secdesc
