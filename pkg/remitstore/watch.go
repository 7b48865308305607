package remitstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/x12"
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
// to do; the raw bytes are in the database either way. With Acks set, a
// file whose first transaction set is a 999 or a 277 (a clearinghouse's
// acknowledgments, which land beside the 835s) is stored by Acks instead,
// and moves the same way.
//
// The watcher trusts nothing in the folder: it never follows a symlink
// (files are opened with O_NOFOLLOW, and a symlinked processed/ or
// quarantine/ stops it), never reads a file with more than one hard link
// or over MaxFileBytes (such files move to quarantine/ unread, with a
// <name>.reason.json beside them), and gives up on a file after
// MaxAttempts failures, waiting longer after each. When the database
// cannot be reached (an outage) the file stays where it is and is tried
// again with the same growing wait, for as long as the outage lasts.
type Watcher struct {
	// Dir is the folder watched.
	Dir string
	// Ingester stores the files.
	Ingester *Ingester
	// Acks, when set, stores the 999 and 277 files; without it they go to
	// Ingester, which quarantines them as not 835s.
	Acks AckIngester
	// MaxAckBytes bounds an acknowledgment file (default 16 MiB, about
	// 25,000 claims of a 277CA): one is read and parsed whole, at about
	// 15 times its size in memory, so a larger one is quarantined unread.
	MaxAckBytes int64
	// Interval between polls (default 2 s).
	Interval time.Duration
	// MaxFileBytes bounds a file (default 256 MiB); larger files are
	// quarantined without being read.
	MaxFileBytes int64
	// MaxAttempts is how many failures of one file (other than outages)
	// quarantine it (default 5).
	MaxAttempts int
	// Backoff is the wait after a file's first failure (default Interval),
	// doubled after each further one up to MaxBackoff (default 5 min).
	Backoff, MaxBackoff time.Duration
	// Log receives one line per file (never its content).
	Log *zap.Logger
	// Done, when set, is called after each file with its result.
	Done func(name string, res *Result)
	// Failed, when set, is called after each failed attempt at a file.
	Failed func(name string, attempts int, err error)

	seen  map[string]fileState
	fails map[string]*failState
}

// AckIngester stores one acknowledgment file (999 or 277CA) taken from the
// folder: the ingest service passes the acknowledgments' store
// (ackstore.Ingest). An outage is a *store.OutageError, as Ingester's.
type AckIngester func(ctx context.Context, name string, raw []byte) (AckResult, error)

// AckResult is what an AckIngester reports of one file.
type AckResult struct {
	FileID      int64
	Kind        string // "999", "277CA"
	Quarantined bool   // kept, with its errors, and not worked
	Duplicate   bool   // the same bytes were stored before
}

// ackTypes are the transaction sets (ST01) Watcher.Acks takes.
var ackTypes = []string{"999", "277"}

// sniffBytes is how much of a file is read to find its first ST segment:
// the x12 reader skips a banner or blank lines before the ISA within its
// first 64 KiB, and the ST follows the ISA and GS within a few hundred
// bytes.
const sniffBytes = 68 << 10

type fileState struct {
	size int64
	mod  time.Time
}

type failState struct {
	attempts int
	next     time.Time
}

// Subfolders of Watcher.Dir, and the suffix of the file beside a file
// quarantined by the watcher itself that says why.
const (
	ProcessedDir  = "processed"
	QuarantineDir = "quarantine"
	ReasonSuffix  = ".reason.json"
)

// Defaults of the Watcher's limits.
const (
	DefaultWatchMaxFileBytes = 256 << 20
	DefaultWatchMaxAckBytes  = 16 << 20
	DefaultWatchMaxAttempts  = 5
	DefaultWatchMaxBackoff   = 5 * time.Minute
)

