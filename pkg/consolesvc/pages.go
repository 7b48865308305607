package consolesvc

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
)

// pageDef is one console route.
type pageDef struct {
	pattern string
	// public pages need no session (sign-in).
	public bool
	h      func(*req) error
}

func (s *Service) pages() []pageDef {
	return []pageDef{
		{pattern: "GET /console/{$}", h: (*req).home},
		{pattern: "GET /console/signin", public: true, h: (*req).signinForm},
		{pattern: "POST /console/signin", public: true, h: (*req).signin},
		{pattern: "POST /console/signout", h: (*req).signout},
		{pattern: "GET /console/oidc/start", public: true, h: (*req).oidcStart},
		{pattern: "GET /console/oidc/callback", public: true, h: (*req).oidcCallback},
		{pattern: "GET /console/work", h: (*req).myWork},
		{pattern: "GET /console/items/{id}", h: (*req).item},
		{pattern: "POST /console/items/{id}/act", h: (*req).itemAct},
		{pattern: "POST /console/items/{id}/note", h: (*req).itemNote},
		{pattern: "GET /console/queues", h: (*req).queues},
		{pattern: "POST /console/assign", h: (*req).assign},
		{pattern: "GET /console/reports", h: (*req).reports},
		{pattern: "GET /console/reports/{kpi}/chart.svg", h: (*req).reportChart},
		{pattern: "GET /console/reports/{kpi}/download", h: (*req).reportDownload},
		{pattern: "GET /console/admin/users", h: (*req).users},
		{pattern: "POST /console/admin/users", h: (*req).addUser},
		{pattern: "GET /console/admin/audit", h: (*req).auditLog},
		{pattern: "GET /console/remittances", h: (*req).remittances},
		{pattern: "POST /console/remittances", h: (*req).upload},
		{pattern: "GET /console/remittances/{id}", h: (*req).remittance},
		{pattern: "GET /console/claims/{id}", h: (*req).claim},
		{pattern: "GET /console/match", h: (*req).matchReview},
		{pattern: "POST /console/match", h: (*req).matchDecide},
		{pattern: "GET /console/rules", h: (*req).rules},
		{pattern: "POST /console/rules", h: (*req).saveRule},
		{pattern: "GET /console/escalations", h: (*req).escalations},
		{pattern: "GET /console/team", h: (*req).team},
		{pattern: "GET /console/reports/pack.pdf", h: (*req).reportPack},
		{pattern: "GET /console/admin/keys", h: (*req).keys},
		{pattern: "POST /console/admin/keys", h: (*req).keyAct},
		{pattern: "GET /console/admin/sharing", h: (*req).sharing},
		{pattern: "POST /console/admin/sharing", h: (*req).putSharing},
		{pattern: "GET /console/admin/payer-profiles", h: (*req).payerProfiles},
		{pattern: "POST /console/items/{id}/write-off", h: (*req).itemWriteOff},
		{pattern: "POST /console/items/{id}/appeals", h: (*req).itemAppeal},
		{pattern: "POST /console/items/{id}/appeals/{appeal}", h: (*req).itemAppealOutcome},
		{pattern: "GET /console/items/{id}/appeal.pdf", h: (*req).appealPDF},
		{pattern: "GET /console/items/{id}/appeal.txt", h: (*req).appealText},
		{pattern: "GET /console/items/{id}/corrected", h: (*req).corrected},
		{pattern: "POST /console/items/{id}/corrected", h: (*req).createCorrected},
		{pattern: "GET /console/submissions", h: (*req).submissions},
		{pattern: "GET /console/submissions/{id}/file", h: (*req).submissionFile},
		{pattern: "GET /console/billed-claims/{id}", h: (*req).billedClaim},
		{pattern: "GET /console/approvals", h: (*req).approvals},
		{pattern: "POST /console/approvals/{id}", h: (*req).decideWriteOff},
		{pattern: "GET /console/patient-share", h: (*req).patientShare},
		{pattern: "GET /console/patient-share/csv", h: (*req).patientShareCSV},
		{pattern: "POST /console/patient-share/exported", h: (*req).patientShareExported},
		{pattern: "GET /console/admin/practices", h: (*req).practices},
		{pattern: "POST /console/admin/practices", h: (*req).addPractice},
		{pattern: "GET /console/admin/practices/{practice}", h: (*req).practicePage},
		{pattern: "POST /console/admin/practices/{practice}", h: (*req).practiceAct},
		{pattern: "GET /console/admin/write-off-reasons", h: (*req).writeOffReasonsPage},
		{pattern: "POST /console/admin/write-off-reasons", h: (*req).saveReason},
	}
}

