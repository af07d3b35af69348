//go:build !linux

package http

import (
	"net"
	"syscall"
)

// nbWriter writes to a socket without ever waiting: one write(2) of what
// the kernel's send buffer has room for, through the poller's RawConn.
// Only the socket's owner uses it. (nbwrite_linux.go is the fast version.)
type nbWriter struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // do, bound once so a write allocates nothing
	p   []byte
	n   int
	err error
}

// init prepares w for c; w stays unusable (ok is false) unless c is a
// plain socket: a TLS connection must encrypt what it writes.
func (w *nbWriter) init(c net.Conn) {
	switch c := c.(type) {
	case *net.TCPConn:
		w.rc, _ = c.SyscallConn()
	case *net.UnixConn:
		w.rc, _ = c.SyscallConn()
	}
	w.fn = w.do
}

// ok reports whether w can write.
func (w *nbWriter) ok() bool { return w.rc != nil }

func (w *nbWriter) do(fd uintptr) bool {
	w.n, w.err = syscall.Write(int(fd), w.p)
	return true // never wait for the socket to become writable
}

// write returns how many bytes of p the socket took at once: 0 and no
// error if it had no room.
func (w *nbWriter) write(p []byte) (int, error) {
	w.p = p
	err := w.rc.Write(w.fn)
	w.p = nil
	switch {
	case err != nil:
		return 0, err
	case w.err == syscall.EAGAIN || w.err == syscall.EINTR:
		return 0, nil
	case w.err != nil:
		return 0, w.err
	}
	return w.n, nil
}
