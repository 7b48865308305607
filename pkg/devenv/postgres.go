package devenv

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"
)

// ErrNoPostgres reports that no PostgreSQL server binaries were found.
var ErrNoPostgres = errors.New("devenv: PostgreSQL server binaries (initdb, postgres) not found on PATH, " +
	"through pg_config or under /usr/lib/postgresql/*/bin: install PostgreSQL server binaries, " +
	"e.g. `apt-get install postgresql`, or set DATABASE_URL")

// PostgresPort is the port number of every server StartPostgres starts. It
// only names the socket file (.s.PGSQL.5432): the server does not listen on
// TCP, and each server has its own socket directory.
const PostgresPort = 5432

// PostgresUser is the superuser of clusters created by StartPostgres, and
// the OS user the server runs as when the caller is root.
const PostgresUser = "postgres"

const (
	defaultStartTimeout = 30 * time.Second
	defaultStopTimeout  = 10 * time.Second
	logFileName         = "remitq-postgres.log"
	maxLogSize          = 8 << 20
	maxSocketPath       = 100 // sun_path is 108 bytes; keep a margin
)

// PostgresOptions configures StartPostgresWith. Only Dir is required.
type PostgresOptions struct {
	// Dir is the cluster's data directory. It is created and initialised
	// with initdb when it holds no cluster yet; an existing cluster is
	// reused.
	Dir string
	// Log receives progress and problems; nil logs nothing.
	Log *zap.Logger
	// Fast turns off durability (fsync, synchronous_commit,
	// full_page_writes) and initdb's final sync: several times faster, but a
	// machine crash can lose or corrupt the cluster. For tests only; the
	// demo keeps the durable defaults.
	Fast bool
	// BinDir is the directory holding initdb and postgres; empty searches
	// as described at FindPostgres.
	BinDir string
	// Settings are extra server settings passed as -c name=value.
	Settings map[string]string
	// StartTimeout bounds the wait for the server to accept connections;
	// zero means 30 s.
	StartTimeout time.Duration
	// StopTimeout bounds the wait for a fast shutdown in Stop before the
	// server is killed; zero means 10 s.
	StopTimeout time.Duration
}

// Postgres is a running PostgreSQL server started by StartPostgres. It
// listens only on a unix socket and accepts the postgres superuser without
// a password (trust authentication), so its URLs carry no secret.
type Postgres struct {
	dataDir     string
	sockDir     string
	binDir      string
	log         *zap.Logger
	stopTimeout time.Duration

	cmd      *exec.Cmd
	logFile  *os.File
	logStart int64
	exited   chan struct{}
	waitErr  error // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// StartPostgres starts a PostgreSQL server on the cluster in dir, creating
// the cluster first when dir holds none, with the durable default settings.
// See StartPostgresWith.
func StartPostgres(ctx context.Context, dir string, log *zap.Logger) (*Postgres, error) {
	return StartPostgresWith(ctx, PostgresOptions{Dir: dir, Log: log})
}

// StartPostgresWith starts a PostgreSQL server as configured by o and waits
// until it accepts connections. ctx bounds the start only: the server runs
// until Stop.
//
// The server runs as a child process with a parent-death signal (SIGKILL),
// in its own process group so that a terminal's Ctrl-C reaches only the
// parent, which then calls Stop. It listens only on a unix socket in a new
// short directory under the temporary directory. When the caller is root,
// the data and socket directories are given to the postgres OS user and
// initdb and postgres run as that user; every directory above Dir must then
// be searchable by that user (a directory under /root is not).
//
// The parent-death signal is tied to the OS thread that starts the server:
// do not call this from a goroutine that locks its OS thread and then ends.
//
// A postmaster.pid left by a killed server is removed when its process is
// gone (or the pid now belongs to an unrelated process); a cluster still in
// use by a live server is an error.
func StartPostgresWith(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.Dir == "" {
		return nil, errors.New("devenv: PostgresOptions.Dir is empty")
	}
	log := o.Log
	if log == nil {
		log = zap.NewNop()
	}
	dataDir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("devenv: data dir: %w", err)
	}
	binDir := o.BinDir
	if binDir == "" {
		if binDir, err = FindPostgres(); err != nil {
			return nil, err
		}
	} else if !hasServerBinaries(binDir) {
		return nil, fmt.Errorf("devenv: %s holds no initdb and postgres: %w", binDir, ErrNoPostgres)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}

	if err := prepareDataDir(dataDir, cred); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initCluster(ctx, binDir, dataDir, o.Fast, cred, log); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("devenv: inspect data dir: %w", err)
	}
	if err := clearStalePID(dataDir, log); err != nil {
		return nil, err
	}

	sockDir, err := makeSocketDir(cred)
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		dataDir:     dataDir,
		sockDir:     sockDir,
		binDir:      binDir,
		log:         log,
		stopTimeout: o.StopTimeout,
		exited:      make(chan struct{}),
	}
	if p.stopTimeout <= 0 {
		p.stopTimeout = defaultStopTimeout
	}
	if err := p.start(o, cred); err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	if err := p.waitReady(ctx, timeout); err != nil {
		p.kill()
		p.logFile.Close()
		os.RemoveAll(sockDir)
		return nil, err
	}
	log.Info("postgres ready", zap.String("data_dir", dataDir), zap.String("socket_dir", sockDir),
		zap.Int("pid", p.cmd.Process.Pid), zap.Bool("fast", o.Fast))
	return p, nil
}

