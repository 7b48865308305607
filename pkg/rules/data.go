package rules

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/*.csv
var embedded embed.FS

// Data file names. ncci_ptp_*.csv may be several files (they are merged);
// the others are one file each. Every file starts with "# key: value"
// comment lines; "# label:" is required and is what findings print as their
// source (e.g. "NCCI PTP 2024-07").
const (
	FileProcedures = "procedures.csv"
	FileCaps       = "caps.csv"
	FileParams     = "params.csv"
	FileRules      = "rules.csv"
	FileCARC       = "carc_rules.csv"
	FileMUE        = "ncci_mue.csv"
	FileAOC        = "ncci_aoc.csv"
	FilePTPGlob    = "ncci_ptp_*.csv"
)

// FileInfo describes one loaded data file: its name and the metadata of its
// header comments (label, origin, effective date, ...).
type FileInfo struct {
	Name  string            `json:"name"`
	Label string            `json:"label"`
	Meta  map[string]string `json:"meta"`
	Rows  int               `json:"rows"`
}

// Proc is what the rules know of one procedure code (procedures.csv).
type Proc struct {
	Code   string
	Family string // esi_interlaminar, esi_transforaminal, facet, rfa, scs_trial, scs_permanent, pump, trigger_point, udt_presumptive, udt_definitive, em, imaging, ...
	Region string // cervical_thoracic, lumbar_sacral or ""
	AddOn  bool
	// Bilateral is +1 when modifier 50 is allowed, -1 when it never is, 0
	// when the table does not say (not checked).
	Bilateral   int8
	Imaging     string // included, without, separate or ""
	Global      string // 000, 010, 090, XXX, ZZZ
	PriorAuth   bool   // prior authorization expected by default
	Description string
	Source      string
}

type ptpEdit struct {
	indicator byte // '0', '1', '9'
	rationale string
}

type mueEdit struct {
	units     int // whole units
	mai       int // 1 per line, 2 per day (policy), 3 per day (clinical)
	rationale string
}

type aocEdit struct {
	primaries []string
	typ       int // 1: only with the listed primaries; 2: no list; 3: listed primaries and others
}

// capRule is one row of caps.csv.
type capRule struct {
	Key       string
	Families  []string
	PerRegion bool
	Cap       int
	Window    int
	Severity  Severity
	Name      string
	Source    string
}

type ruleInfo struct {
	Category string
	Severity Severity
	Source   string
}

type param struct {
	value  string
	source string
}

// data is the loaded tables; it is never modified after load.
type data struct {
	files  []FileInfo
	procs  map[string]*Proc
	ptp    map[[2]string]ptpEdit
	mue    map[string]mueEdit
	aoc    map[string]*aocEdit
	caps   []capRule
	params map[string]param
	rules  map[string]ruleInfo
	carc   map[string][]string

	ptpLabel, mueLabel, aocLabel string
}

var (
	defaultOnce sync.Once
	defaultSet  *Set
	defaultErr  error
)

// Default returns the rules built from the embedded data files, with the
// shipped payer profiles (DefaultProfiles) and without payer overrides. It panics if the embedded data is broken (a test keeps
// it from being).
func Default() *Set {
	defaultOnce.Do(func() {
		defaultSet, defaultErr = Load(nil)
		if defaultErr == nil {
			defaultSet = defaultSet.WithProfiles(DefaultProfiles())
		}
	})
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultSet
}

// Load builds rules from data files. Each file present in fsys replaces the
// embedded one of the same name (for ncci_ptp_*.csv: any PTP file in fsys
// replaces all embedded PTP files), so a new NCCI quarter is a matter of
// dropping its files in a directory: os.DirFS(dir). fsys may be nil: the
// embedded data alone.
func Load(fsys fs.FS) (*Set, error) {
	d := &data{}
	read := func(name string) ([]byte, string, error) {
		if fsys != nil {
			b, err := fs.ReadFile(fsys, name)
			if err == nil {
				return b, name, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, name, fmt.Errorf("rules: %s: %w", name, err)
			}
		}
		b, err := embedded.ReadFile(path.Join("data", name))
		return b, name, err
	}
	loaders := []struct {
		name string
		load func(*table) error
	}{
		{FileProcedures, d.loadProcs},
		{FileRules, d.loadRules},
		{FileParams, d.loadParams},
		{FileCaps, d.loadCaps},
		{FileCARC, d.loadCARC},
		{FileMUE, d.loadMUE},
		{FileAOC, d.loadAOC},
	}
	for _, l := range loaders {
		b, name, err := read(l.name)
		if err != nil {
			return nil, fmt.Errorf("rules: %s: %w", name, err)
		}
		t, err := parseTable(name, b)
		if err != nil {
			return nil, err
		}
		if err := l.load(t); err != nil {
			return nil, err
		}
		d.files = append(d.files, t.info)
	}
	ptpFiles, err := ptpSources(fsys)
	if err != nil {
		return nil, err
	}
	d.ptp = make(map[[2]string]ptpEdit, 20000)
	for _, src := range ptpFiles {
		b, err := fs.ReadFile(src.fsys, src.name)
		if err != nil {
			return nil, fmt.Errorf("rules: %s: %w", src.name, err)
		}
		t, err := parseTable(path.Base(src.name), b)
		if err != nil {
			return nil, err
		}
		if err := d.loadPTP(t); err != nil {
			return nil, err
		}
		d.files = append(d.files, t.info)
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	return newSet(d), nil
}

type fileRef struct {
	fsys fs.FS
	name string
}

// ptpSources lists the PTP files: those of fsys if it has any, else the embedded ones.
func ptpSources(fsys fs.FS) ([]fileRef, error) {
	if fsys != nil {
		names, err := fs.Glob(fsys, FilePTPGlob)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if len(names) > 0 {
			out := make([]fileRef, len(names))
			for i, n := range names {
				out[i] = fileRef{fsys, n}
			}
			return out, nil
		}
	}
	names, err := fs.Glob(embedded, path.Join("data", FilePTPGlob))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("rules: no embedded %s", FilePTPGlob)
	}
	out := make([]fileRef, len(names))
	for i, n := range names {
		out[i] = fileRef{embedded, n}
	}
	return out, nil
}

// table is a parsed data file: header comments, column names and rows.
type table struct {
	info  FileInfo
	cols  map[string]int
	rows  [][]string
	lines []int // file line of each row
}

// DataError is a problem in a data file, with the file line.
type DataError struct {
	File string
	Line int
	Err  error
}

// Error formats the problem with the file and line.
func (e *DataError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rules: %s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("rules: %s: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *DataError) Unwrap() error { return e.Err }

func parseTable(name string, b []byte) (*table, error) {
	t := &table{info: FileInfo{Name: name, Meta: map[string]string{}}, cols: map[string]int{}}
	for _, ln := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(ln))
		if !strings.HasPrefix(s, "#") {
			break
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(s[1:]), ":"); ok && !strings.Contains(k, " ") {
			t.info.Meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	t.info.Label = t.info.Meta["label"]
	if t.info.Label == "" {
		return nil, &DataError{File: name, Err: errors.New(`no "# label:" header line`)}
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, &DataError{File: name, Err: fmt.Errorf("no column header: %w", err)}
	}
	for i, h := range header {
		t.cols[strings.TrimSpace(h)] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, &DataError{File: name, Line: line, Err: err}
		}
		if len(rec) != len(header) {
			return nil, &DataError{File: name, Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(header))}
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	t.info.Rows = len(t.rows)
	return t, nil
}

// need returns the indexes of the named columns, or an error naming the missing one.
func (t *table) need(names ...string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		j, ok := t.cols[n]
		if !ok {
			return nil, &DataError{File: t.info.Name, Err: fmt.Errorf("no column %q", n)}
		}
		out[i] = j
	}
	return out, nil
}

func (t *table) fail(i int, format string, args ...any) error {
	return &DataError{File: t.info.Name, Line: t.lines[i], Err: fmt.Errorf(format, args...)}
}

func yes(s string) (bool, bool) {
	switch strings.ToUpper(s) {
	case "Y", "YES", "TRUE", "1":
		return true, true
	case "N", "NO", "FALSE", "0", "":
		return false, true
	}
	return false, false
}

func (d *data) loadProcs(t *table) error {
	c, err := t.need("code", "family", "region", "addon", "bilateral", "imaging", "global", "prior_auth", "description", "source")
	if err != nil {
		return err
	}
	d.procs = make(map[string]*Proc, len(t.rows))
	for i, r := range t.rows {
		p := &Proc{Code: r[c[0]], Family: r[c[1]], Region: r[c[2]], Imaging: r[c[5]], Global: r[c[6]],
			Description: r[c[8]], Source: r[c[9]]}
		var ok1, ok2 bool
		p.AddOn, ok1 = yes(r[c[3]])
		p.PriorAuth, ok2 = yes(r[c[7]])
		switch strings.ToUpper(r[c[4]]) {
		case "Y":
			p.Bilateral = 1
		case "N":
			p.Bilateral = -1
		case "":
		default:
			ok1 = false
		}
		switch {
		case p.Code == "" || p.Family == "":
			return t.fail(i, "code and family are required")
		case !ok1 || !ok2:
			return t.fail(i, "addon, bilateral and prior_auth take Y or N")
		case p.Region != "" && p.Region != RegionCervicalThoracic && p.Region != RegionLumbarSacral:
			return t.fail(i, "unknown region %q", p.Region)
		case !slices.Contains([]string{"", "included", "without", "separate"}, p.Imaging):
			return t.fail(i, "unknown imaging %q", p.Imaging)
		case d.procs[p.Code] != nil:
			return t.fail(i, "code %s listed twice", p.Code)
		}
		d.procs[p.Code] = p
	}
	return nil
}

func (d *data) loadRules(t *table) error {
	c, err := t.need("rule", "category", "severity", "source")
	if err != nil {
		return err
	}
	d.rules = make(map[string]ruleInfo, len(t.rows))
	for i, r := range t.rows {
		sev := Severity(r[c[2]])
		if sev != Deny && sev != Warn {
			return t.fail(i, "severity must be deny or warn")
		}
		if r[c[0]] == "" || r[c[1]] == "" {
			return t.fail(i, "rule and category are required")
		}
		d.rules[r[c[0]]] = ruleInfo{Category: r[c[1]], Severity: sev, Source: r[c[3]]}
	}
	return nil
}

func (d *data) loadParams(t *table) error {
	c, err := t.need("key", "value", "source")
	if err != nil {
		return err
	}
	d.params = make(map[string]param, len(t.rows))
	for _, r := range t.rows {
		d.params[r[c[0]]] = param{value: r[c[1]], source: r[c[2]]}
	}
	return nil
}

func (d *data) loadCaps(t *table) error {
	c, err := t.need("key", "families", "scope", "cap", "window_days", "severity", "name", "source", "verification")
	if err != nil {
		return err
	}
	for i, r := range t.rows {
		cr := capRule{Key: r[c[0]], Families: strings.Fields(r[c[1]]), Severity: Severity(r[c[5]]), Name: r[c[6]]}
		cr.Source = r[c[7]]
		if v := r[c[8]]; v != "" {
			tag, _, _ := strings.Cut(v, ";")
			cr.Source += " [" + strings.TrimSpace(tag) + "]"
		}
		var e1, e2 error
		cr.Cap, e1 = strconv.Atoi(r[c[3]])
		cr.Window, e2 = strconv.Atoi(r[c[4]])
		switch {
		case e1 != nil || e2 != nil || cr.Cap < 0 || cr.Window <= 0:
			return t.fail(i, "cap and window_days must be whole numbers (window > 0)")
		case r[c[2]] != "region" && r[c[2]] != "patient":
			return t.fail(i, "scope must be region or patient")
		case cr.Severity != Deny && cr.Severity != Warn:
			return t.fail(i, "severity must be deny or warn")
		case cr.Key == "" || len(cr.Families) == 0:
			return t.fail(i, "key and families are required")
		}
		cr.PerRegion = r[c[2]] == "region"
		d.caps = append(d.caps, cr)
	}
	return nil
}

func (d *data) loadCARC(t *table) error {
	c, err := t.need("carc", "rules")
	if err != nil {
		return err
	}
	d.carc = make(map[string][]string, len(t.rows))
	for _, r := range t.rows {
		d.carc[r[c[0]]] = strings.Fields(r[c[1]])
	}
	return nil
}

func (d *data) loadMUE(t *table) error {
	c, err := t.need("hcpcs_code", "mue_value", "mue_adjudication_indicator", "mue_rationale")
	if err != nil {
		return err
	}
	d.mueLabel = t.info.Label
	d.mue = make(map[string]mueEdit, len(t.rows))
	for i, r := range t.rows {
		v, e1 := strconv.Atoi(r[c[1]])
		mai, e2 := strconv.Atoi(r[c[2]])
		if e1 != nil || e2 != nil || v < 0 || mai < 1 || mai > 3 {
			return t.fail(i, "mue_value must be a whole number and the indicator 1, 2 or 3")
		}
		d.mue[r[c[0]]] = mueEdit{units: v, mai: mai, rationale: r[c[3]]}
	}
	return nil
}

func (d *data) loadAOC(t *table) error {
	c, err := t.need("primary_code", "add_on_code", "aoc_edit_type")
	if err != nil {
		return err
	}
	d.aocLabel = t.info.Label
	d.aoc = map[string]*aocEdit{}
	for i, r := range t.rows {
		typ, err := strconv.Atoi(r[c[2]])
		if err != nil || typ < 1 || typ > 3 {
			return t.fail(i, "aoc_edit_type must be 1, 2 or 3")
		}
		a := d.aoc[r[c[1]]]
		if a == nil {
			a = &aocEdit{typ: typ}
			d.aoc[r[c[1]]] = a
		}
		if typ < a.typ || a.typ == 0 {
			a.typ = typ
		}
		if p := r[c[0]]; p != "CCCCC" && p != "" {
			a.primaries = append(a.primaries, p)
		}
	}
	return nil
}

func (d *data) loadPTP(t *table) error {
	c, err := t.need("column1", "column2", "modifier_indicator", "rationale")
	if err != nil {
		return err
	}
	if d.ptpLabel == "" {
		d.ptpLabel = t.info.Label
	} else if d.ptpLabel != t.info.Label {
		return &DataError{File: t.info.Name, Err: fmt.Errorf("label %q differs from another PTP file's %q: files of two quarters", t.info.Label, d.ptpLabel)}
	}
	for i, r := range t.rows {
		ind := r[c[2]]
		if ind != "0" && ind != "1" && ind != "9" {
			return t.fail(i, "modifier_indicator must be 0, 1 or 9")
		}
		d.ptp[[2]string{r[c[0]], r[c[1]]}] = ptpEdit{indicator: ind[0], rationale: r[c[3]]}
	}
	return nil
}

// requiredParams are the params.csv keys the checks read.
var requiredParams = []string{
	"rfa_prior_blocks", "rfa_block_gap_days", "rfa_block_relief_percent", "rfa_block_lookback_days",
	"rfa_repeat_lookback_days", "rfa_repeat_relief_days", "rfa_repeat_relief_percent", "scs_trial_lookback_days", "scs_trial_relief_percent", "facet_diagnostic_modifier", "distinct_modifiers",
	"ncci_modifiers", "em_modifiers", "asc_places", "asc_taxonomies", "bilateral", "asc_bilateral", "modifier_50_on_addons",
}

// ruleKeys are the rules the checks can report.
var ruleKeys = []string{
	RuleFrequencyCap, RuleRFAPrerequisite, RuleSCSWithoutTrial, RuleImagingBundled, RuleNCCIPair, RuleMUE,
	RuleAddonWithoutPrimary, RuleModifier50Addon, RuleModifier50NotBilateral, RuleLateralityConflict,
	RuleASCBilateral, RuleBilateralStyle, RuleFacetTriggerPoint, RuleTriggerPointUnits, RuleEMWithout25,
	RuleUDTDuplicate, RuleRFARepeatRelief, RuleSCSTrialOutcome, RulePriorAuthMissing, RulePriorAuthExpired, RulePriorAuthMismatch, RulePriorAuthUnits,
}

func (d *data) validate() error {
	for _, k := range requiredParams {
		if _, ok := d.params[k]; !ok {
			return &DataError{File: FileParams, Err: fmt.Errorf("no parameter %q", k)}
		}
	}
	for _, k := range ruleKeys {
		if _, ok := d.rules[k]; !ok {
			return &DataError{File: FileRules, Err: fmt.Errorf("no rule %q", k)}
		}
	}
	for carc, rs := range d.carc {
		for _, r := range rs {
			if _, ok := d.rules[r]; !ok {
				return &DataError{File: FileCARC, Err: fmt.Errorf("CARC %s names unknown rule %q", carc, r)}
			}
		}
	}
	for _, c := range d.caps {
		for _, f := range c.Families {
			if !knownCapFamily(f, d.procs) {
				return &DataError{File: FileCaps, Err: fmt.Errorf("cap %s names family %q that no procedure has", c.Key, f)}
			}
		}
	}
	return nil
}

func knownCapFamily(f string, procs map[string]*Proc) bool {
	if f == FamilyFacetDiagnostic || f == FamilyFacetTherapeutic {
		f = FamilyFacet
	}
	for _, p := range procs {
		if p.Family == f {
			return true
		}
	}
	return false
}
