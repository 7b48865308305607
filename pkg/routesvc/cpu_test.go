package routesvc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat (100 on
// every Linux this runs on).
const clockTicks = 100

// treeCPU is a reading of the CPU of the stack in two parts: this process
// (Go: the components, NATS) and the processes below it (PostgreSQL).
type treeCPU struct{ self, below float64 }

// readTreeCPU reads the CPU time, user and system, of this process and of
// every process below it (the embedded PostgreSQL server and its backends;
// NATS runs inside this process), including the children they have reaped,
// from /proc, in two parts. The difference of two readings is the CPU the
// whole stack spent between them, whatever else the machine runs.
func readTreeCPU() (treeCPU, error) {
	type stat struct {
		ppid  int
		ticks int64
	}
	procs := map[int]stat{}
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return treeCPU{}, err
	}
	for _, path := range dirs {
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
	return treeCPU{self: float64(mine) / clockTicks, below: float64(below) / clockTicks}, nil
}
