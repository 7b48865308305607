package ingestsvc

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/httpx"
)

// Options configures the service. The zero value uses the defaults.
// [Options.Flags] registers a flag for each plain setting, whose default is
// read from the environment:
//
//	flag                 env                        default
//	--watch              WATCH_DIR                  (no folder)
//	--watch-interval     WATCH_INTERVAL             2s
//	--max-file-bytes     MAX_FILE_BYTES             256 MiB
//	--max-inflight-bytes MAX_INFLIGHT_BYTES         1 GiB (-1: no cap)
//	--no-publisher       INGEST_NO_PUBLISHER        false
//	--workers            INGEST_WORKERS             1 (publisher loops)
//	--checkpoint-every   PUBLISH_CHECKPOINT_EVERY   20000
type Options struct {
	// WatchDir, when set, is a folder whose files are ingested: 835s as
	// remittances, 999s and 277CAs as acknowledgments.
	WatchDir string
	// WatchInterval is the folder poll interval (default 2 s).
	WatchInterval time.Duration
	// MaxFileBytes bounds an uploaded file and a file of the watched
	// folder (default 256 MiB).
	MaxFileBytes int64
	// Upload bounds an upload request further (parts, body deadlines,
	// spooling); its MaxFileBytes is MaxFileBytes.
	Upload httpx.UploadLimits
	// MaxInFlightBytes caps the upload bytes received and not yet answered
	// across requests (default 1 GiB; -1 for no cap): beyond it an upload
	// is answered 503 with Retry-After.
	MaxInFlightBytes int64
	// Authorize, when set, is asked before every request; an error answers
	// 401. The API service replaces it with its own authentication.
	Authorize func(*http.Request) error
	// NoPublisher leaves the outbox to other processes (tests, or a
	// deployment that runs publishers apart).
	NoPublisher bool
	// Workers is how many publisher loops drain the outbox (default 1);
	// they share it file by file as separate processes do.
	Workers int
	// CheckpointEvery is passed to the publisher (default 20000).
	CheckpointEvery int
}

// DefaultMaxInFlightBytes is the default of Options.MaxInFlightBytes.
const DefaultMaxInFlightBytes = 1 << 30

// Flags registers a flag for every plain option on fs, its default from the
// environment variable named in the table of [Options] (else o's value; a
// variable that does not parse is ignored).
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.WatchDir, "watch", envString("WATCH_DIR", o.WatchDir), "folder to ingest files from (env WATCH_DIR)")
	fs.DurationVar(&o.WatchInterval, "watch-interval", envDuration("WATCH_INTERVAL", o.WatchInterval),
		"how often the folder is read (env WATCH_INTERVAL; 0: 2s)")
	fs.Int64Var(&o.MaxFileBytes, "max-file-bytes", envInt64("MAX_FILE_BYTES", o.MaxFileBytes),
		"largest file taken (env MAX_FILE_BYTES; 0: 256 MiB)")
	fs.Int64Var(&o.MaxInFlightBytes, "max-inflight-bytes", envInt64("MAX_INFLIGHT_BYTES", o.MaxInFlightBytes),
		"upload bytes received and not yet answered, beyond which uploads get 503 (env MAX_INFLIGHT_BYTES; 0: 1 GiB, -1: no cap)")
	fs.BoolVar(&o.NoPublisher, "no-publisher", envBool("INGEST_NO_PUBLISHER", o.NoPublisher),
		"leave the outbox to other processes (env INGEST_NO_PUBLISHER)")
	fs.IntVar(&o.Workers, "workers", int(envInt64("INGEST_WORKERS", int64(o.Workers))), "publisher loops (env INGEST_WORKERS; 0: 1)")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", int(envInt64("PUBLISH_CHECKPOINT_EVERY", int64(o.CheckpointEvery))),
		"messages published between two recorded checkpoints (env PUBLISH_CHECKPOINT_EVERY; 0: 20000)")
}

// Validate reports impossible settings (zero values are defaults).
func (o Options) Validate() error {
	var errs []error
	if o.WatchInterval < 0 || o.MaxFileBytes < 0 || o.Workers < 0 || o.CheckpointEvery < 0 {
		errs = append(errs, fmt.Errorf("ingestsvc: watch interval %v, max file bytes %d, workers %d and checkpoint every %d cannot be negative",
			o.WatchInterval, o.MaxFileBytes, o.Workers, o.CheckpointEvery))
	}
	if o.MaxInFlightBytes < -1 {
		errs = append(errs, errors.New("ingestsvc: max in-flight bytes is -1 (no cap), 0 (default) or a size"))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = httpx.DefaultMaxFileBytes
	}
	o.Upload.MaxFileBytes = o.MaxFileBytes
	if o.MaxInFlightBytes == 0 {
		o.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	if o.Upload.Budget == nil {
		o.Upload.Budget = httpx.NewBudget(o.MaxInFlightBytes)
	}
	if o.Workers == 0 {
		o.Workers = 1
	}
	return o
}

func envString(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt64(k string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(k), 10, 64); err == nil {
		return n
	}
	return def
}

func envBool(k string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(k)); err == nil {
		return b
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}
