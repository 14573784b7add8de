package github

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// headerRoom is reserved in every part for its "(part i/n)" header.
var headerRoom = len(partHeader(99999, 99999))

func partHeader(i, n int) string { return fmt.Sprintf("**(part %d/%d)**\n\n", i, n) }

// block is an open ``` fence or <details> element.
type block struct {
	open  string // text that reopens it in the next part
	close string // text that closes it at the end of a part
	fence string // the fence's backticks or tildes; "" for <details>
}

// SplitMarkdown splits body into parts of at most limit bytes, each
// starting with a "(part i/n)" header when there is more than one. Parts
// break at line ends, outside code fences and <details> elements where the
// element fits in a part; a larger element is closed at the end of a part
// and reopened at the start of the next. Lines longer than a quarter of
// the limit are cut.
func SplitMarkdown(body string, limit int) []string {
	if len(body) <= limit {
		return []string{body}
	}
	budget := limit - headerRoom
	lines := splitLines(body, max(budget/4, 1))
	chunks := pack(lines, blockStates(lines), budget)
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = partHeader(i+1, len(chunks)) + c
	}
	return out
}

// splitLines cuts body after each "\n" and cuts lines longer than max
// bytes at rune boundaries.
func splitLines(body string, maxLen int) []string {
	var out []string
	for body != "" {
		line := body
		if i := strings.IndexByte(body, '\n'); i >= 0 {
			line = body[:i+1]
		}
		body = body[len(line):]
		for len(line) > maxLen {
			cut := maxLen
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			if cut == 0 {
				cut = maxLen
			}
			out = append(out, line[:cut]+"\n")
			line = line[cut:]
		}
		out = append(out, line)
	}
	return out
}

// blockStates returns, for each line, the blocks open after it.
func blockStates(lines []string) [][]block {
	states := make([][]block, len(lines))
	var stack []block
	summaryPending := false
	for i, line := range lines {
		stack, summaryPending = step(stack, line, summaryPending)
		states[i] = append([]block(nil), stack...)
	}
	return states
}

// step applies one line to the stack of open blocks.
func step(stack []block, line string, summaryPending bool) ([]block, bool) {
	trimmed := strings.TrimLeft(line, " \t")
	if n := len(stack); n > 0 && stack[n-1].fence != "" {
		if isClosingFence(trimmed, stack[n-1].fence) {
			return stack[:n-1], false
		}
		return stack, false
	}
	lower := strings.ToLower(line)
	if n := len(stack); summaryPending && n > 0 && strings.Contains(lower, "<summary") {
		stack[n-1].open += withNewline(line)
		return stack, false
	}
	opens, closes := strings.Contains(lower, "<details"), strings.Contains(lower, "</details>")
	switch f := openingFence(trimmed); {
	case f != "":
		return append(stack, block{open: withNewline(line), close: f + "\n", fence: f}), false
	case opens && !closes:
		return append(stack, block{open: withNewline(line), close: "</details>\n"}), !strings.Contains(lower, "<summary")
	case closes && !opens && len(stack) > 0:
		return stack[:len(stack)-1], false
	}
	return stack, false
}

// openingFence returns the run of ``` or ~~~ (3 or more) that opens a code
// block on the line, "" if it opens none.
func openingFence(trimmed string) string {
	for _, ch := range []byte{'`', '~'} {
		n := 0
		for n < len(trimmed) && trimmed[n] == ch {
			n++
		}
		if n >= 3 && !(ch == '`' && strings.ContainsRune(trimmed[n:], '`')) {
			return trimmed[:n]
		}
	}
	return ""
}

func isClosingFence(trimmed, fence string) bool {
	rest := strings.TrimRight(trimmed, " \t\r\n")
	return len(rest) >= len(fence) && strings.Trim(rest, fence[:1]) == ""
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func reopen(stack []block) string {
	var b strings.Builder
	for _, blk := range stack {
		b.WriteString(blk.open)
		if blk.fence == "" {
			b.WriteString("\n") // markdown inside <details> needs a blank line
		}
	}
	return b.String()
}

func closers(stack []block) string {
	var b strings.Builder
	for i := len(stack) - 1; i >= 0; i-- {
		b.WriteString(stack[i].close)
	}
	return b.String()
}

// pack fills parts of at most budget bytes with lines, closing and
// reopening the blocks open at a cut.
func pack(lines []string, after [][]block, budget int) []string {
	var parts []string
	for start := 0; start < len(lines); {
		var prefix string
		if start > 0 {
			prefix = reopen(after[start-1])
		}
		end, lastSafe, size := start, -1, len(prefix)
		for end < len(lines) && size+len(lines[end])+len(closers(after[end])) <= budget {
			size += len(lines[end])
			end++
			if len(after[end-1]) == 0 {
				lastSafe = end
			}
		}
		if end == len(lines) {
			return append(parts, prefix+strings.Join(lines[start:], ""))
		}
		end = max(end, start+1) // always progress, even past the budget
		cut := end
		if lastSafe > start && lastSafe < end && elementFits(lines, after, lastSafe, budget) {
			cut = lastSafe // keep the element that starts here whole
		}
		parts = append(parts, prefix+strings.Join(lines[start:cut], "")+closers(after[cut-1]))
		start = cut
	}
	return parts
}

// elementFits reports whether the lines from start (at top level) to the
// end of the element beginning there fit in one part.
func elementFits(lines []string, after [][]block, start, budget int) bool {
	size := 0
	for i := start; i < len(lines); i++ {
		size += len(lines[i])
		if size > budget {
			return false
		}
		if len(after[i]) == 0 {
			return true
		}
	}
	return true
}

// TruncateMarkdown returns the start of body that fits in limit bytes: cut
// at a line end (lines longer than a quarter of the limit are cut), with
// the code fences and <details> elements open there closed. It reports
// whether it cut.
func TruncateMarkdown(body string, limit int) (string, bool) {
	if len(body) <= limit {
		return body, false
	}
	if limit <= 0 {
		return "", true
	}
	head := body[:limit]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	lines := splitLines(head, max(limit/4, 1))
	if parts := pack(lines, blockStates(lines), limit); len(parts) > 0 {
		return parts[0], true
	}
	return "", true
}
