package x12

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/money"
)

// The differential test reads every corpus file with remitq and with an
// independent reader, testdata/external/totals.py, which tokenizes with the
// reference checker (x12check.py, Decimal arithmetic: the committed copy of
// the shared tools' one), and compares the claim, line and amount totals.

const (
	externalCorpus = "testdata/external"
	checkerDir     = "testdata/refcheck"
	sharedChecker  = "../../shared/tools/x12check.py"
)

// The committed reference checker is the shared tools' one, byte for byte,
// whenever those are checked out beside the repository.
func TestRefCheckerIsTheShared(t *testing.T) {
	shared, err := os.ReadFile(sharedChecker)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s is not checked out: the committed copy is used as it is", sharedChecker)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if ours := readFile(t, filepath.Join(checkerDir, "x12check.py")); !bytes.Equal(ours, shared) {
		t.Errorf("%s/x12check.py differs from %s: copy it again", checkerDir, sharedChecker)
	}
}

// externalFiles lists the external corpus: *.835 and *.837 under
// testdata/external (see its SOURCES.md).
func externalFiles(t testing.TB) (r835, r837 []string) {
	t.Helper()
	r835 = testdataFiles(t, filepath.Join(externalCorpus, "835", "*.835"))
	r837 = testdataFiles(t, filepath.Join(externalCorpus, "837p", "*.837"))
	return r835, r837
}

// differentialFiles lists every corpus file: the shared corpus (or the
// committed copies when it is not checked out) and the external corpus.
func differentialFiles(t *testing.T) (r835, r837 []string) {
	e835, e837 := externalFiles(t)
	r835 = append(corpusIn(t, "835", "835", corpusFacts), e835...)
	r837 = append(corpusIn(t, "837p", "837", corpus837Facts), e837...)
	return r835, r837
}

// refTotals is one line of totals.py's output.
type refTotals struct {
	File   string       `json:"file"`
	Sets   int          `json:"sets"`
	Claims int          `json:"claims"`
	Lines  int          `json:"lines"`
	Bad    int          `json:"bad"`    // amounts the reference could not read
	Charge money.Amount `json:"charge"` // Σ CLP03 (835), Σ CLM02 (837)
	Paid   money.Amount `json:"paid"`   // Σ CLP04 (835), Σ SV102 (837)
	PLB    money.Amount `json:"plb"`
	BPR    money.Amount `json:"bpr"`
}

// referenceTotals runs totals.py on files. A missing python3 or checker
// fails the test: the comparison is the point of it.
func referenceTotals(t *testing.T, files []string) map[string]refTotals {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the differential test needs python3 on PATH (it runs %s/totals.py): %v", externalCorpus, err)
	}
	if _, err := os.Stat(filepath.Join(checkerDir, "x12check.py")); err != nil {
		t.Fatalf("the differential test needs the reference checker %s/x12check.py: %v", checkerDir, err)
	}
	cmd := exec.Command(py, append([]string{filepath.Join(externalCorpus, "totals.py"), checkerDir}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("totals.py: %v\n%s", err, stderr.String())
	}
	got := map[string]refTotals{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r refTotals
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("totals.py output %q: %v", sc.Text(), err)
		}
		got[r.File] = r
	}
	if len(got) != len(files) {
		t.Fatalf("totals.py gave %d results for %d files", len(got), len(files))
	}
	return got
}

// knownDifferences are the files where remitq's totals differ from the
// reference on purpose, with the fields that differ and why.
var knownDifferences = map[string]string{
	// One interchange repeated 156 times: remitq reads it once (duplicate).
	"tastypackets-profee-multiple.835": "sets claims lines charge paid bpr",
	// Amounts the reference cannot read are 0 for remitq, with an error at
	// the element: the sums agree, the reference counts them as bad.
	"affect-sample_835_with_interests.835": "bad",
	"pbx12-example835SpecialCharsOne.835":  "bad",
}

func TestDifferential(t *testing.T) {
	r835, r837 := differentialFiles(t)
	ref := referenceTotals(t, append(slices.Clone(r835), r837...))
	for _, path := range r835 {
		name := filepath.Base(path)
		s, err := Summarize(name, bytes.NewReader(readFile(t, path)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		unread := 0
		for _, e := range s.Errors {
			if strings.Contains(e.Message, "invalid value: expected a decimal amount") {
				unread++
			}
		}
		got := refTotals{File: path, Sets: s.TransactionSets, Claims: s.Claims, Lines: s.ServiceLines, Bad: unread,
			Charge: s.TotalCharge, Paid: s.TotalPaid, PLB: s.PLBTotal, BPR: s.BPRAmount}
		compareTotals(t, name, got, ref[path])
	}
	for _, path := range r837 {
		name := filepath.Base(path)
		f, err := ReadClaims(bytes.NewReader(readFile(t, path)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := refTotals{File: path, Sets: f.TransactionSets}
		for _, e := range f.Errors {
			if errors837Amount(e) {
				got.Bad++
			}
		}
		for _, b := range f.Batches {
			for _, c := range b.Claims {
				got.Claims++
				got.Charge += c.TotalCharge
				got.Lines += len(c.Lines)
				got.Paid += c.LineCharges()
			}
		}
		compareTotals(t, name, got, ref[path])
	}
}

func errors837Amount(e *Error) bool {
	return e.Err == ErrInvalid && (e.ID == "CLM" && e.Element == 2 || e.ID == "SV1" && e.Element == 2)
}

func compareTotals(t *testing.T, name string, got, want refTotals) {
	t.Helper()
	known := strings.Fields(knownDifferences[name])
	for _, f := range []struct {
		field    string
		got, ref any
	}{
		{"sets", got.Sets, want.Sets}, {"claims", got.Claims, want.Claims}, {"lines", got.Lines, want.Lines},
		{"bad", got.Bad, want.Bad}, {"charge", got.Charge, want.Charge}, {"paid", got.Paid, want.Paid},
		{"plb", got.PLB, want.PLB}, {"bpr", got.BPR, want.BPR},
	} {
		same := f.got == f.ref
		switch {
		case !same && !slices.Contains(known, f.field):
			t.Errorf("%s: %s = %v, the reference reader says %v", name, f.field, f.got, f.ref)
		case same && slices.Contains(known, f.field):
			t.Errorf("%s: %s agrees now (%v): remove it from knownDifferences", name, f.field, f.got)
		}
	}
}
