package apisvc

import (
	"regexp"
	"strings"

	"github.com/remitq/remitq/pkg/route"
)

// ItemRoute is the router's recommended route of a work item as the
// detail answers it, and whether an appeal packet can be built for it.
type ItemRoute struct {
	// Appealable: the route is an appeal, or the dispute of an
	// underpayment (which payers take as an appeal).
	Appealable bool `json:"appealable"`
	// Route is appeal, dispute, reopening, corrected_claim, new_claim,
	// resubmit, bill_patient, write_off or link (an unmatched remittance).
	Route string `json:"route"`
}

// routeVerb reads the router's "; <what> by YYYY-MM-DD" in an item's text
// (pkg/route's deadlineVerb): the route the payer profile gave the item
// when it was routed. The route itself is not stored on the item.
var routeVerb = regexp.MustCompile(`; ([a-z][^;]*?) by \d{4}-\d{2}-\d{2}`)

// itemRoute computes the route of it from what the item stores: its kind,
// the router's text (the payer profile's route, written when routed), its
// action, and else the decisive CARC and category as the appeal packet's
// builder reads them (itemCause).
func itemRoute(it *WorkItem) ItemRoute {
	if it.Kind == "unmatched_remittance" {
		return ItemRoute{Route: "link"}
	}
	if it.Kind == "underpayment" {
		return ItemRoute{Appealable: true, Route: route.RouteDispute}
	}
	act := strings.ToLower(it.Action)
	if strings.HasPrefix(act, "write off") || strings.HasPrefix(act, "write it off") {
		return ItemRoute{Route: route.RouteWriteOff}
	}
	if strings.HasPrefix(act, "correct") || strings.HasPrefix(act, "send a corrected claim") || strings.HasPrefix(act, "resubmit") {
		return ItemRoute{Route: route.RouteCorrectedClaim}
	}
	if m := routeVerb.FindStringSubmatch(it.Text); m != nil {
		v := m[1]
		switch {
		case strings.HasPrefix(v, "appeal"):
			return ItemRoute{Appealable: true, Route: route.RouteAppeal}
		case strings.HasPrefix(v, "dispute"):
			return ItemRoute{Appealable: true, Route: route.RouteDispute}
		case strings.HasPrefix(v, "request the reopening"):
			return ItemRoute{Route: route.RouteReopening}
		case strings.HasPrefix(v, "send the corrected claim"):
			return ItemRoute{Route: route.RouteCorrectedClaim}
		case strings.HasPrefix(v, "submit the new claim"):
			return ItemRoute{Route: route.RouteNewClaim}
		case strings.HasPrefix(v, "resubmit"):
			return ItemRoute{Route: "resubmit"}
		case strings.HasPrefix(v, "act"):
			if strings.Contains(act, "bill the patient") || strings.Contains(act, "patient") {
				return ItemRoute{Route: route.RouteBillPatient}
			}
			return ItemRoute{Route: route.RouteWriteOff}
		}
	}
	if c := itemCause(it, ""); c.Appealable {
		return ItemRoute{Appealable: true, Route: route.RouteAppeal}
	}
	return ItemRoute{Route: "resubmit"}
}
