package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

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
	out := bufio.NewWriter(os.Stdout)
	if err := writeX12JSON(out, data); err != nil {
		return err
	}
	return out.Flush()
}

// writeX12JSON writes the whole typed content of data as JSON: a file of
// 835s as x12.RemitFile, of 837s as x12.ClaimFile, and a file holding both
// (several interchanges of different kinds) as {"remittances": …,
// "claims": …}. Transaction sets of other kinds (999, 277) are skipped, as
// x12 summary skips them; a file with neither 835 nor 837 is an error.
func writeX12JSON(w io.Writer, data []byte) error {
	kinds, err := x12.TransactionTypes(data)
	if err != nil {
		return err
	}
	has835, has837 := slices.Contains(kinds, "835"), slices.Contains(kinds, "837")
	var v any
	switch {
	case has835 && has837:
		rem, err := x12.ReadRemittances(bytes.NewReader(data))
		if err != nil {
			return err
		}
		claims, err := x12.ReadClaims(bytes.NewReader(data))
		if err != nil {
			return err
		}
		v = struct {
			Remittances *x12.RemitFile `json:"remittances"`
			Claims      *x12.ClaimFile `json:"claims"`
		}{rem, claims}
	case has835:
		v, err = x12.ReadRemittances(bytes.NewReader(data))
	case has837:
		v, err = x12.ReadClaims(bytes.NewReader(data))
	default:
		return fmt.Errorf("transaction sets %v: no 835 or 837", kinds)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
