package identity

import (
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

func licenceReportProto(r *graphclient.LicenceReport) *identityv1.LicenceReport {
	out := &identityv1.LicenceReport{
		P1:      r.P1,
		P2:      r.P2,
		P1Seats: &identityv1.Seats{Enabled: r.P1Seats.Enabled, Consumed: r.P1Seats.Consumed},
		P2Seats: &identityv1.Seats{Enabled: r.P2Seats.Enabled, Consumed: r.P2Seats.Consumed},
	}
	for _, sku := range r.SKUs {
		ps := &identityv1.Sku{
			SkuId:            sku.SkuID,
			SkuPartNumber:    sku.SkuPartNumber,
			CapabilityStatus: sku.CapabilityStatus,
			Enabled:          sku.Enabled,
			Warning:          sku.Warning,
			Suspended:        sku.Suspended,
			Consumed:         sku.Consumed,
		}
		for _, p := range sku.Plans {
			ps.PremiumPlans = append(ps.PremiumPlans, &identityv1.ServicePlan{Id: p.ID, Name: p.Name, ProvisioningStatus: p.ProvisioningStatus, Counted: p.Counts})
		}
		out.Skus = append(out.Skus, ps)
	}
	return out
}