// FindPostgres returns the directory holding the PostgreSQL server binaries
// (initdb and postgres). It looks on PATH, then at `pg_config --bindir`,
// then under /usr/lib/postgresql/*/bin and /usr/pgsql-*/bin, newest version
// first. When none is found the error wraps ErrNoPostgres.
func FindPostgres() (string, error) {
	var candidates []string
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, resolvedDir(p))
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, resolvedDir(p))
	}
	if pgc, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, pgc, "--bindir").Output()
		cancel()
		if err == nil {
			candidates = append(candidates, strings.TrimSpace(string(out)))
		}
	}
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"} {
		dirs, _ := filepath.Glob(pattern)
		slices.SortFunc(dirs, func(a, b string) int { return slices.Compare(versionOf(b), versionOf(a)) })
		candidates = append(candidates, dirs...)
	}
	for _, d := range candidates {
		if d != "" && hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// URL returns a lib/pq connection string for the postgres database over the
// unix socket.
func (p *Postgres) URL() string { return p.URLFor("postgres") }

// URLFor returns a lib/pq connection string for database dbname.
func (p *Postgres) URLFor(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		quoteDSN(p.sockDir), PostgresPort, PostgresUser, quoteDSN(dbname))
}

// DataDir returns the cluster's data directory.
func (p *Postgres) DataDir() string { return p.dataDir }

// SocketDir returns the directory holding the server's unix socket.
func (p *Postgres) SocketDir() string { return p.sockDir }

// PID returns the process id of the postmaster.
func (p *Postgres) PID() int { return p.cmd.Process.Pid }

// LogPath returns the file receiving the server's log.
func (p *Postgres) LogPath() string { return p.logFile.Name() }

// Done is closed when the server process has exited, whether through Stop
// or not.
func (p *Postgres) Done() <-chan struct{} { return p.exited }

// CreateDatabase creates database name owned by the postgres user. It is
// not an error if the database already exists.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("devenv: empty database name")
	}
	db, err := sql.Open("postgres", p.URL())
	if err != nil {
		return fmt.Errorf("devenv: create database: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("devenv: create database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("devenv: create database %q: %w", name, err)
	}
	p.log.Info("postgres database created", zap.String("database", name))
	return nil
}

