package devtest

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat (100 on
// every Linux this runs on).
const clockTicks = 100

// CPU is a reading, in seconds of user and system time, of the stack a
// benchmark runs: Self is this process (the Go components and the embedded
// NATS server), Below the processes under it (the private PostgreSQL server
// and its backends).
type CPU struct{ Self, Below float64 }

// Sub returns the CPU spent between the reading o and c.
func (c CPU) Sub(o CPU) CPU { return CPU{Self: c.Self - o.Self, Below: c.Below - o.Below} }

// Add returns the sum of two spans.
func (c CPU) Add(o CPU) CPU { return CPU{Self: c.Self + o.Self, Below: c.Below + o.Below} }

// ReadCPU reads the CPU time of this process and of every process below
// it, including the children they have reaped, from /proc. The difference
// of two readings is what the whole stack spent between them, whatever else
// the machine runs.
func ReadCPU() (CPU, error) {
	type stat struct {
		ppid  int
		ticks int64
	}
	procs := map[int]stat{}
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return CPU{}, err
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17)
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 15 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(string(f[1]))
		var ticks int64
		for _, k := range []int{11, 12, 13, 14} { // fields 14..17, counted after the state
			n, _ := strconv.ParseInt(string(f[k]), 10, 64)
			ticks += n
		}
		procs[pid] = stat{ppid: ppid, ticks: ticks}
	}
	self := os.Getpid()
	var mine, below int64
	for pid, s := range procs {
		for p := pid; p > 1; p = procs[p].ppid {
			if p == self {
				if pid == self {
					mine += s.ticks
				} else {
					below += s.ticks
				}
				break
			}
			if _, ok := procs[p]; !ok {
				break
			}
		}
	}
	return CPU{Self: float64(mine) / clockTicks, Below: float64(below) / clockTicks}, nil
}

// BackendCPU reads, from /proc, the CPU seconds so far of the PostgreSQL
// backends connected to db's database, summed by their application_name
// (WithApplicationName): what each component has cost the server. A
// backend that has exited is not counted, so the sum can be below
// CPU.Below; the server's own processes (WAL writer, checkpointer,
// autovacuum) are in Below only.
func BackendCPU(ctx context.Context, db *sql.DB) (map[string]float64, error) {
	rows, err := db.QueryContext(ctx, `SELECT pid, application_name FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var pid int
		var app string
		if err := rows.Scan(&pid, &app); err != nil {
			return nil, err
		}
		if t, ok := procTicks(pid); ok {
			out[app] += float64(t) / clockTicks
		}
	}
	return out, rows.Err()
}

// procTicks is the user and system time of one process, in clock ticks.
func procTicks(pid int) (int64, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(string(f[11]), 10, 64)
	s, _ := strconv.ParseInt(string(f[12]), 10, 64)
	return u + s, true
}

// WithApplicationName returns the connection string dsn (URL or key=value
// form) with its application_name set to name.
func WithApplicationName(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("application_name", name)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " application_name=" + name
}
