package awsfake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
)

// JSONEvent returns an event of type eventType whose payload is v as JSON.
func JSONEvent(eventType string, v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		panic("awsfake: marshalling event payload: " + err.Error())
	}
	return Event{Type: eventType, Payload: b}
}

// ExceptionEvent returns a mid-stream exception of exceptionType with a
// JSON payload {"message": message}.
func ExceptionEvent(exceptionType, message string) Event {
	b, _ := json.Marshal(map[string]string{"message": message})
	return Event{Exception: exceptionType, Payload: b}
}

// encodeEvents encodes events as one event-stream body.
func encodeEvents(events []Event, contentType string) []byte {
	var buf bytes.Buffer
	s := &streamWriter{w: bufferWriter{&buf}, enc: eventstream.NewEncoder()}
	s.sendAll(context.Background(), events, contentType)
	return buf.Bytes()
}

// bufferWriter is an http.ResponseWriter over a buffer, for encodeEvents.
type bufferWriter struct{ *bytes.Buffer }

// Header returns nil: encodeEvents sends no headers.
func (bufferWriter) Header() http.Header { return nil }

// WriteHeader does nothing.
func (bufferWriter) WriteHeader(int) {}

// streamWriter writes event-stream messages to an HTTP response, flushing
// after each one.
type streamWriter struct {
	w       http.ResponseWriter
	flusher http.Flusher
	enc     *eventstream.Encoder
	delay   time.Duration
	before  func(int)
	sent    int
}

// startStream answers 200 with the eventstream content type.
func startStream(w http.ResponseWriter, id string, extra http.Header, delay time.Duration) *streamWriter {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Set("X-Amzn-Requestid", id)
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	if f != nil {
		f.Flush()
	}
	return &streamWriter{w: w, flusher: f, enc: eventstream.NewEncoder(), delay: delay}
}

// send encodes ev, waiting the frame delay before every frame but the
// first; it stops early when ctx ends.
func (s *streamWriter) send(ctx context.Context, ev Event, contentType string) error {
	if s.sent > 0 && s.delay > 0 {
		t := time.NewTimer(s.delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if s.before != nil {
		s.before(s.sent)
	}
	s.sent++
	msg := eventstream.Message{Payload: ev.Payload}
	if ev.Exception != "" {
		msg.Headers.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.ExceptionMessageType))
		msg.Headers.Set(eventstreamapi.ExceptionTypeHeader, eventstream.StringValue(ev.Exception))
		contentType = "application/json"
	} else {
		msg.Headers.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.EventMessageType))
		msg.Headers.Set(eventstreamapi.EventTypeHeader, eventstream.StringValue(ev.Type))
	}
	msg.Headers.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue(contentType))
	if err := s.enc.Encode(s.w, msg); err != nil {
		return err
	}
	if s.flusher != nil {
		s.flusher.Flush()
	}
	return nil
}

// sendReply sends a scripted stream reply: its raw bytes or its events.
func (s *streamWriter) sendReply(ctx context.Context, rep *Reply, contentType string) {
	s.before = rep.BeforeFrame
	if rep.Raw != nil {
		_, _ = s.w.Write(rep.Raw)
		if s.flusher != nil {
			s.flusher.Flush()
		}
		return
	}
	s.sendAll(ctx, rep.Events, contentType)
}

// sendAll sends events in order.
func (s *streamWriter) sendAll(ctx context.Context, events []Event, contentType string) {
	for _, ev := range events {
		if s.send(ctx, ev, contentType) != nil {
			return
		}
	}
}
