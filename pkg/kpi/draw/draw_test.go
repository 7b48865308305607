package draw

import (
	"bytes"
	"encoding/xml"
	"image"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func sample() *Scene {
	s := New(300, 200, "sample")
	s.Rect(20, 20, 100, 60, Style{Fill: "#1f77b4", Tip: "a bar"})
	s.Line(20, 150, 280, 150, Style{Stroke: "#d62728", Width: 2, Dash: []float64{6, 4}})
	s.Polyline([]Pt{{20, 180}, {150, 120}, {280, 180}}, Style{Stroke: "#2ca02c", Width: 3})
	s.Circle(200, 50, 20, Style{Fill: "#ff7f0e", Opacity: 0.5})
	s.Text(150, 110, "Net collection −$5,000 ≥ 95 %", TextStyle{Size: 14, Anchor: Middle, Bold: true})
	s.Text(12, 190, "Up the axis", TextStyle{Up: true})
	return s
}

// ink counts the pixels in r that are much darker than white.
func ink(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*160 {
				n++
			}
		}
	}
	return n
}

func TestOutputs(t *testing.T) {
	s := sample()
	if got := strings.Join(s.Texts(), "|"); got != "Net collection −$5,000 ≥ 95 %|Up the axis" {
		t.Errorf("texts %q", got)
	}
	var b bytes.Buffer
	if err := s.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inText = v.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(v))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if strings.Join(texts, "|") != strings.Join(s.Texts(), "|") {
		t.Errorf("SVG text nodes %q", texts)
	}
	img, err := s.Image(2)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 600 || img.Bounds().Dy() != 400 {
		t.Fatalf("PNG %v", img.Bounds())
	}
	// The bar is filled blue; the centred bold text left ink around its
	// middle; the rotated one runs up the left edge.
	if c := img.RGBAAt(140, 100); c.B < 150 || c.R > 60 {
		t.Errorf("bar pixel %v", c)
	}
	if n := ink(img, image.Rect(60, 190, 540, 230)); n < 300 {
		t.Errorf("centred text: %d dark pixels", n)
	}
	if n := ink(img, image.Rect(0, 260, 30, 380)); n < 100 {
		t.Errorf("rotated text: %d dark pixels", n)
	}
	if n := ink(img, image.Rect(400, 0, 600, 30)); n != 0 {
		t.Errorf("ink where nothing is drawn: %d", n)
	}
	var pdf bytes.Buffer
	if err := WritePDF(&pdf, "sample", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), s, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	if n := len(regexp.MustCompile(`/Type /Page\b`).FindAll(pdf.Bytes(), -1)); n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	if dir := os.Getenv("DRAW_OUT"); dir != "" {
		var p bytes.Buffer
		_ = s.WritePNG(&p, 2)
		_ = os.WriteFile(dir+"/sample.png", p.Bytes(), 0o644)
		_ = os.WriteFile(dir+"/sample.pdf", pdf.Bytes(), 0o644)
	}
}

func TestPlace(t *testing.T) {
	page := New(600, 400, "page")
	page.Place(sample(), 300, 200, 0.5)
	if len(page.Texts()) != 2 {
		t.Fatal(page.Texts())
	}
	img, err := page.Image(1)
	if err != nil {
		t.Fatal(err)
	}
	// The placed bar lands at (310..360, 210..240).
	if c := img.RGBAAt(335, 225); c.B < 150 || c.R > 60 {
		t.Errorf("placed bar pixel %v", c)
	}
}
