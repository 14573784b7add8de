package usage

import (
	"io"
	"sync"
	"time"
)

// lineWriterMax is how many pending bytes make LineWriter write at once.
const lineWriterMax = 64 << 10

// LineWriter batches access-log lines: one write syscall per interval (or
// per 64 KiB) instead of one per request. slog handlers write each record
// in one Write call, so lines are never split.
type LineWriter struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewLineWriter writes to w what is pending every interval until Close.
func NewLineWriter(w io.Writer, interval time.Duration) *LineWriter {
	l := &LineWriter{w: w, buf: make([]byte, 0, lineWriterMax), stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop(interval)
	return l
}

func (l *LineWriter) loop(interval time.Duration) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = l.Flush()
		case <-l.stop:
			return
		}
	}
}

// Write buffers p, writing out first when the buffer would pass 64 KiB.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf)+len(p) > lineWriterMax {
		l.flushLocked()
	}
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// Flush writes out what is pending and returns the first write error seen.
func (l *LineWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	return l.err
}

func (l *LineWriter) flushLocked() {
	if len(l.buf) == 0 {
		return
	}
	if _, err := l.w.Write(l.buf); err != nil && l.err == nil {
		l.err = err
	}
	l.buf = l.buf[:0]
}

// Close stops the periodic writes and writes out what is pending. Later
// calls only flush.
func (l *LineWriter) Close() error {
	l.once.Do(func() { close(l.stop); <-l.done })
	return l.Flush()
}
