package secdesc

import (
	"slices"
	"testing"
)

func TestRightNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mask uint32
		want []string
	}{
		{0, []string{}},
		{RightControlAccess, []string{"Control access"}},
		{RightWriteProperty, []string{"Write property"}},
		{RightReadProperty | RightWriteProperty | RightControlAccess, []string{"Read property", "Write property", "Control access"}},
		{RightFullControl, []string{"Create child", "Delete child", "List contents", "Self write", "Read property",
			"Write property", "Delete tree", "List object", "Control access", "Delete", "Read control", "Write DACL", "Write owner"}},
		{RightGenericAll | RightGenericRead | RightGenericWrite | RightGenericExecute,
			[]string{"Generic all", "Generic execute", "Generic write", "Generic read"}},
		{0x200 | RightAccessSystemSecurity, []string{"0x00000200", "Access system security"}},
	}
	for _, tt := range tests {
		if got := RightNames(tt.mask); !slices.Equal(got, tt.want) {
			t.Errorf("RightNames(%#x) = %q, want %q", tt.mask, got, tt.want)
		}
	}
}

func TestExpandGenericRights(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want uint32 }{
		{RightGenericAll, RightFullControl},
		{RightGenericRead, 0x20094},
		{RightGenericWrite, 0x20028},
		{RightGenericExecute, 0x20004},
		{RightGenericWrite | RightControlAccess, 0x20128},
		{RightWriteProperty, RightWriteProperty},
	}
	for _, tt := range tests {
		if got := ExpandGenericRights(tt.in); got != tt.want {
			t.Errorf("ExpandGenericRights(%#x) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

func TestSDDLRights(t *testing.T) {
	t.Parallel()
	in := []struct {
		s    string
		want uint32
		bad  bool
	}{
		{"", 0, false},
		{"CR", 0x100, false},
		{"RPWP", 0x30, false},
		{"GRGX", 0xa0000000, false},
		{"CCDCLCSWRPWPDTLOCRSDRCWDWO", RightFullControl, false},
		{"FA", 0x1f01ff, false},
		{"FRFWFX", 0x1201bf, false},
		{"KAKRKWKX", 0xf003f, false},
		{"NWNRNX", 0x7, false},
		{"0x100", 0x100, false},
		{"0X1F01FF", 0x1f01ff, false},
		{"0xffffffff", 0xffffffff, false},
		{"256", 256, false},
		{"0400", 0400, false},
		{"0", 0, false},
		{"0x100000000", 0, true},
		{"4294967296", 0, true},
		{"08", 0, true},
		{"0x", 0, true},
		{"0x1_0", 0, true},
		{"C", 0, true},
		{"XX", 0, true},
		{"cr", 0, true},
	}
	for _, tt := range in {
		got, msg := parseSDDLRights(tt.s)
		if tt.bad != (msg != "") || got != tt.want {
			t.Errorf("parseSDDLRights(%q) = %#x, %q; want %#x, bad=%v", tt.s, got, msg, tt.want, tt.bad)
		}
	}
	out := []struct {
		mask uint32
		t    ACEType
		want string
	}{
		{0x100, ACETypeAccessAllowedObject, "CR"},
		{0xa0000000, ACETypeAccessAllowed, "GRGX"},
		{RightFullControl, ACETypeAccessAllowed, "CCDCLCSWRPWPDTLOCRSDRCWDWO"},
		{0x20094, ACETypeAccessAllowed, "LCRPLORC"},
		{0x1f01ff, ACETypeAccessAllowed, "0x1f01ff"},
		{0, ACETypeAccessAllowed, "0x0"},
		{0x1, ACETypeMandatoryLabel, "NW"},
		{0x3, ACETypeMandatoryLabel, "NWNR"},
		{0x10, ACETypeMandatoryLabel, "0x10"},
	}
	for _, tt := range out {
		if got := string(appendSDDLRights(nil, tt.mask, tt.t)); got != tt.want {
			t.Errorf("appendSDDLRights(%#x, %s) = %q, want %q", tt.mask, tt.t, got, tt.want)
		}
		if back, msg := parseSDDLRights(tt.want); msg != "" || back != tt.mask {
			t.Errorf("parseSDDLRights(%q) = %#x, %q; want %#x", tt.want, back, msg, tt.mask)
		}
	}
}
