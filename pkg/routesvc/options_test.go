package routesvc_test

import (
	"context"
	"errors"
	"flag"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/routesvc"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// TestRefusedForGood: a body that does not decode and a line without a
// source are refused for good (bus.ErrPermanent, so they go to the dead
// letters at once), and the cause stays visible to errors.Is; a line of an
// unknown practice is acknowledged without an error.
func TestRefusedForGood(t *testing.T) {
	e := newEnv(t)
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	noSource, err := proto.Marshal(&v1.LineMatch{Source: &v1.SourceRef{PracticeId: 1}})
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := proto.Marshal(&v1.LineMatch{Source: &v1.SourceRef{FileSha256: "ab", SegmentIndex: 3}})
	if err != nil {
		t.Fatal(err)
	}
	errs := s.Handle(context.Background(), [][]byte{{0xff, 0xff, 0xff}, noSource, unknown})
	if len(errs) != 3 {
		t.Fatalf("errors %v", errs)
	}
	for _, c := range []struct {
		name  string
		err   error
		cause error
	}{{"garbage", errs[0], nil}, {"no source", errs[1], bus.ErrBadSource}} {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, bus.ErrPermanent) {
				t.Errorf("%v is not permanent", c.err)
			}
			if c.cause != nil && !errors.Is(c.err, c.cause) {
				t.Errorf("%v does not wrap %v", c.err, c.cause)
			}
		})
	}
	if errs[2] != nil {
		t.Errorf("unknown practice: %v", errs[2])
	}
}

// TestNewOptions: New refuses negative options, and refuses a second
// router's metrics on the same registry instead of panicking.
func TestNewOptions(t *testing.T) {
	e := newEnv(t)
	for _, o := range []routesvc.Options{{Workers: -1}, {MaxBatch: -1}, {MaxWait: -time.Second}, {CacheTTL: -time.Second}} {
		if _, err := routesvc.New(e.deps, o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
	newRouter(t, e.deps, routesvc.Options{})
	if _, err := routesvc.New(e.deps, routesvc.Options{}); err == nil {
		t.Error("a second router on the same metrics registry: no error")
	}
}

// TestFlagsReadTheEnvironment: every flag defaults to its environment
// variable, and a flag given wins.
func TestFlagsReadTheEnvironment(t *testing.T) {
	t.Setenv("ROUTER_BATCH", "250")
	t.Setenv("ROUTER_WORKERS", "5")
	t.Setenv("ROUTER_MAX_WAIT", "1s")
	t.Setenv("ROUTER_APPEAL_DAYS", "120")
	t.Setenv("ROUTER_CACHE_TTL", "1m")
	t.Setenv("ROUTER_NO_HISTORY", "true")
	var o routesvc.Options
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	o.Flags(fs)
	if err := fs.Parse([]string{"--batch", "300"}); err != nil {
		t.Fatal(err)
	}
	want := routesvc.Options{MaxBatch: 300, Workers: 5, MaxWait: time.Second, CacheTTL: time.Minute, NoHistory: true}
	want.Route.AppealDays = 120
	if o.MaxBatch != want.MaxBatch || o.Workers != want.Workers || o.MaxWait != want.MaxWait || o.CacheTTL != want.CacheTTL ||
		o.NoHistory != want.NoHistory || o.Route.AppealDays != want.Route.AppealDays {
		t.Errorf("options %+v, want %+v", o, want)
	}
	var old routesvc.Options
	fs = flag.NewFlagSet("router", flag.ContinueOnError)
	old.Flags(fs)
	if err := fs.Parse([]string{"--consumers", "3"}); err != nil || old.Workers != 3 {
		t.Errorf("--consumers 3: workers %d, %v", old.Workers, err)
	}
}