// Stop shuts the server down: SIGINT (fast shutdown: open sessions are
// ended, the cluster is left consistent), then SIGKILL if it has not exited
// within the stop timeout. It removes the socket directory. Stop is safe to
// call more than once and returns the same result each time; it reports an
// error when the server had to be killed or had exited with an error.
func (p *Postgres) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
			if p.waitErr != nil {
				p.stopErr = fmt.Errorf("devenv: postgres had exited: %w%s", p.waitErr, p.logTail())
			}
		default:
			_ = p.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-p.exited:
				if p.waitErr != nil {
					p.stopErr = fmt.Errorf("devenv: postgres shutdown: %w%s", p.waitErr, p.logTail())
				}
			case <-time.After(p.stopTimeout):
				p.log.Warn("postgres did not stop in time; killing it", zap.Duration("timeout", p.stopTimeout))
				p.kill()
				p.stopErr = fmt.Errorf("devenv: postgres did not shut down within %s and was killed", p.stopTimeout)
			}
		}
		p.logFile.Close()
		if err := os.RemoveAll(p.sockDir); err != nil && p.stopErr == nil {
			p.stopErr = fmt.Errorf("devenv: remove socket dir: %w", err)
		}
		p.log.Info("postgres stopped", zap.String("data_dir", p.dataDir))
	})
	return p.stopErr
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *Postgres) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// start launches the postmaster.
func (p *Postgres) start(o PostgresOptions, cred *syscall.Credential) error {
	logPath := filepath.Join(p.dataDir, logFileName)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("devenv: open postgres log: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > maxLogSize {
		_ = f.Truncate(0)
	}
	if st, err := f.Stat(); err == nil {
		p.logStart = st.Size()
	}
	p.logFile = f

	settings := map[string]string{
		"listen_addresses":        "",
		"unix_socket_permissions": "0700",
		// Dates are UTC days (pkg/day); without this, initdb takes the
		// machine's TZ, and created_at::date or current_date would be
		// another day than day.Today() for part of every day.
		"timezone": "UTC",
	}
	if o.Fast {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	args := []string{"-D", p.dataDir, "-k", p.sockDir, "-p", strconv.Itoa(PostgresPort)}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", k+"="+settings[k])
	}
	cmd := exec.Command(filepath.Join(p.binDir, "postgres"), args...)
	cmd.Dir = "/"
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Pdeathsig:  syscall.SIGKILL,
		Setpgid:    true,
		Credential: cred,
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("devenv: start postgres: %w", err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// waitReady polls with real connections until the server answers.
func (p *Postgres) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	db, err := sql.Open("postgres", p.URL())
	if err != nil {
		return fmt.Errorf("devenv: %w", err)
	}
	defer db.Close()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		last = db.PingContext(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("devenv: postgres exited during startup (%v)%s", p.waitErr, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("devenv: postgres did not accept connections within %s (last error: %v)%s",
				timeout, last, p.logTail())
		case <-tick.C:
		}
	}
}

// logTail returns the end of what the server logged since this start, for
// error messages.
func (p *Postgres) logTail() string {
	f, err := os.Open(p.logFile.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, p.logStart, 1<<30))
	if err != nil || len(b) == 0 {
		return ""
	}
	return "\npostgres log (" + p.logFile.Name() + "):\n" + tail(b, 25)
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	b = bytes.TrimRight(b, "\n")
	i := len(b)
	for ; n > 0 && i > 0; n-- {
		i = bytes.LastIndexByte(b[:i], '\n')
		if i < 0 {
			i = 0
			break
		}
	}
	return strings.TrimLeft(string(b[i:]), "\n")
}

// serverCredential returns the credential to run initdb and postgres with:
// nil when not root, the postgres user's when root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(PostgresUser)
	if err != nil {
		return nil, fmt.Errorf("devenv: running as root, PostgreSQL must run as the %q OS user, which was not found "+
			"(installing the postgresql package creates it; or `useradd --system postgres`): %w", PostgresUser, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("devenv: unexpected uid/gid %q/%q for user %s", u.Uid, u.Gid, PostgresUser)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// prepareDataDir creates dataDir (0700) and, as root, gives it to the
// server's user after checking that user can reach it.
func prepareDataDir(dataDir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("devenv: create data dir parent: %w", err)
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("devenv: create data dir: %w", err)
	}
	if cred == nil {
		return nil
	}
	if err := checkSearchable(filepath.Dir(dataDir), cred); err != nil {
		return err
	}
	return chownTree(dataDir, cred)
}

// checkSearchable reports whether the user of cred can traverse every
// directory from / down to dir.
func checkSearchable(dir string, cred *syscall.Credential) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("devenv: %w", err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if ok {
			mode := st.Mode().Perm()
			okUser := sys.Uid == cred.Uid && mode&0o100 != 0
			okGroup := sys.Gid == cred.Gid && mode&0o010 != 0
			if !okUser && !okGroup && mode&0o001 == 0 {
				return fmt.Errorf("devenv: directory %s (mode %v) is not searchable by the %s user that PostgreSQL "+
					"runs as when the caller is root; choose a data directory outside it (e.g. under /tmp or /var/lib)",
					d, mode, PostgresUser)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// chownTree gives dir and everything under it to cred's user, touching only
// entries owned by someone else.
func chownTree(dir string, cred *syscall.Credential) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == cred.Uid && st.Gid == cred.Gid {
			return nil
		}
		if err := os.Lchown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("devenv: chown %s to %s: %w", path, PostgresUser, err)
		}
		return nil
	})
}

// initCluster runs initdb on an empty dataDir.
func initCluster(ctx context.Context, binDir, dataDir string, fast bool, cred *syscall.Credential, log *zap.Logger) error {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("devenv: read data dir: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("devenv: data dir %s is not empty but holds no PostgreSQL cluster (no PG_VERSION); "+
			"empty it or choose another directory", dataDir)
	}
	args := []string{"-D", dataDir, "-U", PostgresUser, "--auth=trust", "--no-locale", "-E", "UTF8", "--no-instructions"}
	if fast {
		args = append(args, "--no-sync")
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = "/"
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("devenv: initdb %s: %w\n%s", dataDir, err, tail(out, 25))
	}
	log.Info("postgres cluster created", zap.String("data_dir", dataDir), zap.Duration("took", time.Since(start)))
	return nil
}

