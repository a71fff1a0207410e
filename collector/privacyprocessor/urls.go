package privacyprocessor

import (
	"regexp"
	"strings"
)

// URLs keep their shape, never the data a player typed into them (tta_otel/privacy/urls.py):
// every query parameter name is kept and every value replaced, except the values of the
// allowed parameters, which are percent-decoded (+ is a space) and scanned.

const (
	queryValue  = "[REDACTED:query_value]"
	fragment    = "[REDACTED:fragment]"
	credentials = "[REDACTED:url_credentials]"
)

var schemeAuthority = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)`)

type urlRules struct {
	allowed map[string]bool // lower-case parameter names
	scan    func(string) string
}

// urlKeys are the allowed keys that hold URLs or their parts.
var urlKeys = map[string]func(*urlRules, string) string{
	"url.query":   (*urlRules).query,
	"url.full":    (*urlRules).url,
	"http.url":    (*urlRules).url,
	"http.target": (*urlRules).url,
	"url.path":    (*urlRules).path,
}

func (u *urlRules) query(query string) string {
	if query == "" {
		return query
	}
	var out strings.Builder
	start := 0
	for i := 0; i <= len(query); i++ {
		if i < len(query) && query[i] != '&' && query[i] != ';' {
			continue
		}
		if parameter := query[start:i]; parameter != "" {
			out.WriteString(u.parameter(parameter))
		}
		if i < len(query) {
			out.WriteByte(query[i])
		}
		start = i + 1
	}
	return out.String()
}

func (u *urlRules) parameter(parameter string) string {
	name, value, equals := strings.Cut(parameter, "=")
	decodedName := unquote(name, true)
	shownName := name
	if clean := u.scan(decodedName); clean != decodedName {
		shownName = quote(clean)
	}
	switch {
	case !equals:
		return shownName // a bare flag (?debug): the name is all there is
	case u.allowed[strings.ToLower(decodedName)]:
		decoded := unquote(value, true)
		if scanned := u.scan(decoded); scanned != decoded {
			return shownName + "=" + scanned
		}
		return shownName + "=" + value
	case value == "":
		return shownName + "="
	default:
		return shownName + "=" + queryValue
	}
}

func (u *urlRules) path(path string) string {
	decoded := path
	if strings.Contains(path, "%") {
		decoded = unquote(path, false)
	}
	if scanned := u.scan(decoded); scanned != decoded {
		return scanned
	}
	return path
}

// url removes credentials from the authority, scans the host and the path, redacts the
// query and replaces the fragment.
func (u *urlRules) url(raw string) string {
	rest, frag, hasFragment := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	var out strings.Builder
	if m := schemeAuthority.FindStringSubmatchIndex(rest); m != nil {
		scheme := ""
		if m[2] >= 0 {
			scheme = rest[m[2]:m[3]]
		}
		authority := rest[m[4]:m[5]]
		out.WriteString(scheme + "//")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			out.WriteString(credentials + "@")
			authority = authority[at+1:]
		}
		out.WriteString(u.scan(authority))
		rest = rest[m[1]:]
	}
	out.WriteString(u.path(rest))
	if hasQuery {
		out.WriteString("?" + u.query(query))
	}
	if hasFragment {
		out.WriteString("#")
		if frag != "" {
			out.WriteString(fragment)
		}
	}
	return out.String()
}

// unquote is Python's unquote (plus: unquote_plus): invalid escapes stay as they are and
// bytes that are not UTF-8 become U+FFFD.
func unquote(text string, plus bool) string {
	if !strings.ContainsAny(text, "%+") {
		return text
	}
	out := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '+' && plus:
			out = append(out, ' ')
		case text[i] == '%' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			out = append(out, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			out = append(out, text[i])
		}
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// quote is Python's quote(text, safe="[]:"): all but unreserved characters escaped.
func quote(text string) string {
	const hexDigits = "0123456789ABCDEF"
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~[]:", c) >= 0 {
			out.WriteByte(c)
			continue
		}
		out.WriteByte('%')
		out.WriteByte(hexDigits[c>>4])
		out.WriteByte(hexDigits[c&15])
	}
	return out.String()
}
