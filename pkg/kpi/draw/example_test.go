package draw_test

import (
	"fmt"
	"os"

	"github.com/remitq/remitq/pkg/kpi/draw"
)

func Example() {
	s := draw.New(200, 100, "example")
	s.Rect(20, 20, 80, 40, draw.Style{Fill: "#1f77b4"})
	s.Text(100, 90, "-$5,000", draw.TextStyle{Anchor: draw.Middle})
	img, err := s.Image(2) // or WriteSVG, WritePNG, WritePDF
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), s.Texts())
	// Output: 400 200 [-$5,000]
}
