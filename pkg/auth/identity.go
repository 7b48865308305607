package auth

import (
	"context"
	"fmt"
	"slices"
	"strconv"
)

// Role is what a user does; it decides the permissions (see Can).
type Role string

// The roles of users.users.role.
const (
	Admin      Role = "admin"      // everything, every practice
	Supervisor Role = "supervisor" // queues, assignment, rules, team figures, in scope
	Biller     Role = "biller"     // works items, in scope
	Analyst    Role = "analyst"    // reads figures and lists without PHI, changes nothing
)

// Roles lists every role.
func Roles() []Role { return []Role{Admin, Supervisor, Biller, Analyst} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Permission is one thing an endpoint needs.
type Permission string

// Permissions. Which role holds which is the table in Can.
const (
	WorkRead    Permission = "work.read"    // list work items and queues (no PHI)
	WorkPHI     Permission = "work.phi"     // read an item's claim view and notes (PHI)
	WorkUpdate  Permission = "work.update"  // notes, status, snooze
	WorkAssign  Permission = "work.assign"  // assign and reassign items to billers
	QueueRules  Permission = "queue.rules"  // change routing rules
	TeamRead    Permission = "team.read"    // billers' open work, throughput, aging
	RemitRead   Permission = "remit.read"   // remittance files: status, counts, errors (no PHI)
	RemitPHI    Permission = "remit.phi"    // claims and lines of remittances (PHI)
	RemitRaw    Permission = "remit.raw"    // download a raw 835 file
	RemitUpload Permission = "remit.upload" // send 835 files
	MatchReview Permission = "match.review" // confirm or change a proposed match
	AuditRead   Permission = "audit.read"   // read the audit log
	UsersManage Permission = "users.manage" // users, scopes, API keys of others
	UsersRead   Permission = "users.read"   // list users in scope
	LoadAny     Permission = "load.any"     // load fee schedules (any payer, every practice)
	ClaimsLoad  Permission = "claims.load"  // load billed claims of practices in scope
	ChangeAny   Permission = "change"       // any request that changes something
)

var grants = map[Role][]Permission{
	Admin: {WorkRead, WorkPHI, WorkUpdate, WorkAssign, QueueRules, TeamRead, RemitRead, RemitPHI, RemitRaw,
		RemitUpload, MatchReview, AuditRead, UsersManage, UsersRead, LoadAny, ClaimsLoad, ChangeAny},
	Supervisor: {WorkRead, WorkPHI, WorkUpdate, WorkAssign, QueueRules, TeamRead, RemitRead, RemitPHI,
		RemitUpload, MatchReview, UsersRead, ClaimsLoad, ChangeAny},
	Biller:  {WorkRead, WorkPHI, WorkUpdate, RemitRead, RemitPHI, RemitUpload, MatchReview, ClaimsLoad, ChangeAny},
	Analyst: {WorkRead, TeamRead, RemitRead},
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[r], p) }

// Scope is what a non-admin user may see: one practice, or one rendering
// provider (NPI) of it.
type Scope struct {
	PracticeID  int64  `json:"practice_id"`
	ProviderNPI string `json:"provider_npi,omitempty"` // "" = the whole practice
}

// String renders the scope as the command line takes it: "ID" or "ID:NPI".
func (s Scope) String() string {
	if s.ProviderNPI == "" {
		return strconv.FormatInt(s.PracticeID, 10)
	}
	return strconv.FormatInt(s.PracticeID, 10) + ":" + s.ProviderNPI
}

// ParseScope reads "ID" or "ID:NPI".
func ParseScope(s string) (Scope, error) {
	id, npi := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			id, npi = s[:i], s[i+1:]
			break
		}
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Scope{}, fmt.Errorf("auth: scope %q: want PRACTICE_ID or PRACTICE_ID:NPI", s)
	}
	if npi != "" && !validNPIShape(npi) {
		return Scope{}, fmt.Errorf("auth: scope %q: the NPI must be 10 digits", s)
	}
	return Scope{PracticeID: n, ProviderNPI: npi}, nil
}

func validNPIShape(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Identity is the authenticated caller of a request.
type Identity struct {
	UserID int64   `json:"user_id"`
	Email  string  `json:"email"`
	Name   string  `json:"name"`
	Role   Role    `json:"role"`
	Scopes []Scope `json:"scopes"`
	// Method is how the caller proved who it is: "jwt" or "api_key".
	Method string `json:"method"`
	// KeyID is the API key's id when Method is "api_key".
	KeyID int64 `json:"key_id,omitempty"`
}

// Actor is the caller's name in audit rows and work-item events:
// "user:<id>".
func (id *Identity) Actor() string { return "user:" + strconv.FormatInt(id.UserID, 10) }

// Can reports whether the caller's role holds p.
func (id *Identity) Can(p Permission) bool { return id != nil && id.Role.Can(p) }

// All reports whether the caller sees every practice (admins).
func (id *Identity) All() bool { return id.Role == Admin }

// Sees reports whether a row of practice practiceID and rendering provider
// npi is in the caller's scope. It is the in-memory twin of Where, for
// checks on one row already read with Where (such as an assignee's scope).
func (id *Identity) Sees(practiceID int64, npi string) bool {
	if id.All() {
		return true
	}
	for _, s := range id.Scopes {
		if s.PracticeID == practiceID && (s.ProviderNPI == "" || s.ProviderNPI == npi) {
			return true
		}
	}
	return false
}

// SeesPractice reports whether the caller sees the whole practice (not only
// some of its providers).
func (id *Identity) SeesPractice(practiceID int64) bool {
	if id.All() {
		return true
	}
	for _, s := range id.Scopes {
		if s.PracticeID == practiceID && s.ProviderNPI == "" {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity NewContext (or the middleware) put in
// ctx, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}
