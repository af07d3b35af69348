package http

import (
	"net"
	"syscall"
	"unsafe"
)

// nbWriter writes to a socket without ever waiting: one write(2) of what
// the kernel's send buffer has room for. Only the socket's owner uses it.
//
// It writes to the socket's descriptor directly, as a raw system call: no
// poller bookkeeping (RawConn.Write costs a lock and a poll reset per
// write) and no hand-off of the P, since the call never blocks. This is
// safe because the descriptor cannot be closed while the shard writes:
// only the client's writer closes the connection, and only once it holds
// the socket (writeLoop), which it cannot while the shard does.
type nbWriter struct {
	fd int // -1: not a plain socket
}

// init prepares w for c; w stays unusable (ok is false) unless c is a
// plain socket: a TLS connection must encrypt what it writes.
func (w *nbWriter) init(c net.Conn) {
	w.fd = -1
	var rc syscall.RawConn
	switch c := c.(type) {
	case *net.TCPConn:
		rc, _ = c.SyscallConn()
	case *net.UnixConn:
		rc, _ = c.SyscallConn()
	}
	if rc != nil {
		rc.Control(func(fd uintptr) { w.fd = int(fd) })
	}
}

// ok reports whether w can write.
func (w *nbWriter) ok() bool { return w.fd >= 0 }

// write returns how many bytes of p the socket took at once: 0 and no
// error if it had no room. p must not be empty.
func (w *nbWriter) write(p []byte) (int, error) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(w.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	switch errno {
	case 0:
		return int(n), nil
	case syscall.EAGAIN, syscall.EINTR:
		return 0, nil
	}
	return 0, errno
}
