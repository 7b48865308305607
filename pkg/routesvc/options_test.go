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
	"github.com/remitq/remitq/pkg/wire"
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

// TestClaimWithABadLine: a ClaimMatches whose second line does not decode
// stores its first line's work item and goes to the dead-letter stream
// whole (a replay would store the first line again, which changes
// nothing); a body that is no ClaimMatches, and a lone LineMatch (the
// router takes claims only), are refused too.
func TestClaimWithABadLine(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 1, 300)
	want := workKeys(t, ts)
	var good *v1.LineMatch
	for _, m := range ts.msgs {
		if want[keyOf(m)] {
			good = m
			break
		}
	}
	if good == nil {
		t.Fatal("no line of the truth set needs work")
	}
	raw, err := proto.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := wire.AppendClaimLine(nil, raw)
	body, _ = wire.AppendClaimLine(body, []byte{0xff, 0xff, 0xff})
	practice := good.GetSource().GetPracticeId()
	msgs := []bus.Message{
		bus.RawMessage(bus.MatchClaimSubject(practice), "bad-line", "remitq.v1.ClaimMatches", body),
		bus.RawMessage(bus.MatchClaimSubject(practice), "no-claim", "remitq.v1.ClaimMatches", []byte{0x0a, 0x7f}),
		bus.RawMessage(bus.MatchClaimSubject(practice), "a-line", "remitq.v1.LineMatch", raw),
	}
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	run(t, s)
	if _, err := bus.NewPublisher(e.deps.JS, bus.PublisherOptions{}).PublishAsync(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	drain(t, e.deps.JS)
	got := items(t, e)
	if _, ok := got[keyOf(good)]; len(got) != 1 || !ok {
		t.Errorf("%d work items, want the good line's %s", len(got), keyOf(good))
	}
	dlq, err := e.deps.JS.Stream(context.Background(), bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("%d dead letters, want 3 (the claim with a bad line, the body that is no claim, the lone line)", info.State.Msgs)
	}
}
