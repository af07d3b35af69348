package http

import "runtime"

// offer writes tick f to c from its shard, if nobody else is writing to the
// socket and the kernel takes the frame at once. Otherwise the client's
// writer goroutine gets it: it finishes a frame begun here, or writes the
// newest tick once done with what it holds.
func (c *tickerClient) offer(f *tickFrame, n *fanoutCount) {
	if !c.nb.ok() || !c.own.CompareAndSwap(ownNone, ownShard) {
		c.signal() // the writer takes the newest tick when it can
		return
	}
	if f.seq <= c.last { // the writer sent it already
		c.release()
		return
	}
	w, err := c.nb.write(f.wire)
	switch {
	case err == nil && w == len(f.wire):
		n.dropped += c.advance(f.seq)
		n.sent++
		c.release()
		return
	case w > 0: // begun: the writer must finish this very frame
		n.dropped += c.advance(f.seq)
		c.rest = f.wire[w:]
	}
	// Would block, partial or failed: the writer waits for the socket (or
	// meets the error and ends the connection).
	n.slow++
	c.own.Store(ownWriter)
	c.signal()
}

// acquire takes the socket for the writer goroutine: it is free, or the
// shard handed it over.
func (c *tickerClient) acquire() bool {
	return c.own.Load() == ownWriter || c.own.CompareAndSwap(ownNone, ownWriter)
}

// acquireWait takes the socket for the writer goroutine, waiting for the
// shard to finish its write, which never blocks.
func (c *tickerClient) acquireWait() {
	for !c.acquire() {
		runtime.Gosched()
	}
}

// release frees the socket for the shard, and wakes the writer if the
// client is owed a frame that only the writer writes: the writer may have
// been woken for it while the socket was held, and gone back to sleep.
func (c *tickerClient) release() {
	c.own.Store(ownNone)
	if c.pongs.Load() > 0 || c.ctrlPong.Load() != nil || c.pingDue.Load() {
		c.signal()
	}
}
