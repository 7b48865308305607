package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Watcher ingests the files dropped into a folder (an SFTP landing folder, a
// clearinghouse download directory). It polls rather than relying on file
// system events, which network shares do not deliver.
//
// A file is taken once its size and modification time have not changed
// between two polls, so a file still being written is left alone; names
// starting with "." or ending in ".tmp" or ".part" are ignored. After
// ingest the file moves to Dir/processed (ingested, duplicate or waiting for
// its practice) or Dir/quarantine (errors), so the folder shows what is left
// to do; the raw bytes are in the database either way. When the database
// cannot be reached the file stays where it is and is tried again.
type Watcher struct {
	// Dir is the folder watched.
	Dir string
	// Ingester stores the files.
	Ingester *Ingester
	// Interval between polls (default 2 s).
	Interval time.Duration
	// Log receives one line per file (never its content).
	Log *zap.Logger
	// Done, when set, is called after each file with its result.
	Done func(name string, res *Result)

	seen map[string]fileState
}

type fileState struct {
	size int64
	mod  time.Time
}

// Subfolders of Watcher.Dir.
const (
	ProcessedDir  = "processed"
	QuarantineDir = "quarantine"
)

// Run polls until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	for _, sub := range []string{ProcessedDir, QuarantineDir} {
		if err := os.MkdirAll(filepath.Join(w.Dir, sub), 0o750); err != nil {
			return fmt.Errorf("ingest: watch folder: %w", err)
		}
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.log().Warn("watch folder: will retry", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Watcher) log() *zap.Logger {
	if w.Log == nil {
		return zap.NewNop()
	}
	return w.Log
}

// Poll looks at the folder once and ingests every file that has stopped
// changing since the previous poll.
func (w *Watcher) Poll(ctx context.Context) error {
	if w.seen == nil {
		w.seen = map[string]fileState{}
	}
	entries, err := os.ReadDir(w.Dir)
	if err != nil {
		return fmt.Errorf("ingest: watch folder: %w", err)
	}
	now := map[string]fileState{}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st := fileState{size: info.Size(), mod: info.ModTime()}
		if prev, ok := w.seen[name]; !ok || prev != st {
			now[name] = st // changed or new: look again next poll
			continue
		}
		if err := w.take(ctx, name); err != nil {
			errs = append(errs, err)
			now[name] = st
		}
	}
	w.seen = now
	return errors.Join(errs...)
}

// take ingests one file and moves it out of the way.
func (w *Watcher) take(ctx context.Context, name string) error {
	path := filepath.Join(w.Dir, name)
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	res, err := w.Ingester.Ingest(ctx, name, raw)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", name, err)
	}
	sub := ProcessedDir
	if res.Status == StatusQuarantined {
		sub = QuarantineDir
	}
	dest := filepath.Join(w.Dir, sub, name)
	if _, err := os.Stat(dest); err == nil {
		dest = filepath.Join(w.Dir, sub, fmt.Sprintf("%s.%d", name, res.FileID))
	}
	if err := os.Rename(path, dest); err != nil {
		return fmt.Errorf("ingest: move %s: %w", name, err)
	}
	w.log().Info("folder file ingested", zap.String("file", name), zap.Int64("file_id", res.FileID),
		zap.String("status", res.Status), zap.Bool("duplicate", res.Duplicate))
	if w.Done != nil {
		w.Done(name, res)
	}
	return nil
}
