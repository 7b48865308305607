package appeal_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/appeal"
)

// pdfPacket is a claim with several denied lines of different causes.
func pdfPacket(t *testing.T, plan string) appeal.Packet {
	t.Helper()
	cs := categories()
	lines := append(append([]appeal.DeniedLine{}, cs[2].lines...), cs[3].lines...) // RFA + 20552-XS
	lines[2].Number = 3
	lines[2].Remarks = []string{"M80"}
	f := facts(t, plan, lines...)
	f.Notes = []string{"The 2026-04-20 block was the confirmatory block; both block notes record the relief on the 0-10 scale."}
	p, err := appeal.Build(f, today)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// shotDir is where the PNGs go: $REMITQ_SCREENSHOTS when set, else the
// test's temporary directory.
func shotDir(t *testing.T) string {
	if d := os.Getenv("REMITQ_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestWritePDF(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	dir := shotDir(t)
	for _, pl := range plans {
		t.Run(pl.plan, func(t *testing.T) {
			p := pdfPacket(t, pl.plan)
			var a, b bytes.Buffer
			if err := p.WritePDF(&a); err != nil {
				t.Fatal(err)
			}
			if err := p.WritePDF(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renders of the same packet differ")
			}
			pdf := filepath.Join(dir, "appeal_"+pl.plan+".pdf")
			if err := os.WriteFile(pdf, a.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(out)
			pages := strings.Count(text, "\f")
			want := []string{patientName, memberID, "DSP2607011", "22026201123450", "EFT884120", "1306849750", "1467503385",
				"Request for " + pl.level, pl.deadline, "64635", "64636", "20552-XS", "L4-L5", "90 % relief", "85 % relief",
				"Denied lines", "What the codes mean", "CO-50", "CO-97", "M80", "'medical necessity'",
				"Checklist: records to attach", "diagnostic medial branch blocks", "confirmatory block", "1450.00", "Page 1 of"}
			if pl.form {
				want = append(want, "Form CMS-20027", "Beneficiary's name", "Medicare number", "JF Noridian")
			}
			for _, s := range want {
				if !strings.Contains(text, s) {
					t.Errorf("PDF text lacks %q", s)
				}
			}
			if !pl.form && strings.Contains(text, "Beneficiary's name") {
				t.Error("a non-Medicare packet has the CMS-20027 page")
			}
			if m := regexp.MustCompile(`Page \d+ of (\d+)`).FindStringSubmatch(text); m == nil || m[1] != strconv.Itoa(pages) {
				t.Errorf("page footer %v, %d pages", m, pages)
			}
			prefix := filepath.Join(dir, "appeal_"+pl.plan)
			if out, err := exec.Command("pdftoppm", "-png", "-r", "60", pdf, prefix).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, out)
			}
			pngs, _ := filepath.Glob(prefix + "-*.png")
			if len(pngs) != pages {
				t.Errorf("%d PNGs for %d pages", len(pngs), pages)
			}
			for _, png := range pngs {
				if st, err := os.Stat(png); err != nil || st.Size() < 2000 {
					t.Errorf("%s: %v (blank page?)", png, err)
				}
			}
			t.Logf("%d pages, PNGs %s-*.png", pages, prefix)
		})
	}
}
