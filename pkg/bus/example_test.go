package bus_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/bus"
	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// Example runs the whole round trip on an embedded server: set up the
// streams, publish a paid claim, and consume it as the matcher would.
func Example() {
	dir, err := os.MkdirTemp("", "bus-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ns, err := bus.StartEmbedded(bus.EmbeddedOptions{StoreDir: dir, Port: -1})
	if err != nil {
		panic(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := bus.ConnectEmbedded(ns)
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	if err := bus.Setup(ctx, js, bus.Config{}); err != nil {
		panic(err)
	}

	// Ingest: one message per paid claim (and per line, for other
	// consumers); the id makes republishing harmless.
	claim := &remitqv1.ClaimPayment{
		Source: &remitqv1.SourceRef{FileSha256: "9f86d081", SegmentIndex: 31, PracticeId: 42},
		Claim:  &remitqv1.Claim{PatientControlNumber: "PCN-1", StatusCode: "1", PaidCents: 81250},
		Lines:  []*remitqv1.ClaimLine{{SegmentIndex: 32, Line: &remitqv1.ServiceLine{LineNumber: 1, ChargeCents: 125000, PaidCents: 81250}}},
	}
	msg, err := bus.NewClaimMessage(claim)
	if err != nil {
		panic(err)
	}
	st, err := bus.NewPublisher(js, bus.PublisherOptions{}).PublishAsync(ctx, []bus.Message{msg, msg})
	if err != nil {
		panic(err)
	}
	fmt.Printf("stored %d, duplicates %d\n", st.Stored, st.Duplicates)

	// Matcher: decode, do the work, return nil to ack.
	cctx, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	h := func(_ context.Context, msgs []jetstream.Msg) []error {
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			var got remitqv1.ClaimPayment
			if err := proto.Unmarshal(m.Data(), &got); err != nil {
				errs[i] = bus.Permanent(fmt.Errorf("decode claim: %w", err))
				continue
			}
			fmt.Printf("%s: %d line(s), paid %d cents\n", m.Subject(), len(got.GetLines()), got.GetClaim().GetPaidCents())
		}
		stop()
		return errs
	}
	if err := bus.ConsumeBatch(cctx, js, bus.StreamRemit, bus.ConsumerMatcher, h, bus.BatchOptions{}); err != nil {
		panic(err)
	}
	// Output:
	// stored 1, duplicates 1
	// remit.v1.claim.42: 1 line(s), paid 81250 cents
}
