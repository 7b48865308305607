package matchsvc

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/money"
)

// Options tune the matcher. The zero value uses the defaults. [Options.Flags]
// registers a flag for each, whose default is read from the environment:
//
//	flag                  env                        default
//	--threshold           MATCH_THRESHOLD            0 (pkg/match's 0.8)
//	--underpaid-tolerance MATCH_UNDERPAID_TOLERANCE  0 (pkg/match's), dollars as 1.50
//	--workers             MATCH_WORKERS              2
//	--max-batch           MATCH_MAX_BATCH            1000
//	--max-wait            MATCH_MAX_WAIT             100ms
//	--retry-poll          MATCH_RETRY_POLL           2s
//	--consumer            MATCH_CONSUMER             matcher
type Options struct {
	// Threshold and UnderpaidTolerance are pkg/match's (zero: its defaults).
	Threshold          float64
	UnderpaidTolerance money.Amount
	// Workers is how many batches one process handles at once (default 2):
	// while one batch waits for PostgreSQL or JetStream, another is matched.
	// Each batch's transaction holds an advisory lock per payer + CLP07 it
	// reads (about MaxBatch): PostgreSQL's lock table holds
	// max_locks_per_transaction × max_connections (6,400 by default), so
	// raise max_locks_per_transaction (e.g. 256) before running many
	// processes × Workers.
	Workers int
	// MaxBatch is the most messages per batch (default 1000); MaxWait how
	// long a fetch waits to fill one (default 100 ms).
	MaxBatch int
	MaxWait  time.Duration
	// RetryPoll is how often the retry queue and the outbox are looked at
	// without a wake-up (default 2 s).
	RetryPoll time.Duration
	// Consumer is the durable consumer on REMIT (default bus.ConsumerMatcher).
	Consumer string
	// Lines says when each line's LineMatch (match.v1.line.<practice>) is
	// published beside its claim's ClaimMatches (default bus.LinesWanted:
	// when a consumer of MATCHED takes the practice's line subject). The
	// router consumes only the claims (bus.RouterSubjects).
	Lines bus.LinePolicy
}

// Flags registers a flag for every option on fs, its default from the
// environment variable named in the table of [Options] (else o's value;
// a variable that does not parse is ignored).
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.Float64Var(&o.Threshold, "threshold", envFloat("MATCH_THRESHOLD", o.Threshold),
		"confidence below which a match waits for a person (env MATCH_THRESHOLD; 0: 0.8)")
	fs.Func("underpaid-tolerance", "dollars a line may be underpaid and still count as paid (env MATCH_UNDERPAID_TOLERANCE; 0: pkg/match's)",
		func(s string) error {
			a, err := money.Parse(s)
			if err != nil {
				return err
			}
			o.UnderpaidTolerance = a
			return nil
		})
	if v := os.Getenv("MATCH_UNDERPAID_TOLERANCE"); v != "" {
		if a, err := money.Parse(v); err == nil {
			o.UnderpaidTolerance = a
		}
	}
	fs.IntVar(&o.Workers, "workers", envInt("MATCH_WORKERS", o.Workers), "batches handled at once (env MATCH_WORKERS; 0: 2)")
	fs.IntVar(&o.MaxBatch, "max-batch", envInt("MATCH_MAX_BATCH", o.MaxBatch), "most messages per batch (env MATCH_MAX_BATCH; 0: 1000)")
	fs.DurationVar(&o.MaxWait, "max-wait", envDuration("MATCH_MAX_WAIT", o.MaxWait),
		"how long a fetch waits to fill a batch (env MATCH_MAX_WAIT; 0: 100ms)")
	fs.DurationVar(&o.RetryPoll, "retry-poll", envDuration("MATCH_RETRY_POLL", o.RetryPoll),
		"how often the retry queue and the outbox are read without a wake-up (env MATCH_RETRY_POLL; 0: 2s)")
	fs.StringVar(&o.Consumer, "consumer", envString("MATCH_CONSUMER", o.Consumer),
		"durable consumer on the REMIT stream (env MATCH_CONSUMER; empty: "+bus.ConsumerMatcher+")")
}

func (o Options) withDefaults() Options {
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 1000
	}
	if o.MaxWait == 0 {
		o.MaxWait = 100 * time.Millisecond
	}
	if o.RetryPoll == 0 {
		o.RetryPoll = 2 * time.Second
	}
	if o.Consumer == "" {
		o.Consumer = bus.ConsumerMatcher
	}
	return o
}

// Validate reports impossible settings (zero values are defaults).
func (o Options) Validate() error {
	var errs []error
	if o.Threshold < 0 || o.Threshold > 1 {
		errs = append(errs, fmt.Errorf("matchsvc: threshold must be within 0..1, got %v", o.Threshold))
	}
	if o.UnderpaidTolerance < 0 {
		errs = append(errs, errors.New("matchsvc: the underpaid tolerance cannot be negative"))
	}
	if o.Workers < 0 || o.MaxBatch < 0 || o.MaxWait < 0 || o.RetryPoll < 0 {
		errs = append(errs, fmt.Errorf("matchsvc: workers %d, max batch %d, max wait %v and retry poll %v cannot be negative",
			o.Workers, o.MaxBatch, o.MaxWait, o.RetryPoll))
	}
	return errors.Join(errs...)
}

func envString(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}

func envFloat(k string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return f
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}
