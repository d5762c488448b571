package tlsanalysis

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
)

// ToProto turns an analysis result into the API's Analysis (without name and create time).
func ToProto(r *analysis.Result) *tlsanalysisv1.Analysis {
	an := &tlsanalysisv1.Analysis{
		Files:              r.Files,
		Bytes:              r.Bytes,
		Lines:              r.Lines,
		MalformedLines:     r.MalformedLines,
		Sessions:           r.Sessions,
		IncompleteSessions: r.IncompleteSessions,
		UnknownProtocols:   r.UnknownProtocols,
		Failures:           r.Failures,
	}
	for _, d := range []analysis.Direction{analysis.DirectionReceive, analysis.DirectionSend, analysis.DirectionUnknown} {
		if c := r.Totals[d]; c != nil && c.Total() > 0 {
			an.Totals = append(an.Totals, &tlsanalysisv1.DirectionTotals{Direction: direction(d), Counts: counts(c)})
		}
	}
	for _, g := range r.Connectors {
		an.Connectors = append(an.Connectors, &tlsanalysisv1.GroupSummary{
			Direction: direction(g.Direction),
			Connector: g.Connector,
			Counts:    counts(&g.Counts),
			Upgrades:  &tlsanalysisv1.Upgrades{Starttls: g.StartTLS, AnonymousTls: g.AnonymousTLS, MustIssueStarttls: g.MustIssueStartTLS, Weak: g.Weak},
			FirstSeen: timestamp(g.FirstSeen),
			LastSeen:  timestamp(g.LastSeen),
		})
	}
	for _, rm := range r.Remotes {
		an.Remotes = append(an.Remotes, &tlsanalysisv1.RemoteSummary{
			Direction:  direction(rm.Direction),
			Ip:         rm.IP,
			Names:      rm.Names,
			Connectors: rm.Connectors,
			FirstSeen:  timestamp(rm.FirstSeen),
			LastSeen:   timestamp(rm.LastSeen),
			Counts:     counts(&rm.Counts),
			Upgrades:   &tlsanalysisv1.Upgrades{Starttls: rm.StartTLS, AnonymousTls: rm.AnonymousTLS, MustIssueStarttls: rm.MustIssueStartTLS, Weak: rm.Weak},
		})
	}
	for _, d := range r.Days {
		an.Days = append(an.Days, &tlsanalysisv1.DaySummary{Day: d.Day.UTC().Format(time.DateOnly), Direction: direction(d.Direction), Counts: counts(&d.Counts)})
	}
	for _, c := range r.Ciphers {
		an.Ciphers = append(an.Ciphers, &tlsanalysisv1.CipherSummary{
			Direction:       direction(c.Direction),
			Protocol:        c.Protocol,
			Cipher:          c.Cipher,
			CipherBits:      int32(c.CipherBits),
			Hash:            c.Hash,
			HashBits:        int32(c.HashBits),
			KeyExchange:     c.KeyExchange,
			KeyExchangeBits: int32(c.KeyExchangeBits),
			Sessions:        c.Sessions,
			Weaknesses:      c.Weak.Reasons(),
		})
	}
	for _, c := range r.Certificates {
		an.Certificates = append(an.Certificates, &tlsanalysisv1.CertificateSummary{
			Thumbprint:     c.Thumbprint,
			Subject:        c.Subject,
			Sessions:       c.Sessions,
			Direction:      direction(c.Direction),
			Role:           c.Role.String(),
			Issuer:         c.Issuer,
			SerialNumber:   c.SerialNumber,
			NotBefore:      c.NotBefore,
			NotAfter:       c.NotAfter,
			AlternateNames: c.AlternateNames,
		})
	}
	for _, m := range r.Malformed {
		an.Malformed = append(an.Malformed, &tlsanalysisv1.MalformedLine{File: m.File, Line: m.Line, Reason: m.Reason})
	}
	return an
}

func direction(d analysis.Direction) tlsanalysisv1.Direction {
	switch d {
	case analysis.DirectionReceive:
		return tlsanalysisv1.Direction_DIRECTION_RECEIVE
	case analysis.DirectionSend:
		return tlsanalysisv1.Direction_DIRECTION_SEND
	}
	return tlsanalysisv1.Direction_DIRECTION_UNSPECIFIED
}

func counts(c *analysis.Counts) *tlsanalysisv1.OutcomeCounts {
	return &tlsanalysisv1.OutcomeCounts{
		None:    c[analysis.OutcomeNone],
		Ssl3:    c[analysis.OutcomeSSL3],
		Tls1_0:  c[analysis.OutcomeTLS10],
		Tls1_1:  c[analysis.OutcomeTLS11],
		Tls1_2:  c[analysis.OutcomeTLS12],
		Tls1_3:  c[analysis.OutcomeTLS13],
		Unknown: c[analysis.OutcomeUnknown],
		Failed:  c[analysis.OutcomeFailed],
		Legacy:  c.Legacy(),
		Total:   c.Total(),
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
