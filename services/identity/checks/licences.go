package checks

import (
	"context"
	"fmt"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// LicenceReader reads the tenant's subscribed SKUs.
type LicenceReader interface {
	Licences(ctx context.Context) (*graphclient.LicenceReport, error)
}

// Licences reads the tenant's Entra ID premium licences and says what they mean for SSPR with
// password writeback (P1 or P2) and for the P2-only features the admin check uses.
func Licences(ctx context.Context, g LicenceReader) (*graphclient.LicenceReport, []*identityv1.Finding, error) {
	rep, err := g.Licences(ctx)
	if err != nil {
		return nil, nil, err
	}
	return rep, LicenceFindings(rep), nil
}

// LicenceFindings are the findings of a licence report: licences.no-premium,
// licences.premium, licences.over-assigned and licences.no-p2.
func LicenceFindings(r *graphclient.LicenceReport) []*identityv1.Finding {
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
		return append(out, &identityv1.Finding{
			Id:          "licences.no-premium",
			Severity:    sevHigh,
			Title:       "No enabled Entra ID P1 or P2 licence: SSPR with password writeback is not available",
			Evidence:    evidence,
			Remediation: "Buy and assign Entra ID P1 (alone, or in Microsoft 365 E3/E5, Business Premium, EMS E3/E5) to the users who will reset their passwords; a SKU in Warning or Suspended state and a plan not yet provisioned do not count.",
			References:  []string{refSSPRLicensing, refWriteback},
		})
	}
	seats := r.P1Seats // SKUs carrying P2 carry P1's features too, and are counted here already
	name := "P1"
	if r.P2 {
		name = "P2"
	}
	out = append(out, &identityv1.Finding{
		Id:         "licences.premium",
		Severity:   sevInfo,
		Title:      fmt.Sprintf("Entra ID %s is licensed: %d of %d premium units assigned", name, seats.Consumed, seats.Enabled),
		Evidence:   evidence,
		References: []string{refSSPRLicensing},
	})
	if seats.Consumed > seats.Enabled {
		out = append(out, &identityv1.Finding{
			Id:          "licences.over-assigned",
			Severity:    sevMedium,
			Title:       fmt.Sprintf("More Entra ID premium licences are assigned (%d) than enabled (%d)", seats.Consumed, seats.Enabled),
			Evidence:    evidence,
			Remediation: "Buy more units or remove assignments: every user who uses SSPR with writeback needs a P1 or P2 licence.",
			References:  []string{refSSPRLicensing},
		})
	}
	if !r.P2 {
		out = append(out, &identityv1.Finding{
			Id:          "licences.no-p2",
			Severity:    sevLow,
			Title:       "No Entra ID P2: PIM-eligible admin assignments and risk-based Conditional Access cannot be checked or used",
			Evidence:    evidence,
			Remediation: "Entra ID P2 (or Microsoft 365 E5) adds Privileged Identity Management and Identity Protection for admin accounts.",
			References:  []string{refPIMLicensing},
		})
	}
	return out
}
