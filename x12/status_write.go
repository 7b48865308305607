package x12

import (
	"errors"
	"strconv"
)

// DefaultStatusImplementation is the ST03 WriteStatus writes when
// StatusReport.Implementation is empty.
const DefaultStatusImplementation = "005010X214"

// WriteStatus writes one 277CA transaction set (ST…SE): the BHT from rep,
// then records in order — each *StatusEntity as an HL level (2000A, 2000B,
// 2000C by Level, under its Parent) with its NM1, TRN, DTP, STC, REF, QTY
// and AMT, and each *StatusClaim as a 2000D HL under its Provider with its
// NM1, TRN, STC, REF, DTP and 2220D lines. A parent must come before its
// children, as StatusReader returns them. Reading the output with
// StatusReader gives back equal values (but for positions).
func WriteStatus(w *Writer, rep *StatusReport, records []StatusRecord) error {
	if rep == nil {
		return errors.New("x12: WriteStatus: no report header")
	}
	impl := rep.Implementation
	if impl == "" {
		impl = DefaultStatusImplementation
	}
	ids := map[*StatusEntity]int{}
	hasChild := map[*StatusEntity]bool{}
	for _, r := range records {
		switch v := r.(type) {
		case *StatusEntity:
			if v.Parent != nil {
				hasChild[v.Parent] = true
			}
		case *StatusClaim:
			if v.Provider != nil {
				hasChild[v.Provider] = true
			}
		}
	}
	if err := w.BeginTransaction("277", rep.Control, impl); err != nil {
		return err
	}
	e := &segEncoder{w: w}
	e.seg("BHT", rep.Structure, rep.Purpose, rep.Reference, dateX12(rep.Date), rep.Time, rep.Type)
	n := 0
	parentID := func(p *StatusEntity) (string, error) {
		if p == nil {
			return "", nil
		}
		id, ok := ids[p]
		if !ok {
			return "", errors.New("x12: WriteStatus: a level or claim comes before its parent level")
		}
		return strconv.Itoa(id), nil
	}
	for _, r := range records {
		n++
		switch v := r.(type) {
		case *StatusEntity:
			up, err := parentID(v.Parent)
			if err != nil {
				return err
			}
			ids[v] = n
			child := "0"
			if hasChild[v] {
				child = "1"
			}
			e.seg("HL", strconv.Itoa(n), up, v.Level, child)
			e.name(v.Name)
			if v.Trace != "" || v.TraceQ != "" {
				e.seg("TRN", v.TraceQ, v.Trace)
			}
			if v.ReceivedDate != "" {
				e.seg("DTP", "050", "D8", dateX12(v.ReceivedDate))
			}
			if v.ProcessDate != "" {
				e.seg("DTP", "009", "D8", dateX12(v.ProcessDate))
			}
			e.statuses(v.Statuses)
			for _, ref := range v.Refs {
				e.seg("REF", ref.Qualifier, ref.Value)
			}
			for _, q := range v.Quantities {
				e.seg("QTY", q.Qualifier, q.Quantity.String())
			}
			for _, a := range v.Amounts {
				e.seg("AMT", a.Qualifier, a.Amount.X12())
			}
		case *StatusClaim:
			up, err := parentID(v.Provider)
			if err != nil {
				return err
			}
			e.seg("HL", strconv.Itoa(n), up, "PT")
			e.name(v.Patient)
			e.seg("TRN", "2", v.PatientControlNumber)
			e.statuses(v.Statuses)
			for _, ref := range []Ref{{"1K", v.PayerClaimNumber}, {"D9", v.ClearinghouseTrace},
				{"BLT", v.BillType}, {"EA", v.MedicalRecord}} {
				if ref.Value != "" {
					e.seg("REF", ref.Qualifier, ref.Value)
				}
			}
			for _, ref := range v.Refs {
				e.seg("REF", ref.Qualifier, ref.Value)
			}
			e.serviceDate(v.ServiceFrom, v.ServiceTo)
			for _, l := range v.Lines {
				units := ""
				if l.Units != nil {
					units = l.Units.String()
				}
				parts := append([]string{l.Procedure.Qualifier, l.Procedure.Code}, l.Procedure.Modifiers...)
				if l.Procedure.Description != "" {
					for len(parts) < 6 {
						parts = append(parts, "")
					}
					parts = append(parts, l.Procedure.Description)
				}
				e.seg("SVC", w.Composite(parts...), l.Charge.X12(), "", l.RevenueCode, "", "", units)
				e.statuses(l.Statuses)
				if l.LineControl != "" {
					e.seg("REF", "FJ", l.LineControl)
				}
				e.serviceDate(l.ServiceFrom, l.ServiceTo)
			}
		default:
			return errors.New("x12: WriteStatus: a record that is neither a level nor a claim")
		}
	}
	if e.err != nil {
		return e.err
	}
	return w.EndTransaction()
}

func (e *segEncoder) name(n Name) {
	if n != (Name{}) {
		e.seg("NM1", n.Entity, n.Type, n.Last, n.First, n.Middle, "", n.Suffix, n.IDQualifier, n.ID)
	}
}

func (e *segEncoder) statuses(list []StatusInfo) {
	for _, s := range list {
		el := make([]string, 12)
		for i, c := range s.Codes {
			if i > 2 {
				e.err = errors.New("x12: WriteStatus: more than three status composites in one STC")
				return
			}
			el[[]int{0, 9, 10}[i]] = e.w.Composite(c.Category, c.Code, c.Entity)
		}
		el[1], el[2] = dateX12(s.Date), s.Action
		if s.Charge != nil {
			el[3] = s.Charge.X12()
		}
		el[11] = s.FreeText
		e.seg("STC", el...)
	}
}

func (e *segEncoder) serviceDate(from, to Date) {
	switch {
	case from == "":
	case to == "" || to == from:
		e.seg("DTP", "472", "D8", dateX12(from))
	default:
		e.seg("DTP", "472", "RD8", dateX12(from)+"-"+dateX12(to))
	}
}