// req is one console request being served.
type req struct {
	s    *Service
	w    http.ResponseWriter
	r    *http.Request
	sess *session
	id   *auth.Identity
}

func (s *Service) page(p pageDef) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &req{s: s, w: w, r: r}
		r.Header.Del(tooLargeHeader)
		if r.Method == http.MethodPost {
			// A form's body is bounded before anything reads it: an upload
			// by the ingest's file limit, any other form (and every form
			// of a public page, sign-in included) by 1 MiB. The body was
			// read whole, to memory and temporary files, however large.
			limit := int64(maxFormBytes)
			if !p.public && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = s.opts.MaxUploadBytes
			}
			if r.ContentLength > limit {
				s.message(q, http.StatusRequestEntityTooLarge, "Too large", fmt.Sprintf("The form may hold at most %d MiB; nothing was changed.", limit>>20))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if !p.public {
			sess, err := s.loadSession(r)
			if err != nil {
				s.fail(q, err)
				return
			}
			if sess == nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				} else {
					s.message(q, http.StatusUnauthorized, "Signed out", "Your session ended (sign-out or inactivity). Sign in again; nothing was changed.")
				}
				return
			}
			u, err := auth.UserByID(r.Context(), s.db, sess.UserID)
			if errors.Is(err, auth.ErrNotFound) || (err == nil && u.Disabled) {
				_ = s.endSession(r)
				http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
				return
			}
			if err != nil {
				s.fail(q, err)
				return
			}
			q.sess, q.id = sess, u.Identity("console")
			if r.Method == http.MethodPost && !s.csrfOK(r, sess.CSRF) {
				if tooLarge(r) {
					s.message(q, http.StatusRequestEntityTooLarge, "Too large", "The form is larger than the console takes; nothing was changed.")
					return
				}
				s.log.Warn("console form refused: CSRF token", zap.String("path", r.URL.Path), zap.Int64("user_id", u.ID))
				s.message(q, http.StatusForbidden, "Form refused", "This form did not carry this session's security token (CSRF), so nothing was changed. Reload the page and try again.")
				return
			}
		}
		if err := p.h(q); err != nil {
			s.fail(q, err)
		}
	})
}

// csrfOK checks a POST: the token field must equal want, and an Origin
// header, when sent, must be this host.
func (s *Service) csrfOK(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	var got string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			markTooLarge(r, err)
			return false
		}
		if len(r.MultipartForm.File["file"]) > maxUploadFiles {
			r.Header.Set(tooLargeHeader, "1")
			return false
		}
		got = r.FormValue("csrf")
	} else {
		if err := r.ParseForm(); err != nil {
			markTooLarge(r, err)
			return false
		}
		got = r.PostFormValue("csrf")
	}
	return tokenEqual(got, want)
}

// tooLargeHeader marks (inside the request only) a form refused for its
// size.
const tooLargeHeader = "X-Remitq-Console-Too-Large"

func markTooLarge(r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || strings.Contains(err.Error(), "request body too large") {
		r.Header.Set(tooLargeHeader, "1")
	}
}

func tooLarge(r *http.Request) bool { return r.Header.Get(tooLargeHeader) != "" }

// fail answers an unexpected error (logged without request data).
func (s *Service) fail(q *req, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusNotFound:
			s.message(q, http.StatusNotFound, "Not found", "There is no such page or item, or it is outside your practices.")
			return
		case http.StatusForbidden:
			s.message(q, http.StatusForbidden, "Not allowed", "Your role may not do this: "+ae.Message)
			return
		}
		// Any other refusal of the API (a bad filter, date or id, a
		// conflict, a body too large, a rate limit) is the request's, not
		// the console's: say so with the API's words, never a 500.
		if ae.Status >= 400 && ae.Status < 500 {
			text := ae.Message
			if text == "" {
				text = "The request was refused (" + http.StatusText(ae.Status) + ")."
			}
			s.message(q, ae.Status, "Request refused", text)
			return
		}
	}
	s.log.Error("console page failed", zap.String("path", q.r.URL.Path), zap.Error(err))
	s.message(q, http.StatusInternalServerError, "Something went wrong", "The page could not be shown; it was logged. Try again.")
}

