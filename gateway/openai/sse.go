package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SSEWriter writes chat completion chunks as server-sent events and flushes
// each one at once.
type SSEWriter struct {
	w   io.Writer
	rc  *http.ResponseController
	buf bytes.Buffer
	enc *json.Encoder
}

// NewSSEWriter returns a writer of events to w.
func NewSSEWriter(w http.ResponseWriter) *SSEWriter {
	s := &SSEWriter{w: w, rc: http.NewResponseController(w)}
	s.enc = json.NewEncoder(&s.buf)
	return s
}

var (
	dataPrefix = []byte("data: ")
	doneEvent  = []byte("data: [DONE]\n\n")
)

// Chunk writes one chunk event and flushes it.
func (s *SSEWriter) Chunk(c *ChatCompletionChunk) error {
	s.buf.Reset()
	s.buf.Write(dataPrefix)
	if err := s.enc.Encode(c); err != nil { // Encode ends the value with '\n'
		return fmt.Errorf("encoding chunk: %w", err)
	}
	s.buf.WriteByte('\n')
	return s.write(s.buf.Bytes())
}

// Error writes an error event (a failure after the stream began) and flushes it.
func (s *SSEWriter) Error(e *APIError) error {
	b, _ := json.Marshal(e.Body())
	return s.write(append(append(append([]byte(nil), dataPrefix...), b...), '\n', '\n'))
}

// Done writes the closing data: [DONE] event and flushes it.
func (s *SSEWriter) Done() error { return s.write(doneEvent) }

func (s *SSEWriter) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// SSEReader reads the data events of an OpenAI-compatible stream.
type SSEReader struct {
	r *bufio.Reader
}

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 16<<10)}
}

// ErrDone is returned by Next after data: [DONE].
var ErrDone = errors.New("stream done")

// StreamError is an error event an upstream sent after the stream began.
type StreamError struct{ Body ErrorBody }

// Error returns the upstream's message.
func (e *StreamError) Error() string { return "upstream stream error: " + e.Body.Message }

type chunkOrError struct {
	ChatCompletionChunk
	Error json.RawMessage `json:"error"`
}

// maxLine bounds one line of an upstream stream.
const maxLine = 4 << 20

// ParseError decodes the error member of an OpenAI-compatible server's
// error body or stream event: OpenAI's object, whose code vLLM sends as a
// number (the HTTP status), or a bare string. It reports false when raw is
// neither.
func ParseError(raw json.RawMessage) (ErrorBody, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return ErrorBody{Message: s}, true
	}
	var b struct {
		Message     string
		Type        string
		Param, Code json.RawMessage
	}
	if json.Unmarshal(raw, &b) != nil {
		return ErrorBody{}, false
	}
	return ErrorBody{Message: b.Message, Type: b.Type, Param: optionalString(b.Param), Code: optionalString(b.Code)}, true
}

// optionalString is a JSON string or number as a string; nil for null or
// nothing.
func optionalString(raw json.RawMessage) *string {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return nil
	}
	return &s
}

// Next decodes the next chunk into c. It returns ErrDone after [DONE],
// io.ErrUnexpectedEOF when the stream ends without it, and *StreamError for
// an error event.
func (s *SSEReader) Next(c *ChatCompletionChunk) error {
	for {
		line, err := s.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.readLong(line)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue // blank separator, comment, event: or id: line
		}
		data = bytes.TrimLeft(data, " ")
		if bytes.Equal(data, []byte("[DONE]")) {
			return ErrDone
		}
		var v chunkOrError
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("decoding stream event: %w", err)
		}
		if len(v.Error) > 0 && !bytes.Equal(v.Error, nullJSON) {
			body, _ := ParseError(v.Error)
			if body.Message == "" {
				body.Message = "the upstream reported an error"
			}
			return &StreamError{Body: body}
		}
		*c = v.ChatCompletionChunk
		return nil
	}
}

func (s *SSEReader) readLong(first []byte) ([]byte, error) {
	line := append([]byte(nil), first...)
	for {
		more, err := s.r.ReadSlice('\n')
		line = append(line, more...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
		if len(line) > maxLine {
			return nil, fmt.Errorf("a stream line is longer than %d bytes", maxLine)
		}
	}
}
