package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// machineCPU is the whole machine's CPU time from /proc/stat.
type machineCPU struct {
	busy, steal time.Duration // all processes; steal: taken by the hypervisor
	cpus        int           // CPUs of the machine, whatever this process's affinity
	ok          bool          // false where /proc/stat is missing
}

// readMachineCPU reads the aggregate "cpu" line of /proc/stat.
func readMachineCPU() machineCPU {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return machineCPU{}
	}
	m := parseProcStat(sc.Text())
	for sc.Scan() {
		if l := sc.Text(); len(l) > 3 && l[:3] == "cpu" && l[3] >= '0' && l[3] <= '9' {
			m.cpus++
		}
	}
	return m
}

// parseProcStat parses "cpu user nice system idle iowait irq softirq steal ...".
func parseProcStat(line string) machineCPU {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return machineCPU{}
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return machineCPU{}
		}
		v[i] = n
	}
	busy := v[0] + v[1] + v[2] + v[5] + v[6] // user nice system irq softirq
	return machineCPU{busy: time.Duration(busy) * clockTick, steal: time.Duration(v[7]) * clockTick, ok: true}
}

// sub returns m minus an earlier reading.
func (m machineCPU) sub(earlier machineCPU) machineCPU {
	return machineCPU{busy: m.busy - earlier.busy, steal: m.steal - earlier.steal, cpus: m.cpus, ok: m.ok && earlier.ok}
}
