// Package draw keeps a drawing as a list of primitives (rectangles, lines,
// polylines, circles, text) and writes it three ways: SVG for the browser,
// PNG (golang.org/x/image rasterizer and the Go fonts) for tests and decks,
// and PDF pages (go-pdf/fpdf with the same embedded fonts). One drawing,
// three outputs: a chart looks the same in each and its labels can be read
// back (Texts) without parsing any output. Coordinates are pixels of a
// 72-dpi page (1 px = 1 pt in PDF), y downwards, text at its baseline.
package draw

import (
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Anchor is where a text's x is: its start, middle or end.
type Anchor int

// Anchors.
const (
	Start Anchor = iota
	Middle
	End
)

// Style is how a shape is painted. Empty colours paint nothing.
type Style struct {
	Fill    string    // "#rrggbb"
	Stroke  string    // "#rrggbb"
	Width   float64   // stroke width (default 1)
	Dash    []float64 // dash and gap lengths; nil for solid
	Opacity float64   // fill opacity, 0 meaning 1
	Tip     string    // a tooltip (SVG <title>)
}

// TextStyle is how a text is set.
type TextStyle struct {
	Size   float64 // default 12
	Color  string  // default "#222222"
	Anchor Anchor
	Bold   bool
	Up     bool // rotated 90° counter-clockwise (a y-axis title)
}

// Pt is a point.
type Pt struct{ X, Y float64 }

type kind int

const (
	kRect kind = iota
	kLine
	kPoly
	kCircle
	kText
)

type item struct {
	kind       kind
	x, y, w, h float64 // rect; line: x,y → w,h as x2,y2; circle: x,y,r=w
	pts        []Pt
	st         Style
	text       string
	ts         TextStyle
}

// Scene is a drawing of W × H pixels.
type Scene struct {
	W, H  float64
	Title string
	items []item
}

// New returns an empty white scene.
func New(w, h float64, title string) *Scene {
	s := &Scene{W: w, H: h, Title: title}
	s.Rect(0, 0, w, h, Style{Fill: "#ffffff"})
	return s
}

// Rect adds a rectangle.
func (s *Scene) Rect(x, y, w, h float64, st Style) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	s.items = append(s.items, item{kind: kRect, x: x, y: y, w: w, h: h, st: st})
}

// Line adds a line segment.
func (s *Scene) Line(x1, y1, x2, y2 float64, st Style) {
	s.items = append(s.items, item{kind: kLine, x: x1, y: y1, w: x2, h: y2, st: st})
}

// Polyline adds an open path through pts.
func (s *Scene) Polyline(pts []Pt, st Style) {
	if len(pts) > 1 {
		s.items = append(s.items, item{kind: kPoly, pts: append([]Pt(nil), pts...), st: st})
	}
}

// Circle adds a circle.
func (s *Scene) Circle(cx, cy, r float64, st Style) {
	s.items = append(s.items, item{kind: kCircle, x: cx, y: cy, w: r, st: st})
}

// Text adds a text with its baseline at y.
func (s *Scene) Text(x, y float64, text string, ts TextStyle) {
	if text != "" {
		s.items = append(s.items, item{kind: kText, x: x, y: y, text: text, ts: ts})
	}
}

// Place draws o into s with its top-left corner at (x, y), scaled by k.
func (s *Scene) Place(o *Scene, x, y, k float64) {
	for _, it := range o.items {
		it.x, it.y = x+it.x*k, y+it.y*k
		switch it.kind {
		case kRect:
			it.w, it.h = it.w*k, it.h*k
		case kLine:
			it.w, it.h = x+it.w*k, y+it.h*k
		case kCircle:
			it.w *= k
		case kPoly:
			pts := make([]Pt, len(it.pts))
			for i, p := range it.pts {
				pts[i] = Pt{x + p.X*k, y + p.Y*k}
			}
			it.pts = pts
		case kText:
			it.ts.Size = it.ts.size() * k
		}
		it.st.Width = it.st.width() * k
		if it.st.Dash != nil {
			d := make([]float64, len(it.st.Dash))
			for i, v := range it.st.Dash {
				d[i] = v * k
			}
			it.st.Dash = d
		}
		s.items = append(s.items, it)
	}
}

// Texts returns every text of the scene in drawing order.
func (s *Scene) Texts() []string {
	var out []string
	for _, it := range s.items {
		if it.kind == kText {
			out = append(out, it.text)
		}
	}
	return out
}

func (t TextStyle) size() float64 {
	if t.Size <= 0 {
		return 12
	}
	return t.Size
}

func (t TextStyle) color() string {
	if t.Color == "" {
		return "#222222"
	}
	return t.Color
}

func (st Style) width() float64 {
	if st.Width <= 0 {
		return 1
	}
	return st.Width
}

func (st Style) opacity() float64 {
	if st.Opacity <= 0 || st.Opacity > 1 {
		return 1
	}
	return st.Opacity
}

// rgb reads "#rrggbb".
func rgb(c string) (r, g, b uint8, ok bool) {
	if len(c) != 7 || c[0] != '#' {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(c[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), true
}

var (
	fontOnce             sync.Once
	regularTTF, boldTTF  *opentype.Font
	fontErr              error
	faceMu               sync.Mutex // font.Face values are not safe for concurrent use
	faces                = map[faceKey]font.Face{}
	regularBytes, boldBy = goregular.TTF, gobold.TTF
)

type faceKey struct {
	size float64
	bold bool
}

// face returns the Go Regular or Bold face at size pixels (72 dpi).
func face(size float64, bold bool) (font.Face, error) {
	fontOnce.Do(func() {
		if regularTTF, fontErr = opentype.Parse(regularBytes); fontErr == nil {
			boldTTF, fontErr = opentype.Parse(boldBy)
		}
	})
	if fontErr != nil {
		return nil, fmt.Errorf("draw: the Go fonts: %w", fontErr)
	}
	faceMu.Lock()
	defer faceMu.Unlock()
	k := faceKey{size, bold}
	if f, ok := faces[k]; ok {
		return f, nil
	}
	ttf := regularTTF
	if bold {
		ttf = boldTTF
	}
	f, err := opentype.NewFace(ttf, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	faces[k] = f
	return f, nil
}

// TextWidth is the width in pixels of s set in the Go font at size.
func TextWidth(s string, size float64, bold bool) float64 {
	f, err := face(size, bold)
	if err != nil {
		return float64(len(s)) * size * 0.55
	}
	faceMu.Lock()
	defer faceMu.Unlock()
	return fixedFloat(font.MeasureString(f, s))
}

func fixedFloat(v fixed.Int26_6) float64 { return float64(v) / 64 }
