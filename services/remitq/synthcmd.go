package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/remitq/remitq/pkg/synth"
)

func init() {
	register(command{name: "synth 835", usage: "[--claims N] [--lines N] [--sets N] [--seed N] --out FILE  write a synthetic balanced 835", run: runSynth835})
}

func runSynth835(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("synth 835", flag.ContinueOnError)
	claims := fs.Int("claims", 1000, "claims per transaction set")
	lines := fs.Int("lines", 2, "service lines per claim")
	sets := fs.Int("sets", 1, "transaction sets (ST…SE)")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same file)")
	out := fs.String("out", "", "output file")
	if err := fs.Parse(args); err != nil || *out == "" {
		return errUsage
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := synth.WriteRemits(bw, synth.RemitOptions{Seed: *seed, Claims: *claims, LinesPerClaim: *lines, Transactions: *sets, LineBreaks: true})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d service lines\n", *out, n)
	return nil
}
