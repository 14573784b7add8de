package sagemaker

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// maxLine bounds one SSE line reassembled from PayloadParts.
const maxLine = 4 << 20

// sseReader reassembles the container's SSE lines from PayloadPart bytes
// and passes each data event to the sink as an OpenAI chunk.
type sseReader struct {
	model   string
	sink    provider.StreamSink
	line    []byte // the unfinished line carried over from earlier parts
	data    []byte // the data lines of the current event
	emitted int
	done    bool
	// usage is the last usage seen on a chunk with choices (containers
	// forced to report usage on every chunk send cumulative values);
	// usageSent says a usage-only chunk went to the sink.
	usage     *openai.Usage
	usageSent bool
	// id and created are the stream's, for a usage chunk made here (every
	// chunk of a completion shares them).
	id      string
	created int64
}

// containerChunk is a streamed chunk, or an error the container sent
// after the stream began.
type containerChunk struct {
	openai.ChatCompletionChunk
	Error json.RawMessage `json:"error"`
}

// run reads PayloadParts until [DONE], the end of the stream or an exception.
func (s *sseReader) run(events *awsapi.EventReader) error {
	for !s.done {
		ev, err := events.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &provider.Error{Kind: provider.Stream, Code: "InvalidEventStream",
				Message: "the upstream event stream broke off", Err: err}
		}
		if ev.Exception {
			return awsapi.StreamException(ev.Type, ev.Payload, s.emitted > 0)
		}
		if ev.Type != "PayloadPart" {
			continue
		}
		if err := s.feed(ev.Payload); err != nil {
			return err
		}
	}
	if !s.done && len(s.line) > 0 {
		if err := s.handleLine(s.line); err != nil {
			return err
		}
	}
	if !s.done && len(s.data) > 0 {
		if err := s.dispatch(); err != nil {
			return err
		}
	}
	if s.usage != nil && !s.usageSent {
		s.usageSent = true
		return s.sink.Chunk(&openai.ChatCompletionChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
			Choices: []openai.ChunkChoice{}, Usage: s.usage})
	}
	return nil
}

// feed appends part to the carried-over bytes and handles every whole line.
func (s *sseReader) feed(part []byte) error {
	for len(part) > 0 && !s.done {
		i := bytes.IndexByte(part, '\n')
		if i < 0 {
			if len(s.line)+len(part) > maxLine {
				return &provider.Error{Kind: provider.Stream, Code: "LineTooLong",
					Message: "the model container sent an SSE line over 4 MiB"}
			}
			s.line = append(s.line, part...)
			return nil
		}
		line := part[:i]
		if len(s.line) > 0 {
			s.line = append(s.line, line...)
			line = s.line
		}
		if err := s.handleLine(line); err != nil {
			return err
		}
		s.line = s.line[:0]
		part = part[i+1:]
	}
	return nil
}

// handleLine processes one SSE line: data lines accumulate, a blank line
// dispatches the event, comments and other fields are skipped.
func (s *sseReader) handleLine(line []byte) error {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return s.dispatch()
	}
	value, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return nil
	}
	value = bytes.TrimPrefix(value, []byte(" "))
	if len(s.data) > 0 {
		s.data = append(s.data, '\n')
	}
	s.data = append(s.data, value...)
	return nil
}

// dispatch handles the accumulated data of one SSE event.
func (s *sseReader) dispatch() error {
	data := bytes.TrimSpace(s.data)
	s.data = s.data[:0]
	if len(data) == 0 {
		return nil
	}
	if string(data) == "[DONE]" {
		s.done = true
		return nil
	}
	var c containerChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return &provider.Error{Kind: provider.Stream, Code: "InvalidChunk",
			Message: "the model container sent a malformed stream chunk", Err: err}
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return &provider.Error{Kind: provider.Stream, Code: "ModelStreamError",
			Message: "the model container reported an error mid-stream"}
	}
	chunk := &c.ChatCompletionChunk
	chunk.Model = s.model
	if s.id == "" {
		s.id, s.created = chunk.ID, chunk.Created
	}
	if len(chunk.Choices) > 0 && chunk.Usage != nil {
		s.usage, chunk.Usage = chunk.Usage, nil
	} else if chunk.Usage != nil {
		s.usageSent = true
	}
	s.emitted++
	return s.sink.Chunk(chunk)
}
