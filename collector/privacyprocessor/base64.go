package privacyprocessor

import (
	"encoding/base64"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Base64 runs of 14 characters or more before their padding can carry an SSN, a phone number
// or an address; a run that mixes cases (base64 of text does, hex ids and paths do not) is
// decoded, and when the decoded text is printable and holds a finding the whole run is replaced.

const (
	minBase64Run   = 14
	maxBase64Depth = 2
)

var (
	base64Run   = regexp.MustCompile(`[A-Za-z0-9+/_-]{14,}={0,2}`)
	placeholder = regexp.MustCompile(`\[REDACTED:[a-z0-9_]+\]`)
	urlSafe     = strings.NewReplacer("-", "+", "_", "/")
)

// hasMixedCaseRun reports a run of minBase64Run base64 characters with both cases, in one pass.
func hasMixedCaseRun(text string) bool {
	length, lower, upper := 0, false, false
	for i := 0; i <= len(text); i++ {
		if i < len(text) && isBase64Char(text[i]) {
			length++
			lower = lower || (text[i] >= 'a' && text[i] <= 'z')
			upper = upper || (text[i] >= 'A' && text[i] <= 'Z')
			continue
		}
		if length >= minBase64Run && lower && upper {
			return true
		}
		length, lower, upper = 0, false, false
	}
	return false
}

func isBase64Char(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '_' || c == '-'
}

func (s *scanner) base64Findings(text string, depth int) []finding {
	if depth >= maxBase64Depth || !hasMixedCaseRun(text) {
		return nil
	}
	var found []finding
	for _, span := range base64Run.FindAllStringIndex(text, -1) {
		encoded := text[span[0]:span[1]]
		if strings.ToLower(encoded) == encoded || strings.ToUpper(encoded) == encoded {
			continue
		}
		body := strings.TrimRight(encoded, "=")
		if len(body)%4 == 1 {
			continue
		}
		raw, err := base64.RawStdEncoding.DecodeString(urlSafe.Replace(body))
		if err != nil || !utf8.Valid(raw) || !printable(string(raw)) {
			continue
		}
		decoded := string(raw)
		if redacted := s.redactDepth(decoded, depth+1); redacted != decoded {
			kind := placeholder.FindString(redacted)
			if kind == "" {
				kind = "[REDACTED:base64]"
			}
			found = append(found, finding{span[0], span[1], kind})
		}
	}
	return found
}

// printable is Python's str.isprintable after newlines, returns and tabs become spaces.
func printable(text string) bool {
	for _, r := range text {
		if r == '\n' || r == '\r' || r == '\t' || r == ' ' {
			continue
		}
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
