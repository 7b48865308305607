package x12

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/money"
)

// sharedCorpus is the full public sample corpus (see its SOURCES.md), checked
// out next to the repository; testdata/corpus holds the files of it whose
// licenses allow redistribution (all but the CDDL-licensed oopfactory-*
// files; origins in testdata/corpus/SOURCES.md). Tests run with the package
// directory as working directory.
const (
	sharedCorpus    = "../../shared/corpus"
	committedCorpus = "testdata/corpus"
)

// notCommitted reports the corpus files that are not redistributable and so
// exist only in the shared corpus.
func notCommitted(name string) bool { return strings.HasPrefix(name, "oopfactory-") }

// corpusIn lists the corpus files of one kind ("835" or "837p") and checks
// them against the test's table: the full shared corpus when it is checked
// out, else the committed copies (and then only the files that cannot be
// committed may be missing, which the test log says).
func corpusIn[T any](t testing.TB, kind, ext string, table map[string]T) []string {
	t.Helper()
	dir := filepath.Join(sharedCorpus, kind)
	files, _ := filepath.Glob(filepath.Join(dir, "*."+ext))
	full := len(files) > 0
	if !full {
		dir = filepath.Join(committedCorpus, kind)
		files, _ = filepath.Glob(filepath.Join(dir, "*."+ext))
		if len(files) == 0 {
			t.Fatalf("no *.%s in %s nor %s", ext, filepath.Join(sharedCorpus, kind), dir)
		}
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		if _, ok := table[name]; !ok {
			t.Errorf("corpus file %s is not in the test's table: add its SOURCES.md row", name)
		}
	}
	var skipped []string
	for name := range table {
		switch {
		case seen[name]:
		case !full && notCommitted(name):
			skipped = append(skipped, name)
		default:
			t.Errorf("corpus file %s is missing from %s", name, dir)
		}
	}
	if len(skipped) > 0 {
		slices.Sort(skipped)
		t.Logf("%s is not checked out: reading the %d committed %s files; not read here: %v", sharedCorpus, len(files), kind, skipped)
	}
	slices.Sort(files)
	return files
}

// updateFlag rewrites golden files: go test ./x12/ -run Corpus -update.
// It is looked up first so that another test file of the package may define
// the same flag.
var updateFlag = func() *flag.Flag {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
	return flag.Lookup("update")
}()

func updating() bool { return updateFlag.Value.String() == "true" }

// corpusFacts is the 835 table of SOURCES.md: interchanges, transaction sets,
// CLP and SVC segments, and whether the reference checker finds every
// balancing check holds ("balances?" column).
var corpusFacts = map[string]struct {
	isa, st, clp, svc int
	balanced          bool
}{
	"affect-exhaustive_sample.835":                     {0, 1, 1, 1, true},
	"affect-nevada_medicaid.835":                       {1, 3, 3, 0, true},
	"affect-sample_835_with_interests.835":             {1, 2, 6, 12, false},
	"badx12-dollars-and-data-sent-separate.835":        {1, 1, 2, 2, true},
	"badx12-dollars-and-data-sent-together.835":        {1, 1, 2, 0, true},
	"badx12-era-sample.835":                            {1, 1, 1, 5, true},
	"badx12-error_validation.835":                      {1, 1, 2, 2, true},
	"badx12-multiple-claims-single-check.835":          {1, 1, 9, 33, true},
	"badx12-secondary-payment-higher-fee.835":          {1, 1, 1, 1, true},
	"badx12-secondary-payments.835":                    {1, 1, 2, 2, true},
	"badx12-tertiary-payments.835":                     {1, 1, 1, 1, true},
	"chs-test.835":                                     {1, 1, 1, 2, false},
	"edi835parser-blue_cross_nc_sample.835":            {0, 1, 1, 3, true},
	"edi835parser-emedny_sample.835":                   {1, 1, 3, 10, true},
	"edi835parser-united_healthcare_legacy_sample.835": {1, 1, 2, 5, true},
	"lfh-cob-contractural-adjustment.835":              {1, 1, 1, 1, true},
	"lfh-secondary-payment.835":                        {1, 1, 2, 2, true},
	"lfh-tertiary-payment.835":                         {1, 1, 1, 1, false},
	"moov-sample1.835":                                 {1, 2, 2, 2, false},
	"moov-sample2.835":                                 {1, 1, 1, 1, false},
	"oopfactory-4010-835_DeIdent_01.835":               {1, 1, 96, 365, false},
	"oopfactory-4010-835_DeIdent_02.835":               {1, 6, 375, 1552, false},
	"oopfactory-4010-Example1_GripElements.835":        {1, 1, 9, 9, false},
	"oopfactory-5010-Example1.835":                     {1, 1, 10, 9, false},
	"oopfactory-5010-WithMultipleInterchanges.835":     {3, 3, 56, 91, false},
	"pbx12-example835SpecialCharsOne.835":              {1, 1, 2, 0, false},
	"pyx12-835_mult_loops.835":                         {1, 1, 1, 3, true},
	"tastypackets-multi-line-not-delimited.835":        {1, 1, 3, 10, true},
	"tastypackets-profee-multiple.835":                 {156, 156, 468, 1560, true},
	"tmc-x221-example-5a.835":                          {1, 1, 1, 2, true},
	"tmc-x221-example-8a.835":                          {1, 1, 1, 1, true},
	"tmc-x221-example-8c.835":                          {1, 1, 1, 1, true},
}

