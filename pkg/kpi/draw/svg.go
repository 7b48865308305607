package draw

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteSVG writes the scene as a standalone SVG document. Texts are
// <text> elements (a reader can find every label), set in the Go font
// with common sans-serif fallbacks.
func (s *Scene) WriteSVG(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="Go, DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`+"\n",
		s.W, s.H, s.W, s.H)
	if s.Title != "" {
		fmt.Fprintf(&b, "<title>%s</title>\n", esc(s.Title))
	}
	for _, it := range s.items {
		switch it.kind {
		case kRect:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"%s>%s</rect>`+"\n", it.x, it.y, it.w, it.h, paint(it.st), tip(it.st))
		case kLine:
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"%s/>`+"\n", it.x, it.y, it.w, it.h, stroke(it.st))
		case kPoly:
			var pts strings.Builder
			for i, p := range it.pts {
				if i > 0 {
					pts.WriteByte(' ')
				}
				fmt.Fprintf(&pts, "%.1f,%.1f", p.X, p.Y)
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none"%s/>`+"\n", pts.String(), stroke(it.st))
		case kCircle:
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f"%s>%s</circle>`+"\n", it.x, it.y, it.w, paint(it.st), tip(it.st))
		case kText:
			anchor := ""
			switch it.ts.Anchor {
			case Middle:
				anchor = ` text-anchor="middle"`
			case End:
				anchor = ` text-anchor="end"`
			}
			weight := ""
			if it.ts.Bold {
				weight = ` font-weight="bold"`
			}
			pos := fmt.Sprintf(`x="%.1f" y="%.1f"`, it.x, it.y)
			if it.ts.Up {
				pos = fmt.Sprintf(`transform="translate(%.1f %.1f) rotate(-90)"`, it.x, it.y)
			}
			fmt.Fprintf(&b, `<text %s font-size="%g" fill="%s"%s%s>%s</text>`+"\n", pos, it.ts.size(), it.ts.color(), anchor, weight, esc(it.text))
		}
	}
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("draw: svg: %w", err)
	}
	return nil
}

func paint(st Style) string {
	var b strings.Builder
	if st.Fill != "" {
		fmt.Fprintf(&b, ` fill="%s"`, st.Fill)
		if o := st.opacity(); o < 1 {
			fmt.Fprintf(&b, ` fill-opacity="%g"`, o)
		}
	} else {
		b.WriteString(` fill="none"`)
	}
	b.WriteString(stroke(st))
	return b.String()
}

func stroke(st Style) string {
	if st.Stroke == "" {
		return ""
	}
	s := fmt.Sprintf(` stroke="%s" stroke-width="%g"`, st.Stroke, st.width())
	if len(st.Dash) > 0 {
		parts := make([]string, len(st.Dash))
		for i, d := range st.Dash {
			parts[i] = fmt.Sprintf("%g", d)
		}
		s += ` stroke-dasharray="` + strings.Join(parts, " ") + `"`
	}
	return s
}

func tip(st Style) string {
	if st.Tip == "" {
		return ""
	}
	return "<title>" + esc(st.Tip) + "</title>"
}

func esc(s string) string { return html.EscapeString(s) }
