package privacyprocessor

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// parityCorpus is written by tests/integration/test_privacy_processor_go.py: synthetic texts and
// attribute maps with what the Python layer (Scanner.redact, Redactor.redact_attributes, the
// same key and key id as here) made of them. Maps are read in their order, as OTLP keeps it.
type parityCorpus struct {
	Texts [][2]string          `json:"texts"`
	Maps  [][2]json.RawMessage `json:"maps"`
}

func TestParityWithThePythonLayer(t *testing.T) {
	path := os.Getenv("TTA_PRIVACY_PARITY_CORPUS")
	if path == "" {
		t.Skip("TTA_PRIVACY_PARITY_CORPUS is not set: the Python suite writes the corpus and sets it")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var corpus parityCorpus
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Texts) == 0 || len(corpus.Maps) == 0 {
		t.Fatal("an empty corpus proves nothing")
	}
	r := testRedactor(t)
	for _, pair := range corpus.Texts {
		if got := r.scanner.redact(pair[0], r.bodyCap); got != pair[1] {
			t.Errorf("text %q\n python %q\n go     %q", pair[0], pair[1], got)
		}
	}
	for _, pair := range corpus.Maps {
		attributes, want := orderedMap(t, pair[0]), orderedMap(t, pair[1])
		r.attributes(attributes, "", false, false)
		if !attributes.Equal(want) {
			t.Errorf("map %s\n python %v\n go     %v", pair[0], want.AsRaw(), attributes.AsRaw())
		}
	}
}

// orderedMap reads a JSON object into a map in its key order, integers as integers.
func orderedMap(t *testing.T, raw json.RawMessage) pcommon.Map {
	t.Helper()
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	value := pcommon.NewValueEmpty()
	decode(t, decoder, value)
	return value.Map()
}

func decode(t *testing.T, decoder *json.Decoder, into pcommon.Value) {
	t.Helper()
	token, err := decoder.Token()
	if err != nil {
		t.Fatal(err)
	}
	switch token := token.(type) {
	case json.Delim:
		if token == '{' {
			m := into.SetEmptyMap()
			for decoder.More() {
				key, _ := decoder.Token()
				decode(t, decoder, m.PutEmpty(key.(string)))
			}
		} else {
			s := into.SetEmptySlice()
			for decoder.More() {
				decode(t, decoder, s.AppendEmpty())
			}
		}
		_, _ = decoder.Token()
	case json.Number:
		if i, err := token.Int64(); err == nil && !strings.ContainsAny(token.String(), ".eE") {
			into.SetInt(i)
		} else {
			f, _ := token.Float64()
			into.SetDouble(f)
		}
	case bool:
		into.SetBool(token)
	case string:
		into.SetStr(token)
	}
}
