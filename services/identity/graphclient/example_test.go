package graphclient_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// Licences against the emulator's sample tenant, which holds Office 365 E3 and EMS E3 (the
// Entra ID P1 bundle). In production, Config carries a credential instead of BaseURL.
func ExampleClient_Licences() {
	emu := graphemu.NewServer()
	if err := emu.AddTenant(graphemu.SampleTenant()); err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	defer hs.Close()

	ctx := context.Background()
	c, err := graphclient.New(ctx, graphclient.Config{BaseURL: hs.URL + "/v1.0"})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := c.Licences(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("P1 %v, P2 %v, premium seats %d of %d assigned\n", rep.P1, rep.P2, rep.P1Seats.Consumed, rep.P1Seats.Enabled)
	for _, sku := range rep.SKUs {
		for _, p := range sku.Plans {
			fmt.Printf("%s carries %s (%s, counts: %v)\n", sku.SkuPartNumber, p.Name, p.ProvisioningStatus, p.Counts)
		}
	}

	st, err := c.SyncStatus(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s synced from AD: %v, last sync %s\n", st.DisplayName, st.Enabled, st.LastSync.Format("2006-01-02 15:04 MST"))
	// Output:
	// P1 true, P2 false, premium seats 4 of 5 assigned
	// EMS carries AAD_PREMIUM (Success, counts: true)
	// Contoso synced from AD: true, last sync 2025-06-02 08:13 UTC
}
