package secdesc

import (
	"errors"
	"fmt"
)

// Sentinel errors for malformed binary input. Parse and SIDFromBytes wrap them in a
// *FormatError that says where the problem is; test for them with errors.Is.
var (
	// ErrTruncated: a structure runs past the end of its buffer (or of its
	// enclosing ACL or ACE).
	ErrTruncated = errors.New("truncated")
	// ErrRevision: an unsupported descriptor, ACL or SID revision.
	ErrRevision = errors.New("unsupported revision")
	// ErrNotSelfRelative: SE_SELF_RELATIVE is not set in the control field.
	ErrNotSelfRelative = errors.New("not a self-relative descriptor")
	// ErrOffset: a component offset points into the header or past the end.
	ErrOffset = errors.New("offset out of range")
	// ErrOverlap: two components of the descriptor share bytes.
	ErrOverlap = errors.New("components overlap")
	// ErrPresentFlag: an ACL offset is set but its *_PRESENT control bit is not.
	ErrPresentFlag = errors.New("offset without present flag")
	// ErrSubAuthorityCount: a SID claims more than 15 sub-authorities.
	ErrSubAuthorityCount = errors.New("too many sub-authorities")
	// ErrACLSize: AclSize is smaller than the header or its ACEs, or larger
	// than the data available.
	ErrACLSize = errors.New("bad AclSize")
	// ErrACESize: AceSize is smaller than the ACE header, not a multiple of 4,
	// or runs past the ACL.
	ErrACESize = errors.New("bad AceSize")
	// ErrTrailingData: bytes follow a value that must fill its buffer exactly.
	ErrTrailingData = errors.New("trailing data")
)

// FormatError reports malformed binary input: which component, at which byte
// offset from the start of the input, and which rule it broke (Err, one of the
// sentinels above).
type FormatError struct {
	Component string // "header", "owner", "group", "SACL", "DACL", "SACL ACE 3", "SID", ...
	Offset    int    // byte offset from the start of the parsed buffer
	Err       error  // one of the Err* sentinels
	Detail    string // what exactly was wrong
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("secdesc: %s at offset %d: %v: %s", e.Component, e.Offset, e.Err, e.Detail)
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(component string, offset int, err error, format string, args ...any) *FormatError {
	return &FormatError{Component: component, Offset: offset, Err: err, Detail: fmt.Sprintf(format, args...)}
}

// SyntaxError reports malformed SDDL (or SID/GUID text): the byte offset in the
// input where parsing stopped and why.
type SyntaxError struct {
	Input  string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("secdesc: invalid SDDL at offset %d: %s", e.Offset, e.Msg)
}