// message renders a page with one message.
func (s *Service) message(q *req, status int, title, text string) {
	q.render(status, "message", title, map[string]string{"Text": text})
}

// nav is one link of the navigation bar.
type nav struct {
	Href, Label string
	Current     bool
}

// view is what every template gets.
type view struct {
	Title string
	User  *auth.Identity
	CSRF  string
	Nav   []nav
	Flash string
	Data  any
}

func (q *req) navFor() []nav {
	if q.id == nil {
		return nil
	}
	var out []nav
	add := func(perm auth.Permission, href, label string) {
		if perm == "" || q.id.Can(perm) {
			out = append(out, nav{Href: href, Label: label, Current: strings.HasPrefix(q.r.URL.Path, href)})
		}
	}
	if q.id.Role != auth.Analyst {
		add(auth.WorkUpdate, "/console/work", "My work")
	}
	add(auth.WorkAssign, "/console/queues", "Queues")
	add(auth.WorkAssign, "/console/escalations", "Escalations")
	add(auth.TeamRead, "/console/team", "Team")
	add(auth.QueueRules, "/console/rules", "Routing rules")
	add(auth.TeamRead, "/console/reports", "Reports")
	add(auth.RemitRead, "/console/remittances", "Remittances")
	add(auth.MatchReview, "/console/match", "Match review")
	add(auth.WorkAssign, "/console/approvals", "Approvals")
	if q.id.Role != auth.Analyst {
		add(auth.WorkUpdate, "/console/submissions", "Submissions")
		add(auth.WorkPHI, "/console/patient-share", "Patient share")
	}
	add(auth.UsersManage, "/console/admin/users", "Users")
	add(auth.UsersManage, "/console/admin/practices", "Practices")
	add(auth.UsersManage, "/console/admin/write-off-reasons", "Write-off reasons")
	add(auth.UsersManage, "/console/admin/keys", "API keys")
	add(auth.UsersManage, "/console/admin/sharing", "Sharing")
	add(auth.UsersManage, "/console/admin/payer-profiles", "Payer profiles")
	add(auth.AuditRead, "/console/admin/audit", "Audit log")
	return out
}

