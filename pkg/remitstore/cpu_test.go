package remitstore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// stackCPU is a reading of the CPU time (user and system, seconds) of this
// process (the Go code and the embedded NATS) and of the processes below it
// (the private PostgreSQL server and its backends).
type stackCPU struct{ self, below float64 }

// readStackCPU reads stackCPU from /proc (including children the processes
// have reaped); the difference of two readings is what the stack spent
// between them, whatever else the machine runs.
func readStackCPU() (stackCPU, error) {
	const clockTicks = 100 // USER_HZ
	type stat struct {
		ppid  int
		ticks int64
	}
	procs := map[int]stat{}
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return stackCPU{}, err
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:]) // state ppid ... utime stime cutime cstime at 11..14
		if len(f) < 15 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(string(f[1]))
		var ticks int64
		for _, k := range []int{11, 12, 13, 14} {
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
	return stackCPU{self: float64(mine) / clockTicks, below: float64(below) / clockTicks}, nil
}
