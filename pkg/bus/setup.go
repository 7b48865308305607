package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config is the JetStream layout: stream limits and the redelivery policy of
// the durable consumers. The zero value means "all defaults" (see
// [DefaultConfig]); set only what you need.
type Config struct {
	// Replicas of every stream (1 for a single server, 3 for a cluster).
	// Default 1.
	Replicas int
	// Duplicates is the window in which a repeated Nats-Msg-Id is dropped.
	// Default 2 minutes. Outside it only the database's natural keys dedupe.
	Duplicates time.Duration
	// MaxAge is how long REMIT and MATCHED keep messages. Default 30 days;
	// negative keeps them until removed by hand.
	MaxAge time.Duration
	// DLQMaxAge is how long the DLQ keeps dead letters. Default 365 days;
	// negative keeps them until removed by hand.
	DLQMaxAge time.Duration

	// AckWait is how long a handler may work on one delivery before the
	// server assumes the worker died and redelivers. Default 30 s.
	AckWait time.Duration
	// BackOff lists the delays before the 1st, 2nd, … redelivery after a
	// handler error; the last entry repeats. Default 5 s, 30 s, 2 min,
	// 10 min, 30 min.
	//
	// NATS uses a consumer's BackOff as the ack wait of each delivery, so the
	// consumer gets max(AckWait, BackOff[i]) there, and the exact schedule is
	// kept in the consumer's metadata (key [MetaNakBackoff]) for [ConsumeBatch].
	BackOff []time.Duration
	// MaxDeliver is the number of deliveries (first one included) before a
	// failing message goes to the DLQ. Default 8.
	MaxDeliver int
	// MaxAckPending caps unacknowledged messages per consumer. Default
	// 10000: the services fetch batches of up to a thousand, several at once
	// and from several processes, and acknowledge a batch when it is stored;
	// a cap of one batch made every other fetch wait for those acks (the
	// router ran at a third of its speed).
	MaxAckPending int
}

// MetaNakBackoff is the consumer metadata key under which [Setup] stores the
// Nak delay schedule (comma-separated Go durations) that [ConsumeBatch] follows.
const MetaNakBackoff = "remitq.nak_backoff"

// DefaultConfig returns the configuration the zero Config stands for.
func DefaultConfig() Config {
	return Config{
		Replicas:      1,
		Duplicates:    2 * time.Minute,
		MaxAge:        30 * 24 * time.Hour,
		DLQMaxAge:     365 * 24 * time.Hour,
		AckWait:       30 * time.Second,
		BackOff:       []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute},
		MaxDeliver:    8,
		MaxAckPending: 10000,
	}
}

// WithDefaults returns c with every zero field set from [DefaultConfig].
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Replicas == 0 {
		c.Replicas = d.Replicas
	}
	if c.Duplicates == 0 {
		c.Duplicates = d.Duplicates
	}
	if c.MaxAge == 0 {
		c.MaxAge = d.MaxAge
	}
	if c.DLQMaxAge == 0 {
		c.DLQMaxAge = d.DLQMaxAge
	}
	if c.AckWait == 0 {
		c.AckWait = d.AckWait
	}
	if len(c.BackOff) == 0 {
		c.BackOff = d.BackOff
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = d.MaxDeliver
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = d.MaxAckPending
	}
	return c
}