// corpusOverrides are the files remitq reads differently from the raw
// counts of SOURCES.md, on purpose:
//   - tastypackets-profee-multiple holds one interchange 156 times (same
//     ISA05/ISA06/ISA13, same bytes): it is read once, the 155 repeats are
//     skipped with a duplicate warning each;
//   - edi835parser-blue_cross_nc_sample has "SVC*HC:59426******742*742**1",
//     an SVC with 8 elements (the standard defines 7): its amounts are not
//     where SVC02/SVC03 stand, so the claim cannot be balanced (the
//     reference checker reads SVC02 and SVC03 as empty and balances it).
var corpusOverrides = map[string]struct {
	st, clp, svc int
	balanced     bool
}{
	"tastypackets-profee-multiple.835":      {1, 3, 10, true},
	"edi835parser-blue_cross_nc_sample.835": {1, 1, 3, false},
}

// corpusGolden is one file's entry in testdata/corpus_summaries.golden.json.
//
// The golden file is written by -update from Summarize and was checked by
// hand against the reference checker (../shared/tools/x12check.py, Decimal
// arithmetic): its detect/segments/D functions were used to sum CLP03, CLP04,
// PLB04/06/08/10/12/14 and BPR02 over every 835 transaction set of each
// file, and all four totals agreed with the golden values for all 32 files.
// Where the checker prints sums itself (its bpr_fail lines give BPR02,
// sum(CLP04) and sum(PLB) per transaction set, e.g. ST 07504123 of
// oopfactory-4010-Example1_GripElements: 5.75, 5.75, -1.27), they match too.
// The one disagreement is a form, not a sum: pbx12-example835SpecialCharsOne
// has BPR02 "NOT", which the checker skips and Summarize reads as 0 with an
// error. Re-check after -update before committing a changed golden file.
type corpusGolden struct {
	TransactionSets int          `json:"transaction_sets"`
	Claims          int          `json:"claims"`
	ServiceLines    int          `json:"service_lines"`
	TotalCharge     money.Amount `json:"total_charge"`
	TotalPaid       money.Amount `json:"total_paid"`
	PLBTotal        money.Amount `json:"plb_total"`
	BPRAmount       money.Amount `json:"bpr_amount"`
	Balanced        bool         `json:"balanced"`
	Errors          int          `json:"errors"`
}

const corpusGoldenFile = "testdata/corpus_summaries.golden.json"

// corpusFiles lists the 835 corpus (see corpusIn).
func corpusFiles(t *testing.T) []string { return corpusIn(t, "835", "835", corpusFacts) }

