package carc

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

//go:embed data/*.csv
var files embed.FS

var (
	loadOnce sync.Once
	loaded   *tables
)

// data returns the tables, building them on first use. The files are
// embedded and checked by the tests, so a failure is a build defect.
func data() *tables {
	loadOnce.Do(func() {
		t, err := build(files)
		if err != nil {
			panic(fmt.Sprintf("carc: embedded code lists: %v", err))
		}
		loaded = t
	})
	return loaded
}

type fileReader interface {
	ReadFile(name string) ([]byte, error)
}

// readCSV reads a CSV file with a header row, '#' comment lines allowed, and
// returns the rows as maps keyed by column name.
func readCSV(fs fileReader, name string, want ...string) ([]map[string]string, error) {
	b, err := fs.ReadFile("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r := csv.NewReader(strings.NewReader(string(b)))
	r.Comment = '#'
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := make(map[string]int, len(head))
	for i, h := range head {
		col[h] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			return nil, fmt.Errorf("%s: missing column %q", name, w)
		}
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m := make(map[string]string, len(head))
		for k, i := range col {
			m[k] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, m)
	}
	return rows, nil
}

func yesNo(file, code, col, v string) (bool, error) {
	switch v {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("%s: %s: %s must be yes or no, got %q", file, code, col, v)
}

func build(fs fileReader) (*tables, error) {
	t := &tables{
		carcs:    map[string]*Code{},
		rarcs:    map[string]*Remark{},
		groups:   map[string]*GroupCode{},
		statuses: map[string]*ClaimStatusCode{},
		plbs:     map[string]*PLBCode{},
		combos:   map[comboKey]*combo{},
	}
	if err := t.loadCARC(fs); err != nil {
		return nil, err
	}
	if err := t.loadRARC(fs); err != nil {
		return nil, err
	}
	if err := t.loadCombos(fs); err != nil {
		return nil, err
	}
	if err := t.loadSmall(fs); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *tables) loadCARC(fs fileReader) error {
	rows, err := readCSV(fs, "carc.csv", "code", "description", "start_date", "last_modified", "stop_date", "status", "notes")
	if err != nil {
		return err
	}
	for _, r := range rows {
		c := &Code{Code: r["code"], Start: r["start_date"], Modified: r["last_modified"], Stop: r["stop_date"],
			Deactivated: r["status"] == "deactivated", Notes: r["notes"]}
		c.Description, c.Usage, _ = strings.Cut(r["description"], " Usage: ")
		if c.Code == "" || t.carcs[c.Code] != nil {
			return fmt.Errorf("carc.csv: empty or repeated code %q", c.Code)
		}
		t.carcs[c.Code] = c
		t.carcOrder = append(t.carcOrder, c.Code)
	}
	const f = "carc_plain.csv"
	rows, err = readCSV(fs, f, "code", "class", "category", "refine", "appealable", "reason", "plain", "action")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		code := r["code"]
		c := t.carcs[code]
		if c == nil || seen[code] {
			return fmt.Errorf("%s: code %q is not in carc.csv or repeated", f, code)
		}
		seen[code] = true
		c.Class, c.Category = Class(r["class"]), Category(r["category"])
		if !c.Class.valid() || !c.Category.Valid() {
			return fmt.Errorf("%s: %s: bad class %q or category %q", f, code, c.Class, c.Category)
		}
		if c.Refine, err = yesNo(f, code, "refine", r["refine"]); err != nil {
			return err
		}
		if c.Appealable, err = yesNo(f, code, "appealable", r["appealable"]); err != nil {
			return err
		}
		c.Reason, c.Plain, c.Action = r["reason"], r["plain"], r["action"]
		if c.Reason == "" {
			return fmt.Errorf("%s: %s: empty reason", f, code)
		}
		if c.Plain == "" {
			c.Plain = c.Description
		}
		if c.Action == "" {
			c.Action = c.Category.DefaultAction()
		}
	}
	if len(seen) != len(t.carcs) {
		for _, k := range t.carcOrder {
			if !seen[k] {
				return fmt.Errorf("%s: CARC %s has no row", f, k)
			}
		}
	}
	return nil
}

