package privacyprocessor

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	cleanCacheSize      = 8192
	cleanCacheMaxLength = 512
	truncated           = "[REDACTED:truncated]"
	cutLookback         = 256
	maxLiteralSets      = 256
)

// valuePattern is one value pattern of the policy, compiled once.
type valuePattern struct {
	placeholder string
	re          *regexp.Regexp
	anchored    *regexp.Regexp // the pattern over a whole candidate: validators cut candidates shorter
	afterWord   *regexp.Regexp // the pattern right after a word character (see searchFrom)
	group       int
	validator   func(string) bool
	literalSets []int // indexes into scanner.literals: one literal of each must occur
	shape       shape // digits and dots every match holds
}

// scanner finds the policy's value patterns in free text, with tta_otel.privacy.Scanner's
// rules: at each position the first pattern in policy order that matches (and whose validator
// accepts the candidate) wins, and its group - or the whole match - becomes its placeholder.
type scanner struct {
	patterns []valuePattern
	literals [][][]byte    // distinct sets of required literals, shared between patterns
	clean    *boundedCache // strings found clean
}

func newScanner(configs []ValuePatternConfig) *scanner {
	s := &scanner{clean: newBoundedCache(cleanCacheSize, cleanCacheMaxLength)}
	seen := map[string]int{}
	for _, config := range configs {
		pattern := valuePattern{
			placeholder: "[REDACTED:" + config.Name + "]",
			re:          regexp.MustCompile(config.Regex),
			anchored:    regexp.MustCompile(`^(?:` + config.Regex + `)$`),
			afterWord:   regexp.MustCompile(`^[0-9A-Za-z_](?:` + config.Regex + `)`),
			group:       config.Group,
			validator:   validators[config.Validator],
			shape:       shapeOf(config.Regex),
		}
		for _, set := range config.RequiredLiterals {
			key := strings.Join(set, "\x00")
			index, ok := seen[key]
			if !ok {
				index = len(s.literals)
				seen[key] = index
				literals := make([][]byte, len(set))
				for j, literal := range set {
					literals[j] = []byte(literal)
				}
				s.literals = append(s.literals, literals)
			}
			pattern.literalSets = append(pattern.literalSets, index)
		}
		s.patterns = append(s.patterns, pattern)
	}
	return s
}

// active appends to buf the patterns whose required literals all occur in lower, the text
// lower-cased, and whose shape the text holds: most text wakes no pattern, and Go's regexp is
// then never run.
func (s *scanner) active(lower []byte, buf []int) []int {
	var found [maxLiteralSets]int8 // per set of literals: 0 not looked for, 1 found, 2 absent
	counted := textShape(lower)
	for i := range s.patterns {
		if counted.holds(s.patterns[i].shape) && s.literalsOccur(lower, s.patterns[i].literalSets, &found) {
			buf = append(buf, i)
		}
	}
	return buf
}

// literalsOccur looks each set up once per text; a set beyond maxLiteralSets is not looked
// for, so its pattern runs (a prefilter may only ever skip work, never a match).
func (s *scanner) literalsOccur(lower []byte, sets []int, found *[maxLiteralSets]int8) bool {
	for _, set := range sets {
		if set >= maxLiteralSets {
			continue
		}
		if found[set] == 0 {
			found[set] = 2
			for _, literal := range s.literals[set] {
				if bytes.Contains(lower, literal) {
					found[set] = 1
					break
				}
			}
		}
		if found[set] == 2 {
			return false
		}
	}
	return true
}

// redact returns text with every finding replaced; text itself (no copy) when it is clean.
// A text longer than limit characters is cut at a separator close before the limit and the
// rest replaced by [REDACTED:truncated]: nothing beyond the cap leaves unscanned.
func (s *scanner) redact(text string, limit int) string {
	if len(text) > limit && utf8.RuneCountInString(text) > limit {
		return s.redactCapped(text, limit)
	}
	if _, clean := s.clean.get(text); clean {
		return text
	}
	redacted := s.redactDepth(text, 0)
	if redacted == text {
		s.clean.put(text, "")
	}
	return redacted
}

func (s *scanner) redactDepth(text string, depth int) string {
	if needsNormalizing(text) {
		return s.redactNormalized(text, depth)
	}
	return replaceSpans(text, s.scanText(text, depth))
}

func (s *scanner) redactCapped(text string, limit int) string {
	runes := []rune(text)
	cut := limit
	for i := max(0, limit-cutLookback); i < limit; i++ {
		if isCutSeparator(runes[i]) {
			cut = i
		}
	}
	return s.redact(string(runes[:cut]), limit) + truncated
}

func isCutSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(`,;&|"'<>(){}[]`, r)
}

// scanText finds the value patterns, and what hides in base64, in ASCII text without encodings.
func (s *scanner) scanText(text string, depth int) []finding {
	found := s.findings(text)
	if encoded := s.base64Findings(text, depth); len(encoded) > 0 {
		found = merged(append(found, encoded...))
	}
	return found
}

