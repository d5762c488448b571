package graphclient

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Service plans that carry Microsoft Entra ID P1 and P2. Licences are detected from these plans,
// not from SKU names, since many bundles (EMS, EMSPREMIUM, SPE_E3, SPE_E5, SPB, ...) carry them.
const (
	PlanP1ID   = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"
	PlanP1Name = "AAD_PREMIUM"
	PlanP2ID   = "eec0eb4f-6444-4f95-aba0-50c24d67f998"
	PlanP2Name = "AAD_PREMIUM_P2"
)

// LicenceReport is the tenant's Entra ID premium licensing, from GET /subscribedSkus.
//
// Only SKUs whose capabilityStatus is Enabled, and plans whose provisioningStatus is Success,
// count: a SKU in Warning (grace period) or Suspended, or a plan still PendingActivation, does not.
type LicenceReport struct {
	// P1 is true when a counted plan gives Entra ID P1 features: AAD_PREMIUM, or AAD_PREMIUM_P2
	// since P2 includes P1.
	P1 bool
	// P2 is true when a counted AAD_PREMIUM_P2 plan exists.
	P2 bool
	// P1Seats sums, once per SKU, the seats of SKUs with a counted P1 or P2 plan: every premium
	// seat. P2Seats sums those with a counted P2 plan, a subset of P1Seats; do not add them.
	P1Seats, P2Seats Seats
	// SKUs lists every subscribed SKU, premium or not, in Graph's order.
	SKUs []SKU
}

// Seats are licence units: Enabled is prepaidUnits.enabled, Consumed is consumedUnits.
type Seats struct {
	Enabled, Consumed int64
}

// SKU is one subscribed SKU.
type SKU struct {
	SkuID            string
	SkuPartNumber    string
	CapabilityStatus string // Enabled, Warning, Suspended, Deleted or LockedOut
	// Enabled, Warning and Suspended are prepaidUnits; Consumed is consumedUnits.
	Enabled, Consumed, Warning, Suspended int64
	// Plans are the SKU's Entra ID premium plans (AAD_PREMIUM, AAD_PREMIUM_P2); other service
	// plans are left out.
	Plans []Plan
}

// Plan is an Entra ID premium service plan within a SKU.
type Plan struct {
	ID, Name           string
	ProvisioningStatus string // Success, PendingActivation, PendingInput, Disabled, ...
	// Counts is true when the plan grants the licence: its SKU is Enabled and the plan's
	// provisioning succeeded.
	Counts bool
}

// Licences reads the tenant's subscribed SKUs and reports its Entra ID P1/P2 licences. It needs
// the Organization.Read.All application permission.
func (c *Client) Licences(ctx context.Context) (*LicenceReport, error) {
	var skus []models.SubscribedSkuable
	err := eachItem(ctx, c, epSubscribedSkus,
		func(ctx context.Context) (models.SubscribedSkuCollectionResponseable, error) {
			return c.graph.SubscribedSkus().Get(ctx, nil)
		},
		func(ctx context.Context, link string) (models.SubscribedSkuCollectionResponseable, error) {
			return c.graph.SubscribedSkus().WithUrl(link).Get(ctx, nil)
		},
		func(s models.SubscribedSkuable) error { skus = append(skus, s); return nil })
	if err != nil {
		return nil, err
	}
	return licenceReport(skus), nil
}

func licenceReport(skus []models.SubscribedSkuable) *LicenceReport {
	r := &LicenceReport{SKUs: []SKU{}}
	for _, s := range skus {
		sku := SKU{
			SkuPartNumber:    deref(s.GetSkuPartNumber()),
			CapabilityStatus: deref(s.GetCapabilityStatus()),
			Consumed:         int64(deref(s.GetConsumedUnits())),
			Plans:            []Plan{},
		}
		if id := s.GetSkuId(); id != nil {
			sku.SkuID = id.String()
		}
		if u := s.GetPrepaidUnits(); u != nil {
			sku.Enabled = int64(deref(u.GetEnabled()))
			sku.Warning = int64(deref(u.GetWarning()))
			sku.Suspended = int64(deref(u.GetSuspended()))
		}
		enabled := strings.EqualFold(sku.CapabilityStatus, "Enabled")
		var p1, p2 bool
		for _, sp := range s.GetServicePlans() {
			plan := Plan{Name: deref(sp.GetServicePlanName()), ProvisioningStatus: deref(sp.GetProvisioningStatus())}
			if id := sp.GetServicePlanId(); id != nil {
				plan.ID = id.String()
			}
			tier := premiumTier(plan)
			if tier == 0 {
				continue
			}
			plan.Counts = enabled && strings.EqualFold(plan.ProvisioningStatus, "Success")
			if plan.Counts {
				p1 = true // P2 includes P1
				p2 = p2 || tier == 2
			}
			sku.Plans = append(sku.Plans, plan)
		}
		seats := Seats{Enabled: sku.Enabled, Consumed: sku.Consumed}
		if p1 {
			r.P1 = true
			r.P1Seats.Enabled += seats.Enabled
			r.P1Seats.Consumed += seats.Consumed
		}
		if p2 {
			r.P2 = true
			r.P2Seats.Enabled += seats.Enabled
			r.P2Seats.Consumed += seats.Consumed
		}
		r.SKUs = append(r.SKUs, sku)
	}
	return r
}

// premiumTier is 1 for the P1 plan, 2 for the P2 plan and 0 otherwise, by plan id (the name
// only when Graph sent no id).
func premiumTier(p Plan) int {
	switch {
	case strings.EqualFold(p.ID, PlanP1ID):
		return 1
	case strings.EqualFold(p.ID, PlanP2ID):
		return 2
	case p.ID == "" && p.Name == PlanP1Name:
		return 1
	case p.ID == "" && p.Name == PlanP2Name:
		return 2
	}
	return 0
}