// render writes the page name with data.
func (q *req) render(status int, name, title string, data any) {
	t := q.s.tmpl[name]
	if t == nil {
		http.Error(q.w, "no template "+name, http.StatusInternalServerError)
		return
	}
	v := view{Title: title, User: q.id, Nav: q.navFor(), Flash: flashText(q.r.URL.Query().Get("done")), Data: data}
	if q.sess != nil {
		v.CSRF = q.sess.CSRF
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		q.s.log.Error("console template failed", zap.String("template", name), zap.Error(err))
		http.Error(q.w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(status)
	_, _ = q.w.Write([]byte(b.String()))
}

// flashes are the confirmations a redirect after a form may show.
var flashes = map[string]string{
	"note":             "Note added.",
	"start":            "Marked in progress.",
	"snooze":           "Snoozed.",
	"appeal":           "Marked appealed.",
	"writeoff":         "Written off.",
	"resolve":          "Resolved.",
	"user":             "User saved.",
	"upload":           "File received.",
	"duplicate":        "This file was received before; nothing new.",
	"quarantined":      "File received but quarantined: the reasons are in the list.",
	"signedout":        "You are signed out.",
	"rule-added":       "Rule added.",
	"rule-saved":       "Rule saved.",
	"rule-deleted":     "Rule deleted.",
	"match-confirmed":  "Match confirmed.",
	"match-picked":     "Billed line picked.",
	"key-revoked":      "Key revoked.",
	"sharing":          "Sharing saved.",
	"writeoff-pending": "Write-off sent for a supervisor's approval (above the threshold); the item stays open until it is approved.",
	"appeal-outcome":   "Appeal outcome recorded.",
	"writeoff-approve": "Write-off approved.",
	"writeoff-reject":  "Write-off rejected.",
	"submitted":        "Claim created: its submission is listed below.",
	"exported":         "Rows marked exported.",
	"practice-added":   "Practice added.",
	"practice-saved":   "Practice saved.",
	"provider-saved":   "Provider saved.",
	"payer-added":      "Payer enrolled.",
	"payer-removed":    "Payer enrollment ended.",
	"threshold-saved":  "Approval threshold saved.",
	"reason-saved":     "Reason saved.",
}

func flashText(code string) string { return flashes[code] }

// redirect answers a form with a redirect to path (Post/Redirect/Get).
func (q *req) redirect(path string) error {
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
	return nil
}

// home sends the user to the page of their role.
func (q *req) home() error {
	switch q.id.Role {
	case auth.Admin:
		return q.redirect("/console/admin/users")
	case auth.Supervisor:
		return q.redirect("/console/queues")
	case auth.Analyst:
		return q.redirect("/console/reports")
	}
	return q.redirect("/console/work")
}

// signinForm shows the sign-in form with a fresh pre-session CSRF token.
func (q *req) signinForm() error {
	return q.showSignin(http.StatusOK, "")
}

func (q *req) showSignin(status int, problem string) error {
	tok := randomToken()
	q.s.setCookie(q.w, q.r, signinCookie, tok, 600)
	next := safeNext(q.r.FormValue("next"))
	oidc := ""
	if q.s.opts.OIDC != nil {
		oidc = "/console/oidc/start?next=" + url.QueryEscape(next)
	}
	q.render(status, "signin", "Sign in", map[string]string{"Token": tok, "Next": next, "Problem": problem,
		"Email": q.r.PostFormValue("email"), "OIDC": oidc})
	return nil
}

// signin checks a local account's password and starts a session.
func (q *req) signin() error {
	c, err := q.r.Cookie(signinCookie)
	if err != nil || !q.s.csrfOK(q.r, c.Value) {
		q.s.message(q, http.StatusForbidden, "Form refused", "The sign-in form expired or did not come from this site. Reload it and try again.")
		return nil
	}
	email := q.r.PostFormValue("email")
	who, addr := strings.ToLower(strings.TrimSpace(email)), q.s.api.RemoteAddr(q.r)
	if wait := q.s.fails.blocked(who, addr, q.s.opts.Now()); wait > 0 {
		q.w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		q.s.log.Warn("console sign-in throttled")
		return q.showSignin(http.StatusTooManyRequests, "Too many wrong passwords for this email from here; wait a few minutes and try again.")
	}
	u, err := checkPassword(q.r.Context(), q.s.db, email, q.r.PostFormValue("password"))
	if errors.Is(err, ErrBadLogin) {
		q.s.fails.fail(who, addr, q.s.opts.Now())
		q.s.log.Info("console sign-in refused")
		return q.showSignin(http.StatusUnauthorized, "The email or password is wrong.")
	}
	if err != nil {
		return err
	}
	secret, err := q.s.newSession(q.r.Context(), u.ID, "password")
	if err != nil {
		return err
	}
	q.s.setCookie(q.w, q.r, signinCookie, "", -1)
	q.s.setCookie(q.w, q.r, SessionCookie, secret, 0)
	q.s.log.Info("console sign-in", zap.Int64("user_id", u.ID))
	next := safeNext(q.r.PostFormValue("next"))
	return q.redirect(next)
}

// signout ends the session.
func (q *req) signout() error {
	if err := q.s.endSession(q.r); err != nil {
		return err
	}
	q.s.setCookie(q.w, q.r, SessionCookie, "", -1)
	return q.redirect("/console/signin?done=signedout")
}

// parseTemplates reads every page template with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	names := []string{"message", "continue", "signin", "work", "item", "queues", "reports", "users", "audit", "remittances",
		"rules", "escalations", "match", "file", "claim", "keys", "sharing", "profiles", "team",
		"corrected", "submissions", "billedclaim", "approvals", "patientshare", "practices", "practice", "reasons"}
	out := map[string]*template.Template{}
	for _, n := range names {
		t, err := template.New(n).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

// safeNext is where a sign-in may send the user on: a path of the console
// that stays one once cleaned, without backslashes or control characters,
// else the console's home. "/console/../\\evil.example" passed a prefix
// check and http.Redirect cleaned it to "/\\evil.example", which browsers
// follow to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\") {
		return Prefix
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return Prefix
		}
	}
	p, _, _ := strings.Cut(next, "?")
	p, _, _ = strings.Cut(p, "#")
	if c := path.Clean(p); c != "/console" && !strings.HasPrefix(c, Prefix) {
		return Prefix
	}
	if strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "//") {
		return Prefix
	}
	return next
}
