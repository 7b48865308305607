package wire_test

import (
	"bytes"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// Line messages are encoded in two parts joined together; they must decode
// to exactly the message built the plain way, and agree with the claim
// message that carries the same lines.
func TestMessagesDecodeWhole(t *testing.T) {
	var buf bytes.Buffer
	if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: 21, Claims: 30, LinesPerClaim: 2, Transactions: 2, PayeeNPI: "1999999984"}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	d := x12.NewRemitReader(bytes.NewReader(raw))
	f := wire.FileRef{ID: 7, SHA256: [32]byte{1, 2, 3}}
	claims := 0
	for {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c, ok := rec.(*x12.ClaimPayment)
		if !ok {
			continue
		}
		claims++
		msgs, err := wire.RemitMessages(f, 42, c, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != len(c.Lines)+1 {
			t.Fatalf("%d messages for %d lines", len(msgs), len(c.Lines))
		}
		var whole v1.ClaimPayment
		last := msgs[len(msgs)-1]
		if last.Subject != bus.ClaimSubject(42) || proto.Unmarshal(last.Data, &whole) != nil || len(whole.Lines) != len(c.Lines) {
			t.Fatalf("claim message %s: %d lines", last.Subject, len(whole.Lines))
		}
		for i, m := range msgs[:len(c.Lines)] {
			var got v1.ServiceLinePayment
			if err := proto.Unmarshal(m.Data, &got); err != nil {
				t.Fatal(err)
			}
			want := &v1.ServiceLinePayment{Source: got.Source, Claim: whole.Claim, Payer: whole.Payer, Payee: whole.Payee,
				Payment: whole.Payment, Line: whole.Lines[i].Line}
			if !proto.Equal(&got, want) {
				t.Fatalf("line %d decodes to\n%v\nwant\n%v", i+1, &got, want)
			}
			if got.Source.SegmentIndex != int32(c.Lines[i].Segment) || got.Source.PracticeId != 42 || got.Source.FileId != 7 {
				t.Fatalf("line %d source %v", i+1, got.Source)
			}
			if id, _ := bus.LineMsgID(got.Source); m.ID != id || m.Subject != bus.LineSubject(42) || m.Header.Get(bus.HeaderType) != "remitq.v1.ServiceLinePayment" {
				t.Fatalf("line %d: id %s subject %s header %v", i+1, m.ID, m.Subject, m.Header)
			}
			if got.Line.ChargeCents != c.Lines[i].Charge.Cents() || got.Claim.PatientControlNumber != c.PatientControl {
				t.Fatalf("line %d carries the wrong amounts or claim", i+1)
			}
		}
	}
	if claims != 60 {
		t.Fatalf("%d claims, want 60", claims)
	}
}
