package carc

import (
	"fmt"
	"sync"
)

// The 277CA code lists: claim status category codes (X12 code source 507,
// STC01-1) and claim status codes (code source 508, STC01-2). They are
// separate from ClaimStatus, which reads the 835's CLP02 codes.

var (
	statusOnce sync.Once
	statusTabs struct {
		category map[string]string
		code     map[string]string
	}
)

// statusTables returns the 507 and 508 tables, building them on first use.
// The files are embedded and checked by the tests, so a failure is a build defect.
func statusTables() (category, code map[string]string) {
	statusOnce.Do(func() {
		var err error
		if statusTabs.category, err = loadPairs(files, "status_category.csv"); err == nil {
			statusTabs.code, err = loadPairs(files, "status_code.csv")
		}
		if err != nil {
			panic(fmt.Sprintf("carc: embedded code lists: %v", err))
		}
	})
	return statusTabs.category, statusTabs.code
}

// loadPairs reads a code,description file into a map; a repeated or empty
// code is an error.
func loadPairs(fs fileReader, name string) (map[string]string, error) {
	rows, err := readCSV(fs, name, "code", "description")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		c := r["code"]
		if c == "" || r["description"] == "" {
			return nil, fmt.Errorf("%s: row with an empty code or description", name)
		}
		if _, dup := m[c]; dup {
			return nil, fmt.Errorf("%s: code %q repeated", name, c)
		}
		m[c] = r["description"]
	}
	return m, nil
}

// StatusCategory returns the published text of a claim status category code
// (code source 507, the 277CA STC01-1: "A3", "A7", ...) and whether the code
// is in the list. Surrounding spaces and letter case are ignored.
func StatusCategory(code string) (string, bool) {
	cat, _ := statusTables()
	d, ok := cat[norm(code)]
	return d, ok
}

// StatusCode returns the published text of a claim status code (code source
// 508, the 277CA STC01-2: "21", "562", ...) and whether the code is in the
// list. Leading zeros are ignored ("021" is 21). Many texts end in a
// "Usage:" sentence for the payer, kept as published.
func StatusCode(code string) (string, bool) {
	_, codes := statusTables()
	c := norm(code)
	for len(c) > 1 && c[0] == '0' {
		c = c[1:]
	}
	d, ok := codes[c]
	return d, ok
}

// RejectedCategory reports whether a claim status category code says the
// claim was not accepted into adjudication (A3, A4, A6, A7, A8).
func RejectedCategory(code string) bool {
	switch norm(code) {
	case "A3", "A4", "A6", "A7", "A8":
		return true
	}
	return false
}
