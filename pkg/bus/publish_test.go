package bus

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

func TestSubjectsAndIDs(t *testing.T) {
	t.Parallel()
	src := &remitqv1.SourceRef{FileSha256: "ab12", SegmentIndex: 17, PracticeId: 42}
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct{ got, want string }{
		{LineSubject(42), "remit.v1.line.42"},
		{LineSubject(0), "remit.v1.line.unknown"},
		{PLBSubject(-1), "remit.v1.plb.unknown"},
		{ClaimSubject(7), "remit.v1.claim.7"},
		{MatchLineSubject(7), "match.v1.line.7"},
		{DLQSubject("remit.v1.line.42"), "dlq.v1.remit.v1.line.42"},
		{must(LineMsgID(src)), "ab12:17"},
		{must(ClaimMsgID(src)), "ab12:17:clp"},
		{must(PLBMsgID(src, 3)), "ab12:17:plb3"},
		{must(MatchMsgID(src)), "ab12:17:match"},
		{MatchClaimSubject(7), "match.v1.claim.7"},
		{must(MatchClaimMsgID(src, nil)), "ab12:17:claimmatch"},
		{must(MatchClaimMsgID(src, []int32{0, 0})), "ab12:17:claimmatch"},
		{must(MatchClaimMsgID(src, []int32{0, 2, 1})), "ab12:17:claimmatch:r0.2.1"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q", tc.got)
			}
		})
	}
	if _, err := LineMsgID(&remitqv1.SourceRef{FileSha256: "ab"}); !errors.Is(err, ErrBadSource) {
		t.Errorf("segment 0: %v, want ErrBadSource", err)
	}
	if _, err := LineMsgID(nil); !errors.Is(err, ErrBadSource) {
		t.Errorf("nil source: %v, want ErrBadSource", err)
	}
	if _, err := PLBMsgID(src, 7); err == nil {
		t.Error("PLB position 7 accepted")
	}

	m, err := NewPLBMessage(&remitqv1.ProviderAdjustment{Source: src, Position: 2, ReasonCode: "WO", AmountCents: -1050})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "remit.v1.plb.42" || m.ID != "ab12:17:plb2" || m.Header.Get(HeaderType) != "remitq.v1.ProviderAdjustment" {
		t.Errorf("PLB message: subject %q id %q type %q", m.Subject, m.ID, m.Header.Get(HeaderType))
	}
	var back remitqv1.ProviderAdjustment
	if err := proto.Unmarshal(m.Data, &back); err != nil || back.GetAmountCents() != -1050 {
		t.Errorf("round trip: %v, amount %d", err, back.GetAmountCents())
	}
}

func TestPublishSameIDTwiceStoresOne(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	p := NewPublisher(env.js, PublisherOptions{})
	m := lineMsg(t, 5)

	st, err := p.PublishSync(t.Context(), []Message{m, m})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored != 1 || st.Duplicates != 1 {
		t.Errorf("sync: %+v, want 1 stored, 1 duplicate", st)
	}
	st, err = p.PublishAsync(t.Context(), []Message{m, lineMsg(t, 6), m, lineMsg(t, 6)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored != 1 || st.Duplicates != 3 {
		t.Errorf("async: %+v, want 1 stored, 3 duplicates", st)
	}
	if n := streamMsgs(t, env.js, StreamRemit); n != 2 {
		t.Errorf("REMIT holds %d messages, want 2", n)
	}
	// The caller's header map is not modified by publishing.
	if m.Header.Get(jetstream.MsgIDHeader) != "" {
		t.Error("Publish wrote Nats-Msg-Id into the caller's header")
	}
}

func TestPublishAsyncBatches(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	p := NewPublisher(env.js, PublisherOptions{BatchSize: 100})
	b := p.NewBatch()
	for i := range 1050 {
		if err := b.Add(t.Context(), lineMsg(t, int32(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.Stored != 1050 || st.Duplicates != 0 {
		t.Errorf("stats %+v, want 1050 stored", st)
	}
	if n := streamMsgs(t, env.js, StreamRemit); n != 1050 {
		t.Errorf("REMIT holds %d, want 1050", n)
	}
}

func TestPublishErrorNamesTheMessage(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	p := NewPublisher(env.js, PublisherOptions{})
	msgs := []Message{lineMsg(t, 1), lineMsg(t, 2), lineMsg(t, 3)}
	msgs[1].Subject = "nowhere.v1.line.42" // no stream listens here

	for name, publish := range map[string]func() (PublishStats, error){
		"async": func() (PublishStats, error) { return p.PublishAsync(t.Context(), msgs) },
		"sync":  func() (PublishStats, error) { return p.PublishSync(t.Context(), msgs) },
	} {
		_, err := publish()
		var pe *PublishError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %v is not a *PublishError", name, err)
		}
		if pe.Index != 1 || pe.Subject != "nowhere.v1.line.42" || pe.ID != "ab12:2" || pe.Failed != 1 {
			t.Errorf("%s: %+v; want index 1, its subject and id, 1 failed", name, pe)
		}
		t.Logf("%s: %v", name, err)
	}

	noID := lineMsg(t, 9)
	noID.ID = ""
	if _, err := p.PublishAsync(t.Context(), []Message{noID}); !errors.Is(err, ErrNoMsgID) {
		t.Errorf("message without id: %v, want ErrNoMsgID", err)
	}
}

// BenchmarkPublishAsync publishes 256-byte messages with message ids to an
// in-process file-backed server, waiting for acks in batches of 1000.
func BenchmarkPublishAsync(b *testing.B) {
	env := startJS(b, "")
	if err := Setup(b.Context(), env.js, Config{}); err != nil {
		b.Fatal(err)
	}
	p := NewPublisher(env.js, PublisherOptions{})
	batch := p.NewBatch()
	body := bytes.Repeat([]byte("x"), 256)
	subj := LineSubject(42)
	n := 0
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n++
		if err := batch.Add(b.Context(), Message{Subject: subj, ID: fmt.Sprintf("bench:%d", n), Data: body}); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Wait(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