// Run polls until ctx ends. It fails at once when processed/ or
// quarantine/ cannot be made or is not a plain folder.
func (w *Watcher) Run(ctx context.Context) error {
	for _, sub := range []string{ProcessedDir, QuarantineDir} {
		if err := os.Mkdir(filepath.Join(w.Dir, sub), 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("ingest: watch folder: %w", err)
		}
	}
	if err := w.checkFolders(); err != nil {
		return err
	}
	t := time.NewTicker(w.interval())
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

func (w *Watcher) interval() time.Duration {
	if w.Interval <= 0 {
		return 2 * time.Second
	}
	return w.Interval
}

// checkFolders refuses processed/ and quarantine/ unless each is a folder
// itself, not a symlink to one.
func (w *Watcher) checkFolders() error {
	for _, sub := range []string{ProcessedDir, QuarantineDir} {
		info, err := os.Lstat(filepath.Join(w.Dir, sub))
		if err != nil {
			return fmt.Errorf("ingest: watch folder: %w", err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("ingest: watch folder: %s is a symlink; refusing to move files through it", sub)
		}
		if !info.IsDir() {
			return fmt.Errorf("ingest: watch folder: %s is not a folder", sub)
		}
	}
	return nil
}

func (w *Watcher) log() *zap.Logger {
	if w.Log == nil {
		return zap.NewNop()
	}
	return w.Log
}

// Poll looks at the folder once and ingests every file that has stopped
// changing since the previous poll (and is not waiting after a failure).
func (w *Watcher) Poll(ctx context.Context) error {
	if w.seen == nil {
		w.seen = map[string]fileState{}
		w.fails = map[string]*failState{}
	}
	if err := w.checkFolders(); err != nil {
		return err
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
			continue // symlinks, folders, devices are never taken
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
		if f := w.fails[name]; f != nil && time.Now().Before(f.next) {
			now[name] = st // waiting after a failure
			continue
		}
		if err := w.take(ctx, name); err != nil {
			errs = append(errs, w.failed(name, err))
			now[name] = st
			continue
		}
		delete(w.fails, name)
	}
	for name := range w.fails {
		if _, ok := now[name]; !ok {
			delete(w.fails, name) // gone or taken
		}
	}
	w.seen = now
	return errors.Join(errs...)
}

// failed counts a failed attempt and, past MaxAttempts (outages aside),
// quarantines the file.
func (w *Watcher) failed(name string, err error) error {
	f := w.fails[name]
	if f == nil {
		f = &failState{}
		w.fails[name] = f
	}
	f.attempts++
	wait := w.Backoff
	if wait <= 0 {
		wait = w.interval()
	}
	maxWait := w.MaxBackoff
	if maxWait <= 0 {
		maxWait = DefaultWatchMaxBackoff
	}
	for i := 1; i < f.attempts && wait < maxWait; i++ {
		wait *= 2
	}
	f.next = time.Now().Add(min(wait, maxWait))
	if w.Failed != nil {
		w.Failed(name, f.attempts, err)
	}
	maxAttempts := w.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultWatchMaxAttempts
	}
	if store.IsOutage(err) || f.attempts < maxAttempts {
		return err
	}
	delete(w.fails, name)
	reason := fmt.Sprintf("gave up after %d attempts: %v", f.attempts, err)
	if qerr := w.quarantine(name, reason); qerr != nil {
		return errors.Join(err, qerr)
	}
	return nil
}

// fileSource is an open file as a Source.
type fileSource struct {
	*os.File
	size int64
}

func (f fileSource) Size() int64 { return f.size }

// take ingests one file and moves it out of the way.
func (w *Watcher) take(ctx context.Context, name string) error {
	path := filepath.Join(w.Dir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return w.quarantine(name, "the file is a symlink; symlinks are never followed")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	limit := w.MaxFileBytes
	if limit <= 0 {
		limit = DefaultWatchMaxFileBytes
	}
	st, _ := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.Mode().IsRegular():
		return w.quarantine(name, "not a regular file")
	case st != nil && st.Nlink != 1:
		return w.quarantine(name, fmt.Sprintf("the file has %d hard links; only a file with one link is read", st.Nlink))
	case info.Size() > limit:
		return w.quarantine(name, fmt.Sprintf("the file holds %d bytes, over the limit of %d; not read", info.Size(), limit))
	}
	if w.Acks != nil && isAck(f) {
		return w.takeAck(ctx, name, f, info.Size())
	}
	res, err := w.Ingester.IngestFrom(ctx, name, fileSource{File: f, size: info.Size()})
	if err != nil {
		return fmt.Errorf("ingest %s: %w", SafeText(name), err)
	}
	sub := ProcessedDir
	if res.Status == StatusQuarantined {
		sub = QuarantineDir
	}
	if _, err := w.move(name, sub, res.FileID); err != nil {
		return err
	}
	w.log().Info("folder file ingested", zap.String("file", res.Filename), zap.Int64("file_id", res.FileID),
		zap.String("status", res.Status), zap.Bool("duplicate", res.Duplicate))
	if w.Done != nil {
		w.Done(name, res)
	}
	return nil
}

// isAck reports whether f's first transaction set is an acknowledgment
// (from its first bytes; a file that is not X12 there is left to the 835
// ingest, which says why it is not one).
func isAck(f *os.File) bool {
	buf := make([]byte, sniffBytes)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	t, err := x12.TransactionType(buf[:n])
	return err == nil && slices.Contains(ackTypes, t)
}

// takeAck stores an acknowledgment file with Acks and moves it out of the
// way.
func (w *Watcher) takeAck(ctx context.Context, name string, f *os.File, size int64) error {
	limit := w.MaxAckBytes
	if limit <= 0 {
		limit = DefaultWatchMaxAckBytes
	}
	if size > limit {
		return w.quarantine(name, fmt.Sprintf("an acknowledgment of %d bytes, over the limit of %d for acknowledgments; not read", size, limit))
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), raw); err != nil {
		return fmt.Errorf("ingest %s: %w", SafeText(name), err)
	}
	res, err := w.Acks(ctx, name, raw)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", SafeText(name), err)
	}
	sub := ProcessedDir
	if res.Quarantined {
		sub = QuarantineDir
	}
	if _, err := w.move(name, sub, res.FileID); err != nil {
		return err
	}
	w.log().Info("folder acknowledgment stored", zap.String("file", SafeText(name)), zap.Int64("ack_file_id", res.FileID),
		zap.String("kind", res.Kind), zap.Bool("quarantined", res.Quarantined), zap.Bool("duplicate", res.Duplicate))
	return nil
}

