package bus

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// LinePolicy says when a publisher sends per-line messages beside the
// whole-claim message the pipeline itself consumes (remit.v1.line.<p>
// beside remit.v1.claim.<p> from ingest, match.v1.line.<p> beside
// match.v1.claim.<p> from the matcher).
type LinePolicy int

const (
	// LinesWanted publishes a practice's line messages when a consumer of
	// the stream takes that practice's line subject (it has no filter, or
	// a filter matching it), asked of JetStream once per publishing batch.
	// A consumer created later receives the lines published after it; a
	// core NATS subscription without a JetStream consumer does not count.
	LinesWanted LinePolicy = iota
	// LinesAlways publishes every line message.
	LinesAlways
	// LinesNever publishes only the whole-claim messages.
	LinesNever
)

// Wanted reports, for each subject, whether its messages are to be
// published on stream under policy p.
func (p LinePolicy) Wanted(ctx context.Context, js jetstream.JetStream, stream string, subjects []string) ([]bool, error) {
	out := make([]bool, len(subjects))
	switch p {
	case LinesAlways:
		for i := range out {
			out[i] = true
		}
		return out, nil
	case LinesNever:
		return out, nil
	}
	filters, err := ConsumerFilters(ctx, js, stream)
	if err != nil {
		return nil, err
	}
	for i, subject := range subjects {
		for _, f := range filters {
			if SubjectMatches(f, subject) {
				out[i] = true
				break
			}
		}
	}
	return out, nil
}

// ConsumerFilters lists the subject filters of every consumer of stream
// (">" for a consumer without a filter).
func ConsumerFilters(ctx context.Context, js jetstream.JetStream, stream string) ([]string, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", stream, err)
	}
	var out []string
	l := s.ListConsumers(ctx)
	for info := range l.Info() {
		c := info.Config
		switch {
		case len(c.FilterSubjects) > 0:
			out = append(out, c.FilterSubjects...)
		case c.FilterSubject != "":
			out = append(out, c.FilterSubject)
		default:
			out = append(out, ">")
		}
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("bus: consumers of %s: %w", stream, err)
	}
	return out, nil
}

// SubjectMatches reports whether a NATS subject filter ("*" one token, ">"
// the rest) takes subject.
func SubjectMatches(filter, subject string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case ft == ">":
			return true
		case ft != "*" && ft != st:
			return false
		case !fmore || !smore:
			return fmore == smore
		}
		filter, subject = frest, srest
	}
}
