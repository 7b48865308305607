package matchsvc

import (
	"slices"

	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchstore"
)

// entryOf makes the timeline entry of a stored claim.
func entryOf(s *matchstore.Stored) *priorEntry {
	c := &s.Claim
	p := &match.Prior{Ref: c.Pos.Ref(), Practice: matchstore.FmtID(c.PracticeID), Payer: c.Payer, PatientControl: c.PCN,
		PayerControl: c.PayerControl, Status: c.Status, Key: c.ClaimKey,
		Duplicate: slices.Contains(c.Flags, string(match.FlagDuplicateRemit))}
	if c.BilledClaimID != 0 {
		p.Billed = &match.Billed{ClaimID: c.BilledClaimID, PatientControl: c.BilledPCN}
	}
	e := &priorEntry{Pos: c.Pos, Prior: p, reversal: c.Status == "22", lineSegs: map[int]int32{}}
	if c.Status == "22" && c.Nets != (matchstore.Pos{}) {
		e.Nets = c.Nets.Ref()
	}
	for _, l := range s.Lines {
		e.lineSegs[l.SvcIndex] = l.Pos.Seg
		if l.SvcIndex == 0 {
			continue
		}
		pl := match.PriorLine{Index: l.SvcIndex, Procedure: l.Procedure, Modifiers: l.Modifiers, ServiceDate: l.ServiceDate,
			Units: l.Units, Charge: l.Charge, Paid: l.Paid, Confidence: l.Confidence}
		if l.BilledClaimID != 0 {
			pl.Billed = &match.Billed{ClaimID: l.BilledClaimID, PatientControl: l.BilledPCN, LineID: l.BilledLineID,
				LineNumber: l.BilledLineNumber}
		}
		p.Lines = append(p.Lines, pl)
	}
	return e
}
