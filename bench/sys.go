package bench

import (
	"fmt"
	"syscall"
	"time"
)

// selfCPU returns the user and system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// checkFileLimit fails early when clients sockets would not fit under the
// open-file limit (Go has already raised the soft limit to the hard one).
func checkFileLimit(clients int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return nil
	}
	if need := uint64(clients) + 64; need > uint64(rl.Cur) {
		return fmt.Errorf("%d clients need about %d open files, over the limit of %d (raise ulimit -n)", clients, need, uint64(rl.Cur))
	}
	return nil
}
