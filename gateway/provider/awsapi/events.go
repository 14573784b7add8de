package awsapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
)

// Event is one decoded event-stream message. Payload is valid until the
// next call to Next.
type Event struct {
	// Type is :event-type for events, :exception-type for exceptions and
	// :error-code for errors.
	Type string
	// Exception is true for exception and error messages.
	Exception bool
	Payload   []byte
}

// readerPool recycles the buffered readers under event streams.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}

// EventReader decodes an application/vnd.amazon.eventstream body with
// aws-sdk-go-v2's decoder, which checks the prelude and message CRCs.
type EventReader struct {
	body    io.ReadCloser
	r       *bufio.Reader
	dec     *eventstream.Decoder
	payload []byte
}

// NewEventReader reads events from body; Close releases it.
func NewEventReader(body io.ReadCloser) *EventReader {
	r := readerPool.Get().(*bufio.Reader)
	r.Reset(body)
	return &EventReader{body: body, r: r, dec: eventstream.NewDecoder(), payload: make([]byte, 0, 1024)}
}

// Next returns the next message, or io.EOF after the last one.
func (e *EventReader) Next() (Event, error) {
	msg, err := e.dec.Decode(e.r, e.payload[:0])
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Event{}, io.EOF
		}
		return Event{}, fmt.Errorf("decoding event stream: %w", err)
	}
	if cap(msg.Payload) > cap(e.payload) {
		e.payload = msg.Payload[:0]
	}
	ev := Event{Payload: msg.Payload}
	switch header(msg, eventstreamapi.MessageTypeHeader) {
	case eventstreamapi.EventMessageType:
		ev.Type = header(msg, eventstreamapi.EventTypeHeader)
	case eventstreamapi.ExceptionMessageType:
		ev.Type, ev.Exception = header(msg, eventstreamapi.ExceptionTypeHeader), true
	case eventstreamapi.ErrorMessageType:
		ev.Type, ev.Exception = header(msg, eventstreamapi.ErrorCodeHeader), true
		ev.Payload = fmt.Appendf(nil, `{"message":%q}`, header(msg, eventstreamapi.ErrorMessageHeader))
	default:
		return Event{}, fmt.Errorf("event stream message of unknown type %q", header(msg, eventstreamapi.MessageTypeHeader))
	}
	return ev, nil
}

// Close closes the body and recycles the reader.
func (e *EventReader) Close() error {
	err := e.body.Close()
	if e.r != nil {
		e.r.Reset(nil)
		readerPool.Put(e.r)
		e.r = nil
	}
	return err
}

// header returns a string header's value, or "".
func header(m eventstream.Message, name string) string {
	if v, ok := m.Headers.Get(name).(eventstream.StringValue); ok {
		return string(v)
	}
	return ""
}
