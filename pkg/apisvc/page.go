package apisvc

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/remitq/remitq/pkg/auth"
)

// sortKey is one way a list may be ordered: by expr (an SQL expression of
// type typ, never NULL) then by the row id, both ascending; "-name" orders
// both descending.
type sortKey struct {
	name string
	expr string
	typ  string // bigint, numeric, date, timestamptz, integer
}

// cursor is the opaque position after the last row of a page.
type cursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 {
		return c, badRequest("the cursor is not one this API gave")
	}
	return c, nil
}

// pager is the paging of one list request.
type pager struct {
	sort  sortKey
	desc  bool
	name  string // as requested, with "-" for descending
	limit int
	after *cursor
}

// Limits of ?limit=.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// newPager reads ?sort=, ?cursor= and ?limit= against the list's keys;
// the first key is the default.
func newPager(q url.Values, keys ...sortKey) (*pager, error) {
	p := &pager{sort: keys[0], name: keys[0].name, limit: defaultLimit}
	if s := q.Get("sort"); s != "" {
		name, desc := strings.CutPrefix(s, "-")
		found := false
		for _, k := range keys {
			if k.name == name {
				p.sort, p.desc, p.name, found = k, desc, s, true
			}
		}
		if !found {
			var names []string
			for _, k := range keys {
				names = append(names, k.name)
			}
			return nil, badRequest("sort must be one of %s (prefix - for descending)", strings.Join(names, ", "))
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return nil, badRequest("limit must be 1..%d", maxLimit)
		}
		p.limit = n
	}
	if s := q.Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			return nil, err
		}
		if c.Sort != p.name {
			return nil, badRequest("the cursor belongs to sort %q; repeat that sort or start over", c.Sort)
		}
		if err := p.sort.checkKey(c.Key); err != nil {
			return nil, err
		}
		p.after = &c
	}
	return p, nil
}

// Shapes of the text of sort keys, by type: a cursor whose key does not
// have its sort's shape was not made by this API.
var keyShapes = map[string]*regexp.Regexp{
	"bigint":      regexp.MustCompile(`^-?[0-9]{1,19}$`),
	"integer":     regexp.MustCompile(`^-?[0-9]{1,10}$`),
	"numeric":     regexp.MustCompile(`^-?[0-9]{1,20}(\.[0-9]{1,10})?$`),
	"date":        regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2}|-?infinity)$`),
	"timestamptz": regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}(:?[0-9]{2})?|Z)?$`),
	"text":        regexp.MustCompile(`^.{0,200}$`),
}

// checkKey refuses a cursor key that is not of the sort's type (a
// tampered cursor is the caller's error, not the database's).
func (k sortKey) checkKey(key string) error {
	re, ok := keyShapes[k.typ]
	if !ok || !re.MatchString(key) {
		return badRequest("the cursor is not one this API gave")
	}
	// The shape is not enough: the value must be one PostgreSQL takes
	// (an id beyond bigint, hour 99, year 0, a NUL answered 500).
	if !keyValueOK(k.typ, key) {
		return badRequest("the cursor is not one this API gave")
	}
	return nil
}

// timestampLayouts are the spellings of a timestamptz sort key (as
// PostgreSQL prints it, or RFC 3339), after a "T" is read as a space.
var timestampLayouts = []string{"2006-01-02 15:04:05.999999Z07", "2006-01-02 15:04:05.999999Z07:00",
	"2006-01-02 15:04:05.999999Z0700", "2006-01-02 15:04:05.999999"}

// keyValueOK reports whether key, of the shape of typ, is a value of typ.
func keyValueOK(typ, key string) bool {
	switch typ {
	case "bigint":
		_, err := strconv.ParseInt(key, 10, 64)
		return err == nil
	case "integer":
		_, err := strconv.ParseInt(key, 10, 32)
		return err == nil
	case "date":
		if strings.HasSuffix(key, "infinity") {
			return true
		}
		t, err := time.Parse(time.DateOnly, key)
		return err == nil && t.Year() >= 1
	case "timestamptz":
		v := strings.Replace(key, "T", " ", 1)
		for _, l := range timestampLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t.Year() >= 1
			}
		}
		return false
	case "text":
		return utf8.ValidString(key) && !strings.ContainsRune(key, 0)
	}
	return true
}

// keyCol is the select-list item that reads the sort key of a row.
func (p *pager) keyCol() string { return "(" + p.sort.expr + ")::text" }

// where returns the keyset condition ("" on the first page).
func (p *pager) where(idCol string, args *auth.Args) string {
	if p.after == nil {
		return ""
	}
	op := ">"
	if p.desc {
		op = "<"
	}
	return "((" + p.sort.expr + "), " + idCol + ") " + op + " (" + args.Add(p.after.Key) + "::" + p.sort.typ + ", " + args.Add(p.after.ID) + "::bigint)"
}

// orderLimit is the ORDER BY and LIMIT clause (one row more than the page,
// to know whether another page follows).
func (p *pager) orderLimit(idCol string) string {
	dir := ""
	if p.desc {
		dir = " DESC"
	}
	return " ORDER BY (" + p.sort.expr + ")" + dir + ", " + idCol + dir + " LIMIT " + strconv.Itoa(p.limit+1)
}

// next trims the extra row and returns the cursor of the next page ("" on
// the last page). keys and ids are the rows' sort keys and ids.
func (p *pager) next(n int, key func(i int) (string, int64)) (int, string) {
	if n <= p.limit {
		return n, ""
	}
	k, id := key(p.limit - 1)
	return p.limit, cursor{Sort: p.name, Key: k, ID: id}.encode()
}

// Page is the envelope of every list answer.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
