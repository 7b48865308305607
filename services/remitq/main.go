// Command remitq is remitq in one binary: every service in one process on
// the embedded default (remitq demo, remitq serve), and the command-line
// tools: ingest, claims and fees load, practices, users and tokens, auths,
// the pre-bill check, the offline matcher and router, reports, and x12
// inspection. `remitq` with no arguments lists every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// errUsage makes main print the usage and exit 2.
var errUsage = errors.New("usage")

func usage() {
	fmt.Fprintln(os.Stderr, "usage: remitq <command> [arguments]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-34s %s\n", c.name, c.usage)
	}
}

func main() {
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() < 1 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(dispatch(ctx, flag.Args()))
}

// dispatch finds the longest registered command name matching args.
func dispatch(ctx context.Context, args []string) int {
	var best *command
	n := 0
	for i := range commands {
		words := splitWords(commands[i].name)
		if len(words) <= len(args) && len(words) > n && equalWords(words, args[:len(words)]) {
			best, n = &commands[i], len(words)
		}
	}
	if best == nil {
		fmt.Fprintf(os.Stderr, "remitq: unknown command %q\n", args[0])
		usage()
		return 2
	}
	if err := best.run(ctx, args[n:]); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(os.Stderr, "usage: remitq %s %s\n", best.name, best.usage)
			return 2
		}
		fmt.Fprintf(os.Stderr, "remitq %s: %v\n", best.name, err)
		return 1
	}
	return 0
}

func splitWords(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
