package privacyprocessor

import (
	"html"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation undoes the encodings that hide personal data from the value patterns, as
// tta_otel/privacy/normalize.py does: percent-escapes, HTML character references, e-mail
// obfuscations ([at], (dot), "jane at example dot com"), format characters and combining
// marks (dropped), and compatibility forms (NFKC), then folds what is still not ASCII (a
// digit to its ASCII digit, a letter to x, a dash to -, quotes to " and ', anything else to a
// space). The result is an ASCII scan text and, byte by byte, the span of the original text
// each byte came from: a finding is replaced over the whole original span that produced it.

var (
	tokens = regexp.MustCompile(`(?:%[0-9A-Fa-f]{2})+` +
		`|&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)` +
		`|[ \t]{0,3}[\[\(\{<][ \t]{0,3}(?:[Aa][Tt]|[Dd][Oo][Tt])[ \t]{0,3}[\]\)\}>][ \t]{0,3}` +
		`|[^\x00-\x7f](?:[^%&\[\(\{<\s]*[^\x00-\x7f])?`)
	needs = regexp.MustCompile(`%[0-9A-Fa-f]{2}|&(?:#[0-9xX]|[A-Za-z][A-Za-z0-9]{1,31};)` +
		`|[\[\(\{<][ \t]{0,3}(?:[Aa][Tt]|[Dd][Oo][Tt])[ \t]{0,3}[\]\)\}>]` +
		`| (?:at|AT|At) [A-Za-z0-9-]{1,63}(?:\.| (?:dot|DOT|Dot) )[A-Za-z]`)
	wordy = regexp.MustCompile(`[A-Za-z0-9._%+-]{1,64}( (?:at|AT|At) )[A-Za-z0-9-]{1,63}` +
		`(?:(?: (?:dot|DOT|Dot) |\.)[A-Za-z0-9-]{1,63}){1,6}\b`)
	wordyDot   = regexp.MustCompile(` (?:dot|DOT|Dot) `)
	wordySplit = regexp.MustCompile(` (?:dot|DOT|Dot) |\.`)
	commonTLDs = map[string]bool{}
	invisible  = map[rune]bool{0x034f: true, 0x115f: true, 0x1160: true, 0x180e: true, 0x3164: true, 0xffa0: true}
	quotes     = map[rune]byte{}
)

func init() {
	for _, tld := range strings.Fields("com org net edu gov mil int io co uk de fr es it nl be ch at jp cn kr in au " +
		"nz ca us eu ie pt pl se no dk fi ru br mx ar info biz me app dev ai email online mail") {
		commonTLDs[tld] = true
	}
	for r := rune(0xfe00); r < 0xfe10; r++ {
		invisible[r] = true
	}
	for _, r := range "\u2018\u2019\u201a\u201b\u2032\u2039\u203a" {
		quotes[r] = '\''
	}
	for _, r := range "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d\u300e\u300f" {
		quotes[r] = '"'
	}
}

// needsNormalizing is false for text the patterns read as it is: ASCII with nothing encoded.
func needsNormalizing(text string) bool {
	trigger := false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= utf8.RuneSelf:
			return true
		case c == '%' || c == '&' || c == '[' || c == '(' || c == '{' || c == '<':
			trigger = true
		case c == ' ' && i+3 < len(text) && (text[i+1] == 'a' || text[i+1] == 'A') && text[i+3] == ' ':
			trigger = true
		}
	}
	return trigger && needs.MatchString(text)
}

// normalized is the ASCII scan text and, for each of its bytes, the original span it came from.
type normalized struct {
	text   string
	starts []int
	ends   []int
}

func (n *normalized) originalSpan(start, end int) (int, int) {
	return n.starts[start], n.ends[end-1]
}

type edit struct {
	start, end  int
	replacement string
	perRune     bool // a folded non-ASCII run: each original rune maps to its own bytes
}

func normalize(text string) *normalized {
	first := apply(text, edits(text))
	if !needsNormalizing(first.text) {
		return first
	}
	second := apply(first.text, edits(first.text)) // a second layer: %2540, &amp;#64;, ...
	for i := range second.starts {
		second.starts[i], _ = first.originalSpan(second.starts[i], second.starts[i]+1)
		_, second.ends[i] = first.originalSpan(second.ends[i]-1, second.ends[i])
	}
	return second
}

