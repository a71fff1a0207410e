package privacyprocessor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

const (
	unlistedPlaceholder = "[REDACTED:unlisted]"
	bytesPlaceholder    = "[REDACTED:bytes]"
)

// redactor applies the policy to attribute maps and values in place, with the rules of
// tta_otel.privacy.Redactor: maps and arrays keep their shape, each nested key is decided by
// its full dotted path, and in strict mode an unlisted key keeps only numbers and booleans.
type redactor struct {
	keys       *keyRules
	scanner    *scanner
	urls       *urlRules
	exceptions *exceptionRules
	pseudonyms *pseudonymizer
	strict     bool
	attrCap    int
	bodyCap    int
}

func newRedactor(cfg *Config) *redactor {
	r := &redactor{
		keys:       newKeyRules(cfg.Keys, cfg.KeyCacheSize),
		scanner:    newScanner(cfg.ValuePatterns),
		exceptions: &exceptionRules{allowed: map[string]bool{}},
		pseudonyms: newPseudonymizer([]byte(strings.TrimSpace(string(cfg.HMACKey))), cfg.PseudonymKeyID, cfg.PseudonymPattern),
		strict:     cfg.Mode == "strict",
		attrCap:    cfg.AttributeValueCap,
		bodyCap:    cfg.LogBodyCap,
	}
	r.urls = &urlRules{allowed: map[string]bool{}, scan: r.text}
	for _, name := range cfg.AllowedQueryParameters {
		r.urls.allowed[strings.ToLower(name)] = true
	}
	for _, pkg := range cfg.AllowedExceptionPackages {
		r.exceptions.allowed[pkg] = true
	}
	return r
}

// text is a free-text field or an allowed string value, scanned.
func (r *redactor) text(text string) string {
	return r.scanner.redact(text, r.attrCap)
}

