package identity

import (
	"fmt"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

const (
	refSSPRLicensing = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-licensing"
	refWriteback     = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-writeback"
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

// licenceFindings says what the licences mean for SSPR with password writeback (Entra ID P1 or P2)
// and for the P2-only features the admin checks use (PIM, risk-based Conditional Access).
func licenceFindings(r *graphclient.LicenceReport) []*identityv1.Finding {
	var out []*identityv1.Finding
	var evidence []string
	for _, sku := range r.SKUs {
		for _, p := range sku.Plans {
			evidence = append(evidence, fmt.Sprintf("%s (%s): plan %s provisioning %s, %d of %d units assigned",
				sku.SkuPartNumber, sku.CapabilityStatus, p.Name, p.ProvisioningStatus, sku.Consumed, sku.Enabled))
		}
	}
	if !r.P1 {
		if len(evidence) == 0 {
			evidence = []string{"no subscribed SKU carries the AAD_PREMIUM or AAD_PREMIUM_P2 service plan"}
		}
		out = append(out, &identityv1.Finding{
			Id:          "licences.no-premium",
			Severity:    identityv1.Severity_SEVERITY_HIGH,
			Title:       "No enabled Entra ID P1 or P2 licence: SSPR with password writeback is not available",
			Evidence:    evidence,
			Remediation: "Buy and assign Entra ID P1 (alone, or in Microsoft 365 E3/E5, Business Premium, EMS E3/E5) to the users who will reset their passwords; a SKU in Warning or Suspended state and a plan not yet provisioned do not count.",
			References:  []string{refSSPRLicensing, refWriteback},
		})
		return out
	}
	seats := r.P1Seats // SKUs carrying P2 carry P1's features too, and are counted here already
	out = append(out, &identityv1.Finding{
		Id:         "licences.premium",
		Severity:   identityv1.Severity_SEVERITY_INFO,
		Title:      fmt.Sprintf("Entra ID %s is licensed: %d of %d premium units assigned", premiumName(r), seats.Consumed, seats.Enabled),
		Evidence:   evidence,
		References: []string{refSSPRLicensing},
	})
	if seats.Consumed > seats.Enabled {
		out = append(out, &identityv1.Finding{
			Id:          "licences.over-assigned",
			Severity:    identityv1.Severity_SEVERITY_MEDIUM,
			Title:       fmt.Sprintf("More Entra ID premium licences are assigned (%d) than enabled (%d)", seats.Consumed, seats.Enabled),
			Evidence:    evidence,
			Remediation: "Buy more units or remove assignments: every user who uses SSPR with writeback needs a P1 or P2 licence.",
			References:  []string{refSSPRLicensing},
		})
	}
	if !r.P2 {
		out = append(out, &identityv1.Finding{
			Id:          "licences.no-p2",
			Severity:    identityv1.Severity_SEVERITY_LOW,
			Title:       "No Entra ID P2: PIM-eligible admin assignments and risk-based Conditional Access cannot be checked or used",
			Evidence:    evidence,
			Remediation: "Entra ID P2 (or Microsoft 365 E5) adds Privileged Identity Management and Identity Protection for admin accounts.",
			References:  []string{"https://learn.microsoft.com/entra/id-governance/privileged-identity-management/subscription-requirements"},
		})
	}
	return out
}

func premiumName(r *graphclient.LicenceReport) string {
	if r.P2 {
		return "P2"
	}
	return "P1"
}
