package consolesvc

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/rulesstore"
)

type apiKey struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// keys lists the API keys of a user (the signed-in one; an admin may
// choose another) with the forms to create and revoke one.
func (q *req) keys() error {
	return q.showKeys(http.StatusOK, "", "")
}

// showKeys renders the keys page; secret is a key just created, shown
// this once and never stored by the console.
func (q *req) showKeys(status int, problem, secret string) error {
	in := q.r.URL.Query()
	if q.r.Method == http.MethodPost {
		in = q.r.PostForm
	}
	user := itoa(q.id.UserID)
	if v := in.Get("user_id"); v != "" && q.id.Can(auth.UsersManage) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			user = itoa(n)
		}
	}
	var ks page[apiKey]
	if err := q.s.getJSON(q.r, q.id, "/v1/api-keys", url.Values{"user_id": {user}, "limit": {"200"}}, &ks); err != nil {
		return err
	}
	var users []userRow
	if q.id.Can(auth.UsersManage) {
		var us page[userRow]
		if err := q.s.getJSON(q.r, q.id, "/v1/users", url.Values{"limit": {"500"}}, &us); err != nil {
			return err
		}
		users = us.Items
	}
	// A page showing a new key's secret must not be kept anywhere: the
	// console's pages are no-store already.
	q.render(status, "keys", "API keys", map[string]any{"Keys": ks.Items, "User": user, "Users": users, "Problem": problem,
		"Secret": secret, "Now": q.s.opts.Now()})
	return nil
}

// keyAct creates (action=create) or revokes (action=revoke) an API key.
func (q *req) keyAct() error {
	f := q.r.PostForm
	switch f.Get("action") {
	case "create":
		name := strings.TrimSpace(f.Get("name"))
		if name == "" {
			return q.showKeys(http.StatusBadRequest, "Name the key (what it is for).", "")
		}
		ttl := 0
		if v := strings.TrimSpace(f.Get("ttl_days")); v != "" {
			d, err := strconv.Atoi(v)
			if err != nil || d < 0 || d > 730 {
				return q.showKeys(http.StatusBadRequest, "The key lasts 0 (no expiry) to 730 days.", "")
			}
			ttl = d * 24
		}
		body := map[string]any{"name": name, "ttl_hours": ttl}
		if v := f.Get("user_id"); v != "" && v != itoa(q.id.UserID) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return q.showKeys(http.StatusBadRequest, "Choose whose key it is.", "")
			}
			body["user_id"] = n
		}
		var out struct {
			Key string `json:"key"`
		}
		err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/api-keys", Body: body}, &out)
		if p, rest := userMistake(err); p != "" {
			return q.showKeys(http.StatusBadRequest, p, "")
		} else if rest != nil {
			return rest
		}
		return q.showKeys(http.StatusCreated, "", out.Key)
	case "revoke":
		id := f.Get("id")
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 || itoa(n) != id {
			return &apiError{Status: http.StatusNotFound}
		}
		if err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodDelete, Path: "/v1/api-keys/" + id}, nil); err != nil {
			return err
		}
		v := url.Values{"done": {"key-revoked"}}
		if u := f.Get("user_id"); u != "" {
			v.Set("user_id", u)
		}
		return q.redirect("/console/admin/keys?" + v.Encode())
	}
	return q.showKeys(http.StatusBadRequest, "Unknown action.", "")
}

type workSettings struct {
	AutoReleaseBusinessDays int      `json:"auto_release_business_days"`
	SLABusinessDays         int      `json:"sla_business_days"`
	AppealWarningDays       int      `json:"appeal_warning_days"`
	Holidays                []string `json:"holidays"`
}

// sharing shows the rules' history-sharing policy and its groups, and the
// work settings; an admin changes the policy's switches here.
func (q *req) sharing() error {
	return q.showSharing(http.StatusOK, "")
}

func (q *req) showSharing(status int, problem string) error {
	var p rulesstore.Policy
	if err := q.s.getJSON(q.r, q.id, "/v1/sharing", nil, &p); err != nil {
		return err
	}
	var ws workSettings
	if err := q.s.getJSON(q.r, q.id, "/v1/settings/work", nil, &ws); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(status, "sharing", "Sharing and settings", map[string]any{"Policy": p, "Work": ws, "Labels": labels, "Problem": problem})
	return nil
}

// putSharing sets the policy's two switches.
func (q *req) putSharing() error {
	f := q.r.PostForm
	body := map[string]bool{"cross_practice": f.Get("cross_practice") == "true", "same_tin": f.Get("same_tin") == "true"}
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPut, Path: "/v1/sharing", Body: body}, nil)
	if p, rest := userMistake(err); p != "" {
		return q.showSharing(http.StatusBadRequest, p)
	} else if rest != nil {
		return rest
	}
	return q.redirect("/console/admin/sharing?done=sharing")
}

// payerProfiles shows the payer profiles (shipped and stored versions)
// and which payer uses which, read-only.
func (q *req) payerProfiles() error {
	var ps struct {
		Profiles []rulesstore.StoredProfile `json:"profiles"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/payer-profiles", nil, &ps); err != nil {
		return err
	}
	var m struct {
		Payers []rulesstore.PayerMapping `json:"payers"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/payer-profile-map", nil, &m); err != nil {
		return err
	}
	usedBy := map[string][]string{}
	for _, x := range m.Payers {
		usedBy[x.Profile] = append(usedBy[x.Profile], x.Payer)
	}
	q.render(http.StatusOK, "profiles", "Payer profiles", map[string]any{"Profiles": ps.Profiles, "Map": m.Payers, "UsedBy": usedBy,
		"Show": q.r.URL.Query().Get("id")})
	return nil
}
