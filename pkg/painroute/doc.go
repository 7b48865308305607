// Package painroute plugs the interventional pain-management rules
// (pkg/rules) into the denial router (pkg/route): a route.Sharpener that
// turns a denial's codes into the rule that explains it on the patient's
// history, e.g. CARC 119 on 64635 into "third lumbar RFA session in 12
// months (2026-01-10, 2026-06-02 at another practice)", category
// frequency_limit.
//
// It is pure: the billed lines and the history come through the Lookup and
// rules.History interfaces, which the router service fills from PostgreSQL
// and the offline command from 837 files.
package painroute