// makeSocketDir creates a short private directory for the server's socket.
func makeSocketDir(cred *syscall.Credential) (string, error) {
	dir, err := os.MkdirTemp("", "rq-pg")
	if err == nil && (len(filepath.Join(dir, ".s.PGSQL.5432.lock")) > maxSocketPath ||
		cred != nil && checkSearchable(filepath.Dir(dir), cred) != nil) {
		// $TMPDIR is too deep for a socket path, or private to root.
		os.Remove(dir)
		dir, err = os.MkdirTemp("/tmp", "rq-pg")
	}
	if err != nil {
		return "", fmt.Errorf("devenv: create socket dir: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.Remove(dir)
			return "", fmt.Errorf("devenv: chown socket dir: %w", err)
		}
	}
	return dir, nil
}

// clearStalePID removes a postmaster.pid whose server is gone, and waits for
// orphaned backends of that server to exit so the new postmaster does not
// find its shared memory still attached.
func clearStalePID(dataDir string, log *zap.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("devenv: read postmaster.pid: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	pid, perr := strconv.Atoi(strings.TrimSpace(lines[0]))
	if perr == nil && pid > 0 && processRunning(pid) {
		if sameDir(fmt.Sprintf("/proc/%d/cwd", pid), dataDir) != sameNo {
			return fmt.Errorf("devenv: PostgreSQL cluster %s is in use by a running server (pid %d); stop it first", dataDir, pid)
		}
		log.Info("postgres: postmaster.pid names a live process that is not this cluster's server (pid reused)",
			zap.Int("pid", pid))
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("devenv: remove stale postmaster.pid: %w", err)
	}
	log.Warn("postgres: removed stale postmaster.pid left by a killed server", zap.String("data_dir", dataDir), zap.Int("pid", pid))
	// Line 5 is the socket directory of the old server: remove it when it is
	// one of ours (a temporary rq-pg* directory).
	if len(lines) > 4 {
		old := strings.TrimSpace(lines[4])
		if strings.HasPrefix(filepath.Base(old), "rq-pg") &&
			(filepath.Dir(old) == filepath.Clean(os.TempDir()) || filepath.Dir(old) == "/tmp") {
			os.RemoveAll(old)
		}
	}
	waitForOrphans(dataDir, 10*time.Second, log)
	return nil
}

// processRunning reports whether pid is a live (non-zombie) process.
func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

type sameResult int

const (
	sameUnknown sameResult = iota
	sameYes
	sameNo
)

// sameDir reports whether path (typically a /proc/PID/cwd link) is dir.
func sameDir(path, dir string) sameResult {
	a, err := os.Stat(path)
	if err != nil {
		return sameUnknown
	}
	b, err := os.Stat(dir)
	if err != nil {
		return sameUnknown
	}
	if os.SameFile(a, b) {
		return sameYes
	}
	return sameNo
}

// waitForOrphans waits until no process has dataDir as its working
// directory (every PostgreSQL process does), up to timeout.
func waitForOrphans(dataDir string, timeout time.Duration, log *zap.Logger) {
	deadline := time.Now().Add(timeout)
	for {
		pids := processesIn(dataDir)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			log.Warn("postgres: processes of a killed server are still running", zap.Ints("pids", pids))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesIn lists the live processes whose working directory is dir.
func processesIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if sameDir("/proc/"+e.Name()+"/cwd", dir) == sameYes && processRunning(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// serverEnv is the environment for initdb and postgres: this process's
// without PG* variables (which would override the command line), in the C
// locale.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// hasServerBinaries reports whether dir holds executable initdb and
// postgres.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// resolvedDir returns the directory of the file path points to, following
// symlinks (Debian links /usr/lib/postgresql/N/bin binaries elsewhere).
func resolvedDir(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		path = r
	}
	return filepath.Dir(path)
}

// versionOf extracts the numeric version from a path such as
// /usr/lib/postgresql/15/bin or /usr/pgsql-9.6/bin.
func versionOf(dir string) []int {
	name := filepath.Base(filepath.Dir(dir))
	name = strings.TrimPrefix(name, "pgsql-")
	var v []int
	for _, part := range strings.Split(name, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

// quoteDSN quotes a value for a key=value connection string when needed.
func quoteDSN(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
