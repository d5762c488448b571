package graphclient

import (
	"context"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// TestSDKBatchAgainstEmulator checks the emulator's $batch envelope with the SDK's own batch
// support: items come back by id, a throttled item is a 429 with Retry-After inside the 200.
func TestSDKBatchAgainstEmulator(t *testing.T) {
	t.Parallel()
	frozen := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	tenant := graphemu.SampleTenant()
	srv := graphemu.Start(t, tenant,
		graphemu.WithBudget(graphemu.Budget{Requests: 2, Per: 30 * time.Second}),
		graphemu.WithClock(func() time.Time { return frozen }))
	cfg := Config{BaseURL: srv.BaseURL()}
	s, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(context.Background(), cfg, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	adapter := c.graph.GetAdapter()

	top := int32(2)
	usersReq, err := c.graph.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	orgReq, err := c.graph.Organization().ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	skuReq, err := c.graph.SubscribedSkus().ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := msgraphcore.NewBatchRequest(adapter)
	var ids []string
	for _, ri := range []*abstractions.RequestInformation{usersReq, orgReq, skuReq} {
		item, err := batch.AddBatchRequestStep(*ri)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *item.GetId())
	}
	resp, err := batch.Send(ctx, adapter)
	if err != nil {
		t.Fatal(err)
	}
	codes := resp.GetStatusCodes()
	if codes[ids[0]] != 200 || codes[ids[1]] != 200 || codes[ids[2]] != 429 {
		t.Fatalf("item statuses = %v, want 200, 200, 429 (budget of 2)", codes)
	}
	if ra := resp.GetResponseById(ids[2]).GetHeaders()["Retry-After"]; ra != "15" {
		t.Errorf("throttled item Retry-After = %q, want 15", ra)
	}
	page, err := msgraphcore.GetBatchResponseById[models.UserCollectionResponseable](resp, ids[0], models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(page.GetValue()); n != 2 || page.GetOdataNextLink() == nil {
		t.Errorf("users item: %d users, nextLink %v", n, page.GetOdataNextLink())
	}
	if upn := deref(page.GetValue()[0].GetUserPrincipalName()); upn != tenant.Users[0].UserPrincipalName {
		t.Errorf("first user %q", upn)
	}
	if _, err := msgraphcore.GetBatchResponseById[models.SubscribedSkuCollectionResponseable](resp, ids[2], models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue); err == nil {
		t.Error("the throttled item parsed as a success")
	}
}
