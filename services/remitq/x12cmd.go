package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/remitq/remitq/x12"
)

func init() {
	register(command{name: "x12 summary", usage: "FILE...  print one JSON summary per 835 file", run: runX12Summary})
	register(command{name: "x12 json", usage: "FILE  print the whole typed 835 or 837P as JSON", run: runX12JSON})
}

func runX12Summary(_ context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	failed := 0
	for _, name := range args {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "remitq x12 summary: %v\n", err)
			failed++
			continue
		}
		s, err := x12.Summarize(name, bufio.NewReaderSize(f, 256<<10))
		f.Close()
		if err != nil {
			// Unreadable at all: still one object, with the reason.
			s = &x12.Summary{File: name, Errors: []x12.SummaryError{{Message: err.Error()}}}
		}
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d file(s) could not be opened", failed)
	}
	return nil
}

func runX12JSON(_ context.Context, args []string) error {
	if len(args) != 1 {
		return errUsage
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	kind, err := x12.TransactionType(data)
	if err != nil {
		return err
	}
	var v any
	switch kind {
	case "835":
		v, err = x12.ReadRemittances(bytes.NewReader(data))
	case "837":
		v, err = x12.ReadClaims(bytes.NewReader(data))
	default:
		return fmt.Errorf("transaction set %s is not an 835 or 837", kind)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