func (t *tables) loadRARC(fs fileReader) error {
	rows, err := readCSV(fs, "rarc.csv", "code", "description", "start_date", "last_modified", "stop_date", "status", "notes")
	if err != nil {
		return err
	}
	for _, r := range rows {
		m := &Remark{Code: r["code"], Description: r["description"], Start: r["start_date"], Modified: r["last_modified"],
			Stop: r["stop_date"], Deactivated: r["status"] == "deactivated", Notes: r["notes"]}
		m.Alert = strings.HasPrefix(m.Description, "Alert:")
		m.Plain = m.Description
		if m.Code == "" || t.rarcs[m.Code] != nil {
			return fmt.Errorf("rarc.csv: empty or repeated code %q", m.Code)
		}
		t.rarcs[m.Code] = m
		t.rarcOrder = append(t.rarcOrder, m.Code)
	}
	const f = "rarc_plain.csv"
	rows, err = readCSV(fs, f, "code", "category", "reason", "plain", "action")
	if err != nil {
		return err
	}
	for _, r := range rows {
		m := t.rarcs[r["code"]]
		if m == nil || m.Curated {
			return fmt.Errorf("%s: code %q is not in rarc.csv or repeated", f, r["code"])
		}
		m.Curated = true
		m.Category = Category(r["category"])
		if m.Category != "" && !m.Category.Valid() {
			return fmt.Errorf("%s: %s: bad category %q", f, m.Code, m.Category)
		}
		m.Reason, m.Action = r["reason"], r["action"]
		if r["plain"] == "" {
			return fmt.Errorf("%s: %s: empty plain text", f, m.Code)
		}
		m.Plain = r["plain"]
		if m.Category != "" && m.Reason == "" {
			return fmt.Errorf("%s: %s: a deciding remark needs a reason", f, m.Code)
		}
	}
	return nil
}

func (t *tables) loadCombos(fs fileReader) error {
	const f = "combos.csv"
	rows, err := readCSV(fs, f, "carc", "rarc", "category", "appealable", "reason", "plain", "action")
	if err != nil {
		return err
	}
	for _, r := range rows {
		k := comboKey{r["carc"], r["rarc"]}
		c := t.carcs[k.carc]
		if c == nil || t.rarcs[k.rarc] == nil || t.combos[k] != nil {
			return fmt.Errorf("%s: %s+%s: unknown code or repeated pair", f, k.carc, k.rarc)
		}
		cb := &combo{category: Category(r["category"]), reason: r["reason"], plain: r["plain"], action: r["action"]}
		if !cb.category.Valid() || cb.reason == "" || cb.plain == "" || cb.action == "" {
			return fmt.Errorf("%s: %s+%s: bad category or empty text", f, k.carc, k.rarc)
		}
		cb.appealable = c.Appealable
		if v := r["appealable"]; v != "" {
			if cb.appealable, err = yesNo(f, k.carc+"+"+k.rarc, "appealable", v); err != nil {
				return err
			}
		}
		t.combos[k] = cb
		t.comboOrder = append(t.comboOrder, k)
	}
	return nil
}

func (t *tables) loadSmall(fs fileReader) error {
	rows, err := readCSV(fs, "group_codes.csv", "code", "name", "definition", "used_in_835_5010")
	if err != nil {
		return err
	}
	for _, r := range rows {
		t.groups[r["code"]] = &GroupCode{Code: r["code"], Name: r["name"], Definition: r["definition"],
			In5010: r["used_in_835_5010"] == "Y"}
	}
	rows, err = readCSV(fs, "claim_status.csv", "code", "description", "used_in_835_5010", "notes")
	if err != nil {
		return err
	}
	for _, r := range rows {
		t.statuses[r["code"]] = &ClaimStatusCode{Code: r["code"], Description: r["description"],
			In5010: r["used_in_835_5010"] == "Y", Notes: r["notes"]}
	}
	rows, err = readCSV(fs, "plb_reasons.csv", "code", "description", "notes")
	if err != nil {
		return err
	}
	for _, r := range rows {
		t.plbs[r["code"]] = &PLBCode{Code: r["code"], Description: r["description"], Notes: r["notes"]}
	}
	if len(t.groups) == 0 || len(t.statuses) == 0 || len(t.plbs) == 0 {
		return errors.New("a small code list is empty")
	}
	return nil
}