// Validate reports the first setting NATS would refuse or that makes no
// sense, after defaults are applied.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas must be 1..5, got %d", c.Replicas))
	}
	if c.Duplicates < 0 {
		errs = append(errs, fmt.Errorf("duplicates window must be positive, got %v", c.Duplicates))
	}
	for _, age := range []time.Duration{c.MaxAge, c.DLQMaxAge} {
		if age > 0 && c.Duplicates > age {
			errs = append(errs, fmt.Errorf("duplicates window %v exceeds max age %v", c.Duplicates, age))
		}
	}
	if c.AckWait < 0 {
		errs = append(errs, fmt.Errorf("ack wait must be positive, got %v", c.AckWait))
	}
	for i, b := range c.BackOff {
		if b <= 0 {
			errs = append(errs, fmt.Errorf("backoff[%d] must be positive, got %v", i, b))
		}
	}
	if c.MaxDeliver < 1 {
		errs = append(errs, fmt.Errorf("max deliver must be >= 1, got %d", c.MaxDeliver))
	}
	if c.MaxAckPending < 1 {
		errs = append(errs, fmt.Errorf("max ack pending must be >= 1, got %d", c.MaxAckPending))
	}
	if len(errs) > 0 {
		return fmt.Errorf("bus: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// StreamConfigs returns the stream definitions [Setup] applies: REMIT,
// MATCHED and DLQ, all file-backed with limits retention.
func StreamConfigs(c Config) []jetstream.StreamConfig {
	c = c.WithDefaults()
	age := func(d time.Duration) time.Duration { return max(d, 0) }
	mk := func(name, desc, subjects string, maxAge time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: desc,
			Subjects:    []string{subjects},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      age(maxAge),
			Storage:     jetstream.FileStorage,
			Replicas:    c.Replicas,
			Duplicates:  c.Duplicates,
		}
	}
	return []jetstream.StreamConfig{
		mk(StreamRemit, "remitq: 835 facts from ingest (lines, PLB adjustments, claims)", SubjectsRemit, c.MaxAge),
		mk(StreamMatched, "remitq: matcher results for the router", SubjectsMatched, c.MaxAge),
		mk(StreamDLQ, "remitq: dead letters, parked for a person", SubjectsDLQ, c.DLQMaxAge),
	}
}

// ConsumerConfig returns the definition of a durable pull consumer with
// explicit acks and the redelivery policy of c.
func ConsumerConfig(durable, description string, c Config) jetstream.ConsumerConfig {
	c = c.WithDefaults()
	// Deliveries beyond MaxDeliver never happen, and NATS refuses a BackOff
	// longer than MaxDeliver.
	n := min(len(c.BackOff), c.MaxDeliver)
	ackWaits := make([]time.Duration, n)
	naks := make([]string, n)
	for i, b := range c.BackOff[:n] {
		ackWaits[i] = max(b, c.AckWait)
		naks[i] = b.String()
	}
	return jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   description,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWaits[0],
		BackOff:       ackWaits,
		MaxDeliver:    c.MaxDeliver,
		MaxAckPending: c.MaxAckPending,
		Metadata:      map[string]string{MetaNakBackoff: strings.Join(naks, ",")},
	}
}

// Setup creates the streams REMIT, MATCHED and DLQ and the durable pull
// consumers matcher (on REMIT) and router (on MATCHED), or updates them to
// match cfg. It is idempotent: every service may call it at start.
//
// NATS cannot change some settings of an existing stream (storage, for one);
// Setup then returns the server's error rather than deleting data.
func Setup(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, sc := range StreamConfigs(cfg) {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("bus: create or update stream %s: %w", sc.Name, err)
		}
	}
	consumers := []struct {
		stream string
		cc     jetstream.ConsumerConfig
	}{
		{StreamRemit, MatcherConsumerConfig(cfg)},
		{StreamMatched, RouterConsumerConfig(cfg)},
	}
	for _, c := range consumers {
		if _, err := js.CreateOrUpdateConsumer(ctx, c.stream, c.cc); err != nil {
			return fmt.Errorf("bus: create or update consumer %s on %s: %w", c.cc.Durable, c.stream, err)
		}
	}
	return nil
}

// MatcherSubjects are the REMIT subjects the matcher consumes: whole
// claims (it matches a claim's lines together) and PLB pairs. The per-line
// messages are for other consumers.
var MatcherSubjects = []string{"remit.v1.claim.>", "remit.v1.plb.>"}

// RouterSubjects are the MATCHED subjects the router consumes: one
// ClaimMatches per paid claim. The per-line LineMatch messages are for
// other consumers (the matcher sends them only when one takes them).
var RouterSubjects = []string{"match.v1.claim.>"}

// RouterConsumerConfig is the router's durable consumer on MATCHED:
// ConsumerConfig filtered to RouterSubjects.
func RouterConsumerConfig(cfg Config) jetstream.ConsumerConfig {
	cc := ConsumerConfig(ConsumerRouter, "remitq router: turns matches into work items", cfg)
	cc.FilterSubjects = RouterSubjects
	return cc
}

// MatcherMaxAckPending is the least number of unacknowledged messages the
// matcher consumer allows: matcher processes fetch claims in batches of up
// to a thousand, several at once.
const MatcherMaxAckPending = 10000

// MatcherConsumerConfig is the matcher's durable consumer on REMIT:
// ConsumerConfig filtered to MatcherSubjects, with room for batches.
func MatcherConsumerConfig(cfg Config) jetstream.ConsumerConfig {
	cc := ConsumerConfig(ConsumerMatcher, "remitq matcher: joins paid claims to billed claims", cfg)
	cc.FilterSubjects = MatcherSubjects
	cc.MaxAckPending = max(cc.MaxAckPending, MatcherMaxAckPending)
	return cc
}