// replaceSpans puts each finding's placeholder in place of its span (sorted, disjoint).
func replaceSpans(text string, findings []finding) string {
	if len(findings) == 0 {
		return text
	}
	var out strings.Builder
	out.Grow(len(text))
	position := 0
	for _, f := range findings {
		out.WriteString(text[position:f.start])
		out.WriteString(f.placeholder)
		position = f.end
	}
	out.WriteString(text[position:])
	return out.String()
}

type finding struct {
	start, end  int
	placeholder string
}

// asciiLower appends text to buf with ASCII letters lower-cased (the scan text is ASCII).
func asciiLower(text string, buf []byte) []byte {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// findings are the spans of text to replace, sorted and disjoint.
func (s *scanner) findings(text string) []finding {
	var buf [64]int
	var lowerBuf [1024]byte
	active := s.active(asciiLower(text, lowerBuf[:0]), buf[:0])
	if len(active) == 0 {
		return nil
	}
	// A separator in front, as the Python scanner adds: labels need one before them.
	data := " " + text
	next := make([][]int, len(active))
	done := make([]bool, len(active))
	var result []finding
	for position := 0; position <= len(data); {
		best := -1
		for i, index := range active {
			if done[i] {
				continue
			}
			if next[i] == nil || next[i][0] < position {
				next[i] = s.patterns[index].searchFrom(data, position)
				if next[i] == nil {
					done[i] = true
					continue
				}
			}
			if best < 0 || next[i][0] < next[best][0] {
				best = i
			}
		}
		if best < 0 {
			break
		}
		start := next[best][0]
		position = start + 1
		for i, index := range active {
			if done[i] || next[i][0] != start || next[i][1] == start {
				continue
			}
			pattern := &s.patterns[index]
			match := next[i]
			if pattern.validator != nil {
				if match = pattern.validated(data, match); match == nil {
					continue
				}
			}
			spanStart, spanEnd := match[0], match[1]
			if g := pattern.group; g > 0 && match[2*g] >= 0 {
				spanStart, spanEnd = match[2*g], match[2*g+1]
			}
			// Offsets into text: the leading separator is never part of a replacement.
			result = append(result, finding{max(spanStart-1, 0), max(spanEnd-1, 0), pattern.placeholder})
			position = max(match[1], start+1)
			break
		}
	}
	return merged(result)
}

// searchFrom is the leftmost match of the pattern in data at or after position, with offsets
// into data, as RE2 finds it when it starts a search inside a text. Go's regexp only searches
// a slice, which forgets the character before it: at the slice's start \b would hold between
// two word characters. A match there is checked again with that character in front.
func (p *valuePattern) searchFrom(data string, position int) []int {
	for position <= len(data) {
		match := shifted(p.re.FindStringSubmatchIndex(data[position:]), position)
		if match == nil {
			return nil
		}
		start := match[0]
		if start != position || position == 0 || !isWordByte(data[position-1]) || !isWordByte(data[position]) {
			return match
		}
		if again := shifted(p.afterWord.FindStringSubmatchIndex(data[position-1:]), position-1); again != nil {
			again[0] = start
			return again
		}
		position = start + 1
	}
	return nil
}

func shifted(match []int, offset int) []int {
	for i := range match {
		if match[i] >= 0 {
			match[i] += offset
		}
	}
	return match
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// validated is the longest match that the validator accepts, cut only at a space or a dash: a
// card number followed by " 12/25" is a longer candidate that fails Luhn, the digits do not.
func (p *valuePattern) validated(data string, match []int) []int {
	if p.validator(p.groupText(data, match)) {
		return match
	}
	start := match[0]
	for end := match[1] - 1; end > start; end-- {
		if data[end] != ' ' && data[end] != '-' {
			continue
		}
		candidate := shifted(p.anchored.FindStringSubmatchIndex(data[start:end]), start)
		if candidate == nil {
			continue
		}
		if p.validator(p.groupText(data, candidate)) {
			return candidate
		}
	}
	return nil
}

func (p *valuePattern) groupText(data string, match []int) string {
	if g := p.group; g > 0 && match[2*g] >= 0 {
		return data[match[2*g]:match[2*g+1]]
	}
	return data[match[0]:match[1]]
}

// merged sorts findings and unites overlapping ones under the first one's placeholder.
func merged(findings []finding) []finding {
	if len(findings) < 2 {
		return findings
	}
	sortFindings(findings)
	out := findings[:1]
	for _, f := range findings[1:] {
		last := &out[len(out)-1]
		if f.start < last.end {
			last.end = max(last.end, f.end)
			continue
		}
		out = append(out, f)
	}
	return out
}

func sortFindings(findings []finding) {
	for i := 1; i < len(findings); i++ {
		for j := i; j > 0 && findings[j].start < findings[j-1].start; j-- {
			findings[j], findings[j-1] = findings[j-1], findings[j]
		}
	}
}
