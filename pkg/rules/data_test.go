package rules

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestDefaultData(t *testing.T) {
	s := Default()
	files := map[string]FileInfo{}
	for _, f := range s.Files() {
		files[f.Name] = f
	}
	for name, want := range map[string]struct {
		label string
		rows  int
	}{
		FileMUE:                {"NCCI MUE 2024-07", 121},
		FileAOC:                {"NCCI AOC 2024-06", 152},
		"ncci_ptp_column1.csv": {"NCCI PTP 2024-07", 16895},
		"ncci_ptp_pairs.csv":   {"NCCI PTP 2024-07", 2363},
		FileCaps:               {"remitq session caps 2026-11", 6},
	} {
		f, ok := files[name]
		if !ok {
			t.Errorf("%s not loaded", name)
			continue
		}
		if f.Label != want.label || f.Rows != want.rows {
			t.Errorf("%s: label %q rows %d, want %q %d", name, f.Label, f.Rows, want.label, want.rows)
		}
		if f.Meta["origin"] == "" || f.Meta["effective"] == "" {
			t.Errorf("%s: no origin or effective date in its header", name)
		}
	}
	for code, want := range map[string]Proc{
		"64635": {Family: FamilyRFA, Region: RegionLumbarSacral, Bilateral: 1, Imaging: "included"},
		"64636": {Family: FamilyRFA, Region: RegionLumbarSacral, AddOn: true, Bilateral: 1, Imaging: "included"},
		"64490": {Family: FamilyFacet, Region: RegionCervicalThoracic, Bilateral: 1, Imaging: "included"},
		"62322": {Family: FamilyESIInterlaminar, Region: RegionLumbarSacral, Bilateral: -1, Imaging: "without"},
		"20553": {Family: FamilyTriggerPoint, Bilateral: -1, Imaging: "separate"},
		"G0483": {Family: FamilyUDTDefinitive, Bilateral: -1},
		"63650": {Family: FamilySCSTrial, Imaging: "separate"},
	} {
		p, ok := s.Procedure(code)
		if !ok {
			t.Errorf("%s unknown", code)
			continue
		}
		if p.Family != want.Family || p.Region != want.Region || p.AddOn != want.AddOn || p.Bilateral != want.Bilateral || p.Imaging != want.Imaging {
			t.Errorf("%s = %+v, want %+v", code, p, want)
		}
		if p.Source == "" {
			t.Errorf("%s has no source", code)
		}
	}
	// Both PTP files are merged: an E/M-over-E/M pair is only in the pairs file.
	if e, ok := s.d.ptp[[2]string{"80307", "80305"}]; !ok || e.indicator != '0' {
		t.Errorf("PTP 80307/80305 = %+v %v, want indicator 0", e, ok)
	}
	if a := s.d.aoc["64636"]; a == nil || a.typ != 1 || len(a.primaries) != 1 || a.primaries[0] != "64635" {
		t.Errorf("AOC 64636 = %+v", a)
	}
	// Every add-on in the procedure table has its primaries in the AOC file.
	for code, p := range s.d.procs {
		if p.AddOn && s.d.aoc[code] == nil {
			t.Errorf("add-on %s has no AOC row", code)
		}
	}
}

// A new quarter: files in a directory replace the embedded ones, and the
// findings print the new label, without code changes.
func TestLoadReplacesFiles(t *testing.T) {
	fsys := fstest.MapFS{
		FileMUE:             {Data: []byte("# label: NCCI MUE 2025-01\n# origin: test\nhcpcs_code,mue_value,mue_adjudication_indicator,mue_rationale\n64483,2,2,Test\n")},
		"ncci_ptp_2025.csv": {Data: []byte("# label: NCCI PTP 2025-01\ncolumn1,column2,modifier_indicator,rationale\n64483,99999,0,Test pair\n")},
	}
	s, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.d.ptp[[2]string{"64483", "77003"}]; ok {
		t.Error("embedded PTP edits kept beside the replacement file")
	}
	c := &Claim{ID: "C1", Lines: []Line{withUnits(ln(1, "64483", "2026-03-02"), 3), ln(2, "99999", "2026-03-02", "59")}}
	fs := s.Check(c, nil)
	want := map[string]string{RuleMUE: "NCCI MUE 2025-01", RuleNCCIPair: "NCCI PTP 2025-01"}
	for rule, src := range want {
		f, ok := findRule(fs, rule)
		if !ok || f.Source != src {
			t.Errorf("%s finding = %+v, want source %q (all: %v)", rule, f, src, got(fs))
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"no label": {fstest.MapFS{FileMUE: {Data: []byte("hcpcs_code,mue_value,mue_adjudication_indicator,mue_rationale\n")}},
			`ncci_mue.csv: no "# label:" header line`},
		"bad indicator": {fstest.MapFS{"ncci_ptp_x.csv": {Data: []byte("# label: X\ncolumn1,column2,modifier_indicator,rationale\n1,2,0,a\n3,4,7,b\n")}},
			"ncci_ptp_x.csv line 4: modifier_indicator must be 0, 1 or 9"},
		"two quarters": {fstest.MapFS{
			"ncci_ptp_a.csv": {Data: []byte("# label: NCCI PTP 2025-01\ncolumn1,column2,modifier_indicator,rationale\n")},
			"ncci_ptp_b.csv": {Data: []byte("# label: NCCI PTP 2025-04\ncolumn1,column2,modifier_indicator,rationale\n")}},
			"files of two quarters"},
		"missing column": {fstest.MapFS{FileAOC: {Data: []byte("# label: X\nprimary_code,add_on_code\n")}},
			`ncci_aoc.csv: no column "aoc_edit_type"`},
		"unknown family in caps": {fstest.MapFS{FileCaps: {Data: []byte("# label: X\nkey,families,scope,cap,window_days,severity,name,source,verification\nx,nothing,region,1,365,deny,x,x,x\n")}},
			`names family "nothing"`},
		"bad region": {fstest.MapFS{FileProcedures: {Data: []byte("# label: X\ncode,family,region,addon,bilateral,imaging,global,prior_auth,description,source\n1,rfa,neck,N,N,,000,N,x,x\n")}},
			`procedures.csv line 3: unknown region "neck"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(tc.fsys)
			var de *DataError
			if err == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want a DataError containing %q", err, tc.want)
			}
		})
	}
}

func TestPayerConfigErrors(t *testing.T) {
	for _, js := range []string{
		`{"payers": {"X": {"caps": {"nope": 1}}}}`,
		`{"payers": {"X": {"disable": ["nope"]}}}`,
		`{"payers": {"X": {"bilateral": "both"}}}`,
		`{"payers": {"X": {"severity": {"mue": "maybe"}}}}`,
		`{"payers": {"X": {"caps": {"esi": -1}}}}`,
	} {
		c, err := ParsePayerConfig(strings.NewReader(js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if _, err := Default().WithPayers(c); err == nil {
			t.Errorf("%s: no error", js)
		}
	}
	if _, err := ParsePayerConfig(strings.NewReader(`{"payers": {"X": {"capz": {}}}}`)); err == nil {
		t.Error("unknown field accepted")
	}
}