// move renames Dir/name into Dir/sub (beside an existing file of that name
// under name.<id>), resolving nothing outside Dir; it returns the new
// name inside sub.
func (w *Watcher) move(name, sub string, id int64) (string, error) {
	root, err := os.OpenRoot(w.Dir)
	if err != nil {
		return "", fmt.Errorf("ingest: watch folder: %w", err)
	}
	defer root.Close()
	dest := name
	for i := 0; ; i++ {
		if _, err := root.Lstat(filepath.Join(sub, dest)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if i == 0 && id > 0 {
			dest = fmt.Sprintf("%s.%d", name, id)
		} else {
			dest = fmt.Sprintf("%s.%d.%d", name, time.Now().UnixNano(), i)
		}
	}
	if err := root.Rename(name, filepath.Join(sub, dest)); err != nil {
		return "", fmt.Errorf("ingest: move %s: %w", SafeText(name), err)
	}
	return dest, nil
}

// quarantine moves a file the watcher will not ingest into quarantine/,
// unread, with a reason file beside it.
func (w *Watcher) quarantine(name, reason string) error {
	dest, err := w.move(name, QuarantineDir, 0)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(struct {
		File   string    `json:"file"`
		Reason string    `json:"reason"`
		At     time.Time `json:"at"`
	}{SafeText(name), reason, time.Now().UTC()})
	root, err := os.OpenRoot(filepath.Join(w.Dir, QuarantineDir))
	if err != nil {
		return fmt.Errorf("ingest: watch folder: %w", err)
	}
	defer root.Close()
	f, err := root.OpenFile(dest+ReasonSuffix, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o640)
	if err != nil {
		return fmt.Errorf("ingest: watch folder: %w", err)
	}
	_, err = f.Write(append(body, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	w.log().Warn("folder file quarantined unread", zap.String("file", SafeText(name)), zap.String("reason", reason))
	return err
}
