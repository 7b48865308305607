package main

import (
	"encoding/json"
	"os"

	"github.com/remitq/remitq/x12"
)

func main() {
	for _, f := range os.Args[1:] {
		fh, _ := os.Open(f)
		s, err := x12.Summarize(f, fh)
		if err != nil {
			println(err.Error())
			continue
		}
		b, _ := json.Marshal(s)
		os.Stdout.Write(append(b, '\n'))
	}
}