// attributes applies the key rules and the value patterns to a map. path is the map's dotted
// path when it is nested in a value; keys of maps that come from data (log bodies, nested
// maps) are scanned too (scanKeys); metric maps lose identifiers instead of pseudonymising them.
func (r *redactor) attributes(attributes pcommon.Map, path string, scanKeys, metric bool) {
	type renamed struct {
		key   string
		value pcommon.Value
	}
	var renames []renamed
	attributes.RemoveIf(func(rawKey string, value pcommon.Value) bool {
		key := rawKey
		if scanKeys {
			key = r.text(rawKey)
		}
		var d decision
		if path == "" {
			d = r.keys.decide(key)
		} else {
			d = r.keys.decideNested(path+"."+key, key)
		}
		if !r.apply(value, d, key, join(path, key), metric) {
			return true
		}
		if key != rawKey {
			moved := pcommon.NewValueEmpty()
			value.CopyTo(moved)
			renames = append(renames, renamed{key, moved})
			return true
		}
		return false
	})
	for _, entry := range renames {
		entry.value.CopyTo(attributes.PutEmpty(entry.key))
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// apply changes value by its key's decision; false when the attribute is to be removed.
func (r *redactor) apply(value pcommon.Value, d decision, key, path string, metric bool) bool {
	switch {
	case d.action == drop:
		return false
	case d.action == pseudonymize:
		if metric { // a pseudonym would still make one series per person
			return false
		}
		r.pseudonymize(value)
	case d.action == redactWhole:
		value.SetStr(d.placeholder)
	case d.action == keep && value.Type() == pcommon.ValueTypeStr && urlKeys[key] != nil:
		if redacted := urlKeys[key](r.urls, value.Str()); redacted != value.Str() {
			value.SetStr(redacted)
		}
	case d.action == keep || !r.strict:
		r.value(value, path, r.attrCap)
	default:
		r.unlisted(value, path)
	}
	return true
}

// value scans a value whose key was allowed, or that has no key (a log body), keeping its shape.
func (r *redactor) value(value pcommon.Value, path string, limit int) {
	switch value.Type() {
	case pcommon.ValueTypeStr:
		if redacted := r.scanner.redact(value.Str(), limit); redacted != value.Str() {
			value.SetStr(redacted)
		}
	case pcommon.ValueTypeBytes:
		// Bytes may hold text in any encoding (or compressed), which no pattern can read: from a
		// raw client they never leave. (The Python layer decodes its own bytes as UTF-8 and scans.)
		value.SetStr(bytesPlaceholder)
	case pcommon.ValueTypeMap:
		r.attributes(value.Map(), path, true, false)
	case pcommon.ValueTypeSlice:
		items := value.Slice()
		for i := 0; i < items.Len(); i++ {
			r.value(items.At(i), path, r.attrCap)
		}
	default:
	}
}

// unlisted keeps what may leave of an unlisted key's value in strict mode: numbers and booleans.
func (r *redactor) unlisted(value pcommon.Value, path string) {
	switch value.Type() {
	case pcommon.ValueTypeStr, pcommon.ValueTypeBytes:
		value.SetStr(unlistedPlaceholder)
	case pcommon.ValueTypeMap:
		r.attributes(value.Map(), path, true, false)
	case pcommon.ValueTypeSlice:
		items := value.Slice()
		for i := 0; i < items.Len(); i++ {
			r.unlisted(items.At(i), path)
		}
	default:
	}
}

func (r *redactor) pseudonymize(value pcommon.Value) {
	if value.Type() != pcommon.ValueTypeSlice {
		value.SetStr(r.pseudonyms.pseudonymize(pythonString(value)))
		return
	}
	items := value.Slice()
	for i := 0; i < items.Len(); i++ {
		items.At(i).SetStr(r.pseudonyms.pseudonymize(pythonString(items.At(i))))
	}
}

// pythonString is str(value) as the Python layer writes it, so both layers pseudonymise an
// identifier sent as a number, a boolean, a list or a map alike.
func pythonString(value pcommon.Value) string {
	if value.Type() == pcommon.ValueTypeStr {
		return value.Str()
	}
	return pythonRepr(value)
}

// pythonRepr is Python's repr of the value that the OTLP value becomes in the Python SDK.
func pythonRepr(value pcommon.Value) string {
	switch value.Type() {
	case pcommon.ValueTypeStr:
		return pythonQuote(value.Str())
	case pcommon.ValueTypeBool:
		if value.Bool() {
			return "True"
		}
		return "False"
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(value.Int(), 10)
	case pcommon.ValueTypeDouble:
		return pythonFloat(value.Double())
	case pcommon.ValueTypeSlice:
		items := value.Slice()
		parts := make([]string, items.Len())
		for i := range parts {
			parts[i] = pythonRepr(items.At(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case pcommon.ValueTypeMap:
		parts := make([]string, 0, value.Map().Len())
		for key, item := range value.Map().All() {
			parts = append(parts, pythonQuote(key)+": "+pythonRepr(item))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case pcommon.ValueTypeEmpty:
		return "None"
	default:
		return value.AsString()
	}
}

// pythonFloat is repr(float): the shortest digits, positional from 1e-4 up to 1e16.
func pythonFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if magnitude := math.Abs(f); magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64) // 1e+16, 1.5e-05: as Python writes them
	}
	text := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(text, ".") {
		text += ".0"
	}
	return text
}

// pythonQuote is repr(str): single quotes unless the text holds one and no double quote.
func pythonQuote(text string) string {
	quote := byte('\'')
	if strings.ContainsRune(text, '\'') && !strings.ContainsRune(text, '"') {
		quote = '"'
	}
	var out strings.Builder
	out.WriteByte(quote)
	for _, r := range text {
		switch {
		case r == '\\' || r == rune(quote):
			out.WriteByte('\\')
			out.WriteRune(r)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&out, `\x%02x`, r)
		case r > 0x7f && !unicode.IsPrint(r):
			if r <= 0xff {
				fmt.Fprintf(&out, `\x%02x`, r)
			} else if r <= 0xffff {
				fmt.Fprintf(&out, `\u%04x`, r)
			} else {
				fmt.Fprintf(&out, `\U%08x`, r)
			}
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte(quote)
	return out.String()
}

// exceptionMessages replaces, in strict mode, the message of an exception whose type does not
// keep it, before the key rules run; it returns the message replaced (for the log body), if any.
func (r *redactor) exceptionMessages(attributes pcommon.Map) string {
	if !r.strict {
		return ""
	}
	replaced := ""
	if message, ok := attributes.Get(exceptionMessage); ok {
		typeName := ""
		if t, found := attributes.Get(exceptionType); found {
			typeName = t.AsString()
		}
		if !r.exceptions.messageIsKept(typeName) {
			if message.Type() == pcommon.ValueTypeStr && message.Str() != exceptionPlaceholder {
				replaced = message.Str()
			}
			message.SetStr(exceptionPlaceholder)
		}
	}
	if trace, ok := attributes.Get(exceptionStacktrace); ok && trace.Type() == pcommon.ValueTypeStr {
		if redacted := r.exceptions.stacktrace(trace.Str()); redacted != trace.Str() {
			trace.SetStr(redacted)
		}
	}
	return replaced
}

// messageInBody replaces in a string body the exception message that was replaced in the
// attributes ("Type: message" records); a message under 3 characters would match anywhere.
func messageInBody(body pcommon.Value, message string) {
	if message == "" || len([]rune(message)) < 3 || body.Type() != pcommon.ValueTypeStr {
		return
	}
	if replaced := strings.ReplaceAll(body.Str(), message, exceptionPlaceholder); replaced != body.Str() {
		body.SetStr(replaced)
	}
}
