package draw

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Image rasterizes the scene at k pixels per scene pixel (2 for a sharp
// slide), anti-aliased, text in the Go fonts.
func (s *Scene) Image(k float64) (*image.RGBA, error) {
	if k <= 0 {
		k = 1
	}
	w, h := int(math.Ceil(s.W*k)), int(math.Ceil(s.H*k))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	r := &raster{dst: dst, k: k, v: vector.NewRasterizer(w, h)}
	for _, it := range s.items {
		switch it.kind {
		case kRect:
			if it.st.Fill != "" {
				r.fill([]Pt{{it.x, it.y}, {it.x + it.w, it.y}, {it.x + it.w, it.y + it.h}, {it.x, it.y + it.h}}, it.st.Fill, it.st.opacity())
			}
			if it.st.Stroke != "" {
				r.stroke([]Pt{{it.x, it.y}, {it.x + it.w, it.y}, {it.x + it.w, it.y + it.h}, {it.x, it.y + it.h}, {it.x, it.y}}, it.st)
			}
		case kLine:
			if it.st.Stroke != "" {
				r.stroke([]Pt{{it.x, it.y}, {it.w, it.h}}, it.st)
			}
		case kPoly:
			if it.st.Stroke != "" {
				r.stroke(it.pts, it.st)
			}
		case kCircle:
			pts := circle(it.x, it.y, it.w)
			if it.st.Fill != "" {
				r.fill(pts, it.st.Fill, it.st.opacity())
			}
			if it.st.Stroke != "" {
				r.stroke(append(pts, pts[0]), it.st)
			}
		case kText:
			if err := r.text(it); err != nil {
				return nil, err
			}
		}
	}
	return dst, nil
}

// WritePNG writes the scene as a PNG at k pixels per scene pixel.
func (s *Scene) WritePNG(w io.Writer, k float64) error {
	img, err := s.Image(k)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("draw: png: %w", err)
	}
	return nil
}

type raster struct {
	dst *image.RGBA
	k   float64
	v   *vector.Rasterizer
}

func nrgba(c string, opacity float64) color.NRGBA {
	r, g, b, _ := rgb(c)
	return color.NRGBA{r, g, b, uint8(math.Round(255 * opacity))}
}

// fill paints the polygon, rasterizing only its bounding box.
func (r *raster) fill(pts []Pt, c string, opacity float64) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0 = math.Min(x0, p.X*r.k), math.Min(y0, p.Y*r.k)
		x1, y1 = math.Max(x1, p.X*r.k), math.Max(y1, p.Y*r.k)
	}
	box := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1))+1, int(math.Ceil(y1))+1).Intersect(r.dst.Bounds())
	if box.Empty() {
		return
	}
	r.v.Reset(box.Dx(), box.Dy())
	r.v.DrawOp = stddraw.Over
	ox, oy := float64(box.Min.X), float64(box.Min.Y)
	for i, p := range pts {
		x, y := float32(p.X*r.k-ox), float32(p.Y*r.k-oy)
		if i == 0 {
			r.v.MoveTo(x, y)
		} else {
			r.v.LineTo(x, y)
		}
	}
	r.v.ClosePath()
	r.v.Draw(r.dst, box, image.NewUniform(nrgba(c, opacity)), image.Point{})
}

// stroke draws the polyline as one quad per segment (split into dashes
// when dashed), with round joins.
func (r *raster) stroke(pts []Pt, st Style) {
	half := st.width() / 2
	var segs [][2]Pt
	for i := 1; i < len(pts); i++ {
		segs = append(segs, dashes(pts[i-1], pts[i], st.Dash)...)
	}
	for _, sg := range segs {
		a, b := sg[0], sg[1]
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*half, dx/l*half
		r.fill([]Pt{{a.X + nx, a.Y + ny}, {b.X + nx, b.Y + ny}, {b.X - nx, b.Y - ny}, {a.X - nx, a.Y - ny}}, st.Stroke, 1)
	}
	if len(st.Dash) == 0 && half > 0.75 {
		for _, p := range pts[1 : len(pts)-1] {
			r.fill(circle(p.X, p.Y, half), st.Stroke, 1)
		}
	}
}

func dashes(a, b Pt, dash []float64) [][2]Pt {
	if len(dash) == 0 {
		return [][2]Pt{{a, b}}
	}
	l := math.Hypot(b.X-a.X, b.Y-a.Y)
	var out [][2]Pt
	at, i, on := 0.0, 0, true
	for at < l {
		d := dash[i%len(dash)]
		if d <= 0 {
			d = 1
		}
		end := math.Min(at+d, l)
		if on {
			out = append(out, [2]Pt{lerp(a, b, at/l), lerp(a, b, end/l)})
		}
		at, i, on = end, i+1, !on
	}
	return out
}

func lerp(a, b Pt, t float64) Pt { return Pt{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t} }

func circle(cx, cy, rad float64) []Pt {
	pts := make([]Pt, 24)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(len(pts))
		pts[i] = Pt{cx + rad*math.Cos(a), cy + rad*math.Sin(a)}
	}
	return pts
}

func (r *raster) text(it item) error {
	size := it.ts.size() * r.k
	f, err := face(size, it.ts.Bold)
	if err != nil {
		return err
	}
	faceMu.Lock()
	defer faceMu.Unlock()
	width := fixedFloat(font.MeasureString(f, it.text))
	x := it.x * r.k
	switch it.ts.Anchor {
	case Middle:
		x -= width / 2
	case End:
		x -= width
	}
	src := image.NewUniform(nrgba(it.ts.color(), 1))
	if !it.ts.Up {
		d := &font.Drawer{Dst: r.dst, Src: src, Face: f, Dot: fixed.P(int(math.Round(x)), int(math.Round(it.y*r.k)))}
		d.DrawString(it.text)
		return nil
	}
	// Rotated: set the text in a scratch image, then turn it 90° counter-
	// clockwise onto the scene with the baseline's start at (x, y).
	m := f.Metrics()
	asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
	tw := int(math.Ceil(width)) + 2
	tmp := image.NewRGBA(image.Rect(0, 0, tw, asc+desc))
	(&font.Drawer{Dst: tmp, Src: src, Face: f, Dot: fixed.P(0, asc)}).DrawString(it.text)
	// Along the baseline is up the page; the anchor applies along it.
	cx, cy := it.x*r.k, it.y*r.k
	off := 0.0
	switch it.ts.Anchor {
	case Middle:
		off = width / 2
	case End:
		off = width
	}
	for ty := 0; ty < tmp.Bounds().Dy(); ty++ {
		for tx := 0; tx < tw; tx++ {
			c := tmp.RGBAAt(tx, ty)
			if c.A == 0 {
				continue
			}
			px := int(math.Round(cx)) + ty - asc
			py := int(math.Round(cy+off)) - tx
			if !(image.Point{px, py}).In(r.dst.Bounds()) {
				continue
			}
			over(r.dst, px, py, c)
		}
	}
	return nil
}

// over composites premultiplied c over the pixel at (x, y).
func over(dst *image.RGBA, x, y int, c color.RGBA) {
	d := dst.RGBAAt(x, y)
	a := 255 - uint32(c.A)
	dst.SetRGBA(x, y, color.RGBA{
		R: uint8(uint32(c.R) + uint32(d.R)*a/255),
		G: uint8(uint32(c.G) + uint32(d.G)*a/255),
		B: uint8(uint32(c.B) + uint32(d.B)*a/255),
		A: uint8(uint32(c.A) + uint32(d.A)*a/255),
	})
}
