package main

import (
	"flag"
	"testing"
)

// TestDataFlagChosen: the data folder counts as chosen (its cluster stays
// there) only when --data or REMITQ_DATA names it; the default .data may
// have its cluster moved where PostgreSQL's user can reach it.
func TestDataFlagChosen(t *testing.T) {
	for _, c := range []struct {
		env    string
		args   []string
		data   string
		chosen bool
	}{
		{"", nil, ".data", false},
		{"", []string{"--data", "/srv/rq"}, "/srv/rq", true},
		{"/var/rq", nil, "/var/rq", true},
	} {
		t.Setenv("REMITQ_DATA", c.env)
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var ef envFlags
		ef.register(fs, "127.0.0.1:0")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if ef.data != c.data || ef.chosen != c.chosen {
			t.Errorf("env %q args %q: data %q chosen %v, want %q %v", c.env, c.args, ef.data, ef.chosen, c.data, c.chosen)
		}
	}
}
