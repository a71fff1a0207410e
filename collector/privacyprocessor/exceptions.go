package privacyprocessor

import (
	"regexp"
	"strings"
)

// Exception messages are written from data, so in strict mode they are replaced unless the
// exception's type comes from an allowed package (tta_otel/privacy/exceptions.py): library
// code writes those. Frames stay; in a stack trace each message line is replaced.

const (
	exceptionPlaceholder = "[REDACTED:exception_message]"
	exceptionType        = "exception.type"
	exceptionMessage     = "exception.message"
	exceptionStacktrace  = "exception.stacktrace"
)

var (
	tracebackHeaders = map[string]bool{
		"Traceback (most recent call last):":                 true,
		"Exception Group Traceback (most recent call last):": true,
	}
	chainSeparators = map[string]bool{
		"The above exception was the direct cause of the following exception:": true,
		"During handling of the above exception, another exception occurred:":  true,
	}
	groupRule   = regexp.MustCompile(`^\s*\+[-+]*(?: [^|]*)?$`)
	groupPrefix = regexp.MustCompile(`^(\s*[|+] ?)`)
	frameLine   = regexp.MustCompile(`^  File "[^"\n]*", line \d+`)
	typeLine    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*)(: .*|:)?$`)
	// Python's builtin OSError and its subclasses: their messages are kept.
	osErrors = map[string]bool{
		"OSError": true, "EnvironmentError": true, "IOError": true, "BlockingIOError": true,
		"ChildProcessError": true, "ConnectionError": true, "BrokenPipeError": true,
		"ConnectionAbortedError": true, "ConnectionRefusedError": true, "ConnectionResetError": true,
		"FileExistsError": true, "FileNotFoundError": true, "InterruptedError": true,
		"IsADirectoryError": true, "NotADirectoryError": true, "PermissionError": true,
		"ProcessLookupError": true, "TimeoutError": true,
	}
)

type exceptionRules struct {
	allowed map[string]bool
}

// messageIsKept: module.Class when the top-level package is allowed; a builtin by its short
// name when it is OSError or a subclass.
func (e *exceptionRules) messageIsKept(typeName string) bool {
	if pkg, _, dotted := strings.Cut(typeName, "."); dotted {
		return e.allowed[pkg]
	}
	return osErrors[typeName]
}

// stacktrace reads a traceback as Python's traceback module writes it and replaces the
// message of each exception whose type does not keep it.
func (e *exceptionRules) stacktrace(trace string) string {
	state := "start"
	var out strings.Builder
	for _, line := range strings.SplitAfter(trace, "\n") {
		if line == "" {
			continue
		}
		out.WriteString(e.line(&state, line))
	}
	return out.String()
}

func (e *exceptionRules) line(state *string, line string) string {
	text := strings.TrimRight(line, "\r\n")
	ending := line[len(text):]
	if strings.HasPrefix(strings.TrimLeft(text, " \t"), "+ Exception Group Traceback") {
		*state = "frames"
		return line
	}
	if groupRule.MatchString(text) {
		*state = "start"
		return line
	}
	prefix, content := "", text
	if m := groupPrefix.FindStringSubmatch(text); m != nil {
		prefix, content = m[1], text[len(m[1]):]
	}
	blank := strings.TrimSpace(content) == ""
	switch {
	case chainSeparators[content] && (*state == "message" || *state == "kept"):
		*state = "start"
		return line
	case *state == "kept":
		return line
	case *state == "message":
		if blank {
			return line
		}
		return ""
	case tracebackHeaders[content] || (*state == "start" && blank):
		if content != "" {
			*state = "frames"
		}
		return line
	case *state == "frames" && (frameLine.MatchString(content) || strings.HasPrefix(content, "    ") ||
		strings.HasPrefix(content, "  [Previous line repeated")):
		return line
	}
	m := typeLine.FindStringSubmatch(content)
	if m == nil {
		*state = "message"
		return prefix + exceptionPlaceholder + ending
	}
	if e.messageIsKept(m[1]) {
		*state = "kept"
		return line
	}
	*state = "message"
	rest := ""
	if m[2] != "" {
		rest = ": " + exceptionPlaceholder
	}
	return prefix + m[1] + rest + ending
}
