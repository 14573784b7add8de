package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// streamMapper turns ConverseStream events into OpenAI chunks, one chunk
// per content event, as they arrive.
type streamMapper struct {
	id, model string
	created   int64
	sink      provider.StreamSink
	// tools maps a contentBlockIndex to its OpenAI tool_calls index.
	tools   map[int]int
	emitted int
}

// run reads events until the stream ends, the upstream sends an exception
// or the sink fails.
func (s *streamMapper) run(events *awsapi.EventReader) error {
	for {
		ev, err := events.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &provider.Error{Kind: provider.Stream, Code: "InvalidEventStream",
				Message: "the upstream event stream broke off", Err: err}
		}
		if ev.Exception {
			return awsapi.StreamException(ev.Type, ev.Payload, s.emitted > 0)
		}
		if err := s.event(ev.Type, ev.Payload); err != nil {
			return err
		}
	}
}

// event maps one event; unknown event types are skipped.
func (s *streamMapper) event(typ string, payload []byte) error {
	switch typ {
	case "messageStart":
		var e messageStartEvent
		if err := decode(typ, payload, &e); err != nil {
			return err
		}
		empty := ""
		return s.emit(openai.Delta{Role: "assistant", Content: &empty}, nil, nil)
	case "contentBlockStart":
		var e contentBlockStartEvent
		if err := decode(typ, payload, &e); err != nil || e.Start.ToolUse == nil {
			return err
		}
		idx := len(s.tools)
		s.tools[e.ContentBlockIndex] = idx
		return s.emit(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, ID: e.Start.ToolUse.ToolUseID,
			Type: "function", Function: openai.FunctionCall{Name: e.Start.ToolUse.Name}}}}, nil, nil)
	case "contentBlockDelta":
		return s.delta(payload)
	case "messageStop":
		var e messageStopEvent
		if err := decode(typ, payload, &e); err != nil {
			return err
		}
		reason := finishReason(e.StopReason)
		return s.emit(openai.Delta{}, &reason, nil)
	case "metadata":
		var e metadataEvent
		if err := decode(typ, payload, &e); err != nil || e.Usage == nil {
			return err
		}
		return s.emitUsage(usage(e.Usage))
	}
	return nil
}

// delta maps a text or tool-input delta.
func (s *streamMapper) delta(payload []byte) error {
	var e contentBlockDeltaEvent
	if err := decode("contentBlockDelta", payload, &e); err != nil {
		return err
	}
	switch {
	case e.Delta.Text != nil:
		return s.emit(openai.Delta{Content: e.Delta.Text}, nil, nil)
	case e.Delta.ToolUse != nil:
		idx, ok := s.tools[e.ContentBlockIndex]
		if !ok { // no contentBlockStart seen: give the block the next index
			idx = len(s.tools)
			s.tools[e.ContentBlockIndex] = idx
		}
		return s.emit(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx,
			Function: openai.FunctionCall{Arguments: e.Delta.ToolUse.Input}}}}, nil, nil)
	}
	return nil
}

// emit sends a chunk with one choice.
func (s *streamMapper) emit(d openai.Delta, finish *string, u *openai.Usage) error {
	s.emitted++
	return s.sink.Chunk(&openai.ChatCompletionChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created,
		Model: s.model, Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}, Usage: u})
}

// emitUsage sends the final usage chunk (no choices), as OpenAI does.
func (s *streamMapper) emitUsage(u *openai.Usage) error {
	s.emitted++
	return s.sink.Chunk(&openai.ChatCompletionChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created,
		Model: s.model, Choices: []openai.ChunkChoice{}, Usage: u})
}

// decode unmarshals an event payload.
func decode(typ string, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return &provider.Error{Kind: provider.Stream, Code: "InvalidEvent",
			Message: "the upstream sent a malformed " + typ + " event", Err: fmt.Errorf("decoding %s: %w", typ, err)}
	}
	return nil
}
