package writeback_test

import (
	"fmt"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// Evaluate on a user's DACL: the connector inherits Reset password from its
// OU, and an explicit deny of Change password comes first.
func ExampleEvaluate() {
	domain, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412")
	connector := &writeback.Principal{SID: mustChild(domain, 1105), Groups: []secdesc.SID{mustChild(domain, 513)}}
	opts := secdesc.SDDLOptions{Domain: domain}
	sd, _ := opts.Parse("D:AI" +
		"(OD;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;DU)" +
		"(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)" +
		"(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)" +
		"(OA;CIID;WP;4c164200-20c0-11d0-a768-00aa006e0529;;S-1-5-21-2914541329-1306453702-1592347412-1105)")
	for _, v := range writeback.Evaluate(sd, connector.SIDs(false), secdesc.GUIDUserClass, writeback.UserRights, opts) {
		fmt.Println(v)
	}
	// Output:
	// Reset password: allowed by ACE 2 (OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// Change password: denied by ACE 0 (OD;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;DU)
	// Write lockoutTime: missing (no ACE grants it)
	// Write pwdLastSet: allowed by ACE 3 (OA;CIID;WP;4c164200-20c0-11d0-a768-00aa006e0529;;S-1-5-21-2914541329-1306453702-1592347412-1105)
}

// The ACEs a grant writes at a scope, as AdSyncConfig's
// Set-ADSyncPasswordWritebackPermissions does, and on AdminSDHolder.
func ExampleScopeACE() {
	connector, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412-1105")
	for _, r := range writeback.AllRights {
		fmt.Println(writeback.ScopeACE(r, connector))
	}
	fmt.Println(writeback.ObjectACE(writeback.ResetPassword, connector))
	// Output:
	// (OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (OA;CIIO;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;S-1-5-21-2914541329-1306453702-1592347412-1105)
	// (OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;S-1-5-21-2914541329-1306453702-1592347412-1105)
}

func mustChild(domain secdesc.SID, rid uint32) secdesc.SID {
	s, err := domain.Child(rid)
	if err != nil {
		panic(err)
	}
	return s
}
