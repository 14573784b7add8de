package usage

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLineWriter(t *testing.T) {
	var out bytes.Buffer
	l := NewLineWriter(&out, time.Hour) // no periodic write during the test
	_, _ = l.Write([]byte("one\n"))
	_, _ = l.Write([]byte("two\n"))
	if out.Len() != 0 {
		t.Fatalf("written before a flush: %q", out.String())
	}
	big := strings.Repeat("x", lineWriterMax-3) + "\n"
	_, _ = l.Write([]byte(big)) // would pass 64 KiB: the pending lines go first
	if out.String() != "one\ntwo\n" {
		t.Fatalf("after passing the size: %q", out.String())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\ntwo\n"+big {
		t.Error("Close did not write the pending line")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
