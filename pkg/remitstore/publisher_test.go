package remitstore_test

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/remitstore"
)

// subjectMsgs counts the REMIT messages on subjects matching filter.
func (e *env) subjectMsgs(t *testing.T, filter string) uint64 {
	t.Helper()
	s, err := e.js.Stream(t.Context(), bus.StreamRemit)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context(), jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// The line messages cost a publish and a stored message each; the
// pipeline's matcher takes whole claims. By default they are published only
// for a practice whose lines a consumer of REMIT takes.
func TestLineMessagesOnlyWhenConsumed(t *testing.T) {
	for _, tt := range []struct {
		name     string
		policy   bus.LinePolicy
		consumer []string // filter subjects of an extra consumer; nil: none
		lines    bool
	}{
		{"nobody takes lines", bus.LinesWanted, nil, false},
		{"a consumer of every line", bus.LinesWanted, []string{"remit.v1.line.>"}, true},
		{"a consumer of the practice's lines", bus.LinesWanted, []string{"remit.v1.line.{p}"}, true},
		{"a consumer of another practice's lines", bus.LinesWanted, []string{"remit.v1.line.999999"}, false},
		{"a consumer of everything", bus.LinesWanted, []string{}, true},
		{"a consumer of claims only", bus.LinesWanted, []string{"remit.v1.claim.*"}, false},
		{"wildcard tokens", bus.LinesWanted, []string{"remit.*.line.*"}, true},
		{"always", bus.LinesAlways, nil, true},
		{"never, though consumed", bus.LinesNever, []string{"remit.v1.line.>"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			practice := e.addPractice(t)
			if tt.consumer != nil {
				cc := jetstream.ConsumerConfig{Durable: "lines", AckPolicy: jetstream.AckExplicitPolicy}
				for _, f := range tt.consumer {
					if f == "remit.v1.line.{p}" {
						f = bus.LineSubject(practice)
					}
					cc.FilterSubjects = append(cc.FilterSubjects, f)
				}
				if _, err := e.js.CreateConsumer(t.Context(), bus.StreamRemit, cc); err != nil {
					t.Fatal(err)
				}
			}
			raw, lines := remits(t, 31, 40)
			if _, err := e.in.Ingest(t.Context(), "one.835", raw); err != nil {
				t.Fatal(err)
			}
			p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: tt.policy}
			sent, err := p.Drain(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			wantLines := 0
			if tt.lines {
				wantLines = lines
			}
			if got := e.subjectMsgs(t, "remit.v1.line.>"); got != uint64(wantLines) {
				t.Fatalf("%d line messages, want %d", got, wantLines)
			}
			// Every claim is published whatever the policy: 40 in each of 2 sets.
			if got := e.subjectMsgs(t, "remit.v1.claim.>"); got != 80 {
				t.Fatalf("%d claim messages, want 80", got)
			}
			if sent != wantLines+80 || e.streamMsgs(t) != uint64(sent) {
				t.Fatalf("sent %d, stream has %d, want %d", sent, e.streamMsgs(t), wantLines+80)
			}
		})
	}
}
