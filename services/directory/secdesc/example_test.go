package secdesc_test

import (
	"fmt"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

func Example() {
	domain, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412")
	sd, err := secdesc.ParseSDDLWithDomain("O:DAG:DUD:AI"+
		"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;AU)"+
		"(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)", domain)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ace := range sd.DACL.ACEs {
		fmt.Println(ace.Describe())
	}

	// The binary form, as nTSecurityDescriptor holds it, and back.
	b, _ := sd.MarshalBinary()
	back, _ := secdesc.Parse(b)
	fmt.Println(len(b), "bytes:", back.Control)
	fmt.Println(secdesc.SDDLOptions{Domain: domain}.Format(back))
	fmt.Println(back.Owner, "is", back.Owner.Name())
	// Output:
	// Allow Authenticated Users: Control access (Reset Password) on descendant user objects
	// Allow Domain Admins: Full control on this object only
	// 176 bytes: DACL_PRESENT|DACL_AUTO_INHERITED|SELF_RELATIVE
	// O:DAG:DUD:AI(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)
	// S-1-5-21-2914541329-1306453702-1592347412-512 is Domain Admins
}

func ExampleACL_Add() {
	connector, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412-1105")
	sd, _ := secdesc.ParseSDDL("D:AI(A;;LCRPLORC;;;AU)(A;CIID;LC;;;RU)")
	grant := secdesc.ACE{
		Type:                secdesc.ACETypeAccessAllowedObject,
		Flags:               secdesc.FlagContainerInherit | secdesc.FlagInheritOnly,
		Mask:                secdesc.RightWriteProperty,
		ObjectType:          &secdesc.GUIDPwdLastSet,
		InheritedObjectType: &secdesc.GUIDUserClass,
		SID:                 connector,
	}
	fmt.Println(sd.DACL.Add(grant), sd.DACL.Add(grant)) // the second time it is already there
	for _, ace := range sd.DACL.ACEs {
		fmt.Println(ace)
	}
	// Output:
	// 1 0
	// (A;;LCRPLORC;;;AU)
	// (OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (A;CIID;LC;;;RU)
}
