package main

import (
	"fmt"
	"io"
	"os"

	"github.com/remitq/remitq/x12"
)

func main() {
	for _, f := range os.Args[1:] {
		fh, _ := os.Open(f)
		r := x12.NewReader(fh)
		n := 0
		var errs []string
		for {
			s, err := r.Next()
			if s == nil {
				if err != io.EOF {
					errs = append(errs, err.Error())
				}
				if err == io.EOF || s == nil && err != nil && n == 0 {
					break
				}
				continue
			}
			n++
			if err != nil {
				errs = append(errs, err.Error())
			}
		}
		fmt.Printf("%s: %d segs delims=%q errs=%v\n", f, n, []byte{r.Delimiters().Element, r.Delimiters().Component, r.Delimiters().Repetition, r.Delimiters().Segment}, errs)
		for _, w := range r.Warnings() {
			fmt.Println("   warn:", w)
		}
		fh.Close()
	}
}