func edits(text string) []edit {
	var out []edit
	for _, span := range tokens.FindAllStringIndex(text, -1) {
		start, end := span[0], span[1]
		token := text[start:end]
		switch {
		case token[0] >= utf8.RuneSelf || (token[0] != '%' && token[0] != '&' && !isBracketed(token)):
			out = append(out, edit{start, end, "", true})
		case token[0] == '%':
			out = append(out, edit{start, end, fold(percentDecode(token)), false})
		case token[0] == '&':
			if decoded := html.UnescapeString(token); decoded != token {
				out = append(out, edit{start, end, fold(decoded), false})
			}
		default: // [at], (dot), ...: the word between the brackets
			bracketed := strings.Trim(token, " \t")
			replacement := "."
			if strings.EqualFold(strings.Trim(bracketed[1:len(bracketed)-1], " \t"), "at") {
				replacement = "@"
			}
			out = append(out, edit{start, end, replacement, false})
		}
	}
	if strings.Contains(text, " at ") || strings.Contains(text, " AT ") || strings.Contains(text, " At ") {
		out = append(out, wordyEdits(text)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	kept := out[:0]
	for _, e := range out {
		if len(kept) == 0 || e.start >= kept[len(kept)-1].end {
			kept = append(kept, e)
		}
	}
	return kept
}

func isBracketed(token string) bool {
	trimmed := strings.Trim(token, " \t")
	return trimmed != "" && strings.ContainsRune("[({<", rune(trimmed[0]))
}

func wordyEdits(text string) []edit {
	var out []edit
	for _, m := range wordy.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > 0 && strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-", text[m[0]-1]) >= 0 {
			continue // inside a longer word: not the start of an address
		}
		domain := text[m[3]:m[1]]
		dots := wordyDot.FindAllStringIndex(domain, -1)
		parts := wordySplit.Split(domain, -1)
		if len(dots) == 0 && !commonTLDs[strings.ToLower(parts[len(parts)-1])] {
			continue // "error at module.py": not an address
		}
		out = append(out, edit{m[2], m[3], "@", false})
		for _, d := range dots {
			out = append(out, edit{m[3] + d[0], m[3] + d[1], ".", false})
		}
	}
	return out
}

func percentDecode(token string) string {
	decoded := make([]byte, 0, len(token)/3)
	for i := 0; i+2 < len(token); i += 3 {
		decoded = append(decoded, unhex(token[i+1])<<4|unhex(token[i+2]))
	}
	return strings.ToValidUTF8(string(decoded), "\uFFFD")
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func apply(text string, edits []edit) *normalized {
	n := &normalized{}
	var out strings.Builder
	add := func(piece string, start, end int) {
		out.WriteString(piece)
		for range len(piece) {
			n.starts = append(n.starts, start)
			n.ends = append(n.ends, end)
		}
	}
	identity := func(from, to int) {
		for i := from; i < to; i++ {
			add(text[i:i+1], i, i+1)
		}
	}
	position := 0
	for _, e := range edits {
		identity(position, e.start)
		if e.perRune {
			for offset, r := range text[e.start:e.end] {
				at := e.start + offset
				add(fold(string(r)), at, at+utf8.RuneLen(r))
			}
		} else {
			add(e.replacement, e.start, e.end)
		}
		position = e.end
	}
	identity(position, len(text))
	n.text = out.String()
	return n
}

// fold is NFKC, then every character that is still not ASCII as the ASCII the scan reads.
func fold(text string) string {
	var out strings.Builder
	for _, r := range norm.NFKC.String(text) {
		out.WriteString(foldRune(r))
	}
	return out.String()
}

func foldRune(r rune) string {
	switch {
	case r < utf8.RuneSelf:
		return string(r)
	case invisible[r] || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.M, r):
		return ""
	case unicode.Is(unicode.Nd, r):
		return string(rune('0' + decimalValue(r)))
	case unicode.IsLetter(r):
		return "x"
	case unicode.IsSpace(r):
		return " "
	case unicode.Is(unicode.Pd, r):
		return "-"
	}
	if q, ok := quotes[r]; ok {
		return string(q)
	}
	return " "
}

// decimalValue of a decimal digit: Unicode lays out each script's digits 0 to 9 in a row.
func decimalValue(r rune) int {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// redactNormalized scans the normalised text and replaces the original spans of its findings.
func (s *scanner) redactNormalized(text string, depth int) string {
	n := normalize(text)
	found := s.scanText(n.text, depth)
	if len(found) == 0 {
		return text
	}
	spans := make([]finding, 0, len(found))
	for _, f := range found {
		if f.end > f.start {
			start, end := n.originalSpan(f.start, f.end)
			spans = append(spans, finding{start, end, f.placeholder})
		}
	}
	return replaceSpans(text, merged(spans))
}