func TestCorpusSummaries(t *testing.T) {
	files := corpusFiles(t)
	got := map[string]corpusGolden{}
	for _, path := range files {
		name := filepath.Base(path)
		data := readFile(t, path)
		s, err := Summarize(name, bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: Summarize: %v", name, err)
			continue
		}
		want := corpusFacts[name]
		if o, ok := corpusOverrides[name]; ok {
			want.st, want.clp, want.svc, want.balanced = o.st, o.clp, o.svc, o.balanced
		}
		if s.TransactionSets != want.st || s.Claims != want.clp || s.ServiceLines != want.svc || s.Balanced != want.balanced {
			t.Errorf("%s: transaction_sets/claims/service_lines/balanced = %d/%d/%d/%v, SOURCES.md says %d/%d/%d/%v",
				name, s.TransactionSets, s.Claims, s.ServiceLines, s.Balanced, want.st, want.clp, want.svc, want.balanced)
		}
		if n := countSegments(t, data, "ISA"); n != want.isa {
			t.Errorf("%s: %d ISA segments, SOURCES.md says %d", name, n, want.isa)
		}
		got[name] = corpusGolden{TransactionSets: s.TransactionSets, Claims: s.Claims, ServiceLines: s.ServiceLines,
			TotalCharge: s.TotalCharge, TotalPaid: s.TotalPaid, PLBTotal: s.PLBTotal, BPRAmount: s.BPRAmount,
			Balanced: s.Balanced, Errors: len(s.Errors)}
	}
	if updating() {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusGoldenFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: check it against x12check.py before committing", corpusGoldenFile)
		return
	}
	var want map[string]corpusGolden
	if err := json.Unmarshal(readFile(t, corpusGoldenFile), &want); err != nil {
		t.Fatalf("%s: %v", corpusGoldenFile, err)
	}
	for name, g := range got {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("%s is not in %s: run with -update", name, corpusGoldenFile)
		case g != w:
			t.Errorf("%s: summary %+v, golden %+v", name, g, w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok && !notCommitted(name) {
			t.Errorf("%s in %s is not in the corpus", name, corpusGoldenFile)
		}
	}
}

// TestCorpusRoundTrip: every corpus file reads, writes with its own
// delimiters and reads again to equal values.
func TestCorpusRoundTrip(t *testing.T) {
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := readFile(t, path)
			_, d := readRemits(t, data)
			if err := roundTrip(data, d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCorpusTruncated reads every corpus file cut at many points: reading
// never panics, always ends, and a cut file reports that it ends early.
func TestCorpusTruncated(t *testing.T) {
	for _, path := range corpusFiles(t) {
		data := readFile(t, path)
		step := max(1, len(data)/40)
		for cut := 0; cut < len(data); cut += step {
			d := NewRemitReader(bytes.NewReader(data[:cut]))
			for {
				_, err := d.Next()
				if err != nil {
					if err != io.EOF && !errors.As(err, new(*Error)) {
						t.Errorf("%s cut at %d: %v", filepath.Base(path), cut, err)
					}
					break
				}
			}
			if _, err := Summarize("cut", bytes.NewReader(data[:cut])); err != nil && !errors.As(err, new(*Error)) {
				t.Errorf("%s cut at %d: Summarize: %v", filepath.Base(path), cut, err)
			}
		}
	}
}

// countSegments counts segments with the given ID.
func countSegments(t testing.TB, data []byte, id string) int {
	t.Helper()
	r := NewReader(bytes.NewReader(data))
	n := 0
	for {
		s, err := r.Next()
		if s == nil {
			if err != io.EOF && !errors.Is(err, ErrTruncated) {
				t.Fatalf("reading: %v", err)
			}
			if err == io.EOF {
				return n
			}
			continue
		}
		if s.ID() == id {
			n++
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdataFiles lists files matching pattern and fails when there are none.
func testdataFiles(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s: %v", pattern, err)
	}
	slices.Sort(files)
	return files
}

func baseName(path string) string { return filepath.Base(path) }
