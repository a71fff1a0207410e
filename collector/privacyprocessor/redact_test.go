package privacyprocessor

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func attributesOf(t *testing.T, raw map[string]any) pcommon.Map {
	t.Helper()
	m := pcommon.NewMap()
	if err := m.FromRaw(raw); err != nil {
		t.Fatal(err)
	}
	return m
}

func assertRaw(t *testing.T, got pcommon.Map, want map[string]any) {
	t.Helper()
	expected := pcommon.NewMap()
	if err := expected.FromRaw(want); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(expected) {
		t.Fatalf("got  %v\nwant %v", got.AsRaw(), want)
	}
}

func TestPseudonymsAreTheSameAsThePythonLayers(t *testing.T) {
	r := testRedactor(t)
	// tta_otel.privacy.Pseudonymizer(PseudonymKey("k1", testKey)).pseudonymize(...)
	for identifier, want := range map[string]string{
		"2c1f6a1e-8d7e-4c55-9a43-0b7e1d7f6a10": "psn_k1_470860a50b5f044a",
		"42":                                   "psn_k1_3613b3bf1fbcb990",
	} {
		if got := r.pseudonyms.pseudonymize(identifier); got != want {
			t.Errorf("%s: got %s, want %s", identifier, got, want)
		}
	}
	attributes := attributesOf(t, map[string]any{"player.id": int64(42), "session.id": "psn_sdk_0123456789abcdef"})
	r.attributes(attributes, "", false, false)
	assertRaw(t, attributes, map[string]any{"player.id": "psn_k1_3613b3bf1fbcb990", "session.id": "psn_sdk_0123456789abcdef"})
}

// The Python layer's Redactor.redact_attributes gives the same result for the same map.
func TestMapsAndArraysKeepTheirShape(t *testing.T) {
	r := testRedactor(t)
	attributes := attributesOf(t, map[string]any{
		"tags":                           []any{"a", int64(1), true},
		"contact":                        "x",
		"n":                              int64(3),
		"user":                           map[string]any{"address": map[string]any{"street": "x"}, "id": "p1", "name": "Jane"},
		"http.route":                     "/r",
		"user.id":                        "p1",
		"gen_ai.prompt":                  "I feel sad",
		"gen_ai.response.finish_reasons": []any{"stop", "mail jane.roe@example.org"},
	})
	r.attributes(attributes, "", false, false)
	assertRaw(t, attributes, map[string]any{
		"tags":                           []any{unlistedPlaceholder, int64(1), true},
		"contact":                        unlistedPlaceholder,
		"n":                              int64(3),
		"user":                           map[string]any{"address": "[REDACTED:address]", "id": "psn_k1_e5bf1612786212fd", "name": "[REDACTED:person_name]"},
		"http.route":                     "/r",
		"user.id":                        "psn_k1_e5bf1612786212fd",
		"gen_ai.response.finish_reasons": []any{"stop", "mail [REDACTED:email]"},
	})
}

func TestKeysFromDataAreScanned(t *testing.T) {
	r := testRedactor(t)
	body := pcommon.NewValueMap()
	_ = body.Map().FromRaw(map[string]any{"jane.roe@example.org": int64(1), "message": "hi"})
	r.value(body, "", r.bodyCap)
	assertRaw(t, body.Map(), map[string]any{"[REDACTED:email]": int64(1), "message": unlistedPlaceholder})
}

func TestURLsKeepAllowedQueryParametersScanned(t *testing.T) {
	r := testRedactor(t)
	attributes := attributesOf(t, map[string]any{
		"url.full":    "https://bob:pw@example.org/p/jane@example.org?page=2&q=secret&lang=en+GB#frag",
		"url.query":   "page=jane%40example.org&email=x&debug",
		"http.target": "/a?limit=10&token=abc",
		"url.path":    "/players/jane%40example.org",
	})
	r.attributes(attributes, "", false, false)
	assertRaw(t, attributes, map[string]any{
		"url.full":    "https://[REDACTED:url_credentials]@example.org/p/[REDACTED:email]?page=2&q=[REDACTED:query_value]&lang=en+GB#[REDACTED:fragment]",
		"url.query":   "page=[REDACTED:email]&email=[REDACTED:query_value]&debug",
		"http.target": "/a?limit=10&token=[REDACTED:query_value]",
		"url.path":    "/players/[REDACTED:email]",
	})
}

func TestExceptionMessagesAreReplacedUnlessTheirPackageIsAllowed(t *testing.T) {
	r := testRedactor(t)
	trace := "Traceback (most recent call last):\n  File \"app.py\", line 3, in main\n    run()\nValueError: bad input from jane\n"
	attributes := attributesOf(t, map[string]any{
		"exception.type": "ValueError", "exception.message": "bad input from jane", "exception.stacktrace": trace,
	})
	r.exceptionMessages(attributes)
	want := "Traceback (most recent call last):\n  File \"app.py\", line 3, in main\n    run()\nValueError: " + exceptionPlaceholder + "\n"
	assertRaw(t, attributes, map[string]any{
		"exception.type": "ValueError", "exception.message": exceptionPlaceholder, "exception.stacktrace": want,
	})
	kept := attributesOf(t, map[string]any{"exception.type": "redis.exceptions.ConnectionError", "exception.message": "refused"})
	r.exceptionMessages(kept)
	assertRaw(t, kept, map[string]any{"exception.type": "redis.exceptions.ConnectionError", "exception.message": "refused"})
}

func TestStandardModeScansUnlistedValues(t *testing.T) {
	cfg := committedConfig(t)
	cfg.Mode = "standard"
	r := newRedactor(cfg)
	attributes := attributesOf(t, map[string]any{"contact": "mail jane.roe@example.org", "note": "fine"})
	r.attributes(attributes, "", false, false)
	assertRaw(t, attributes, map[string]any{"contact": "mail [REDACTED:email]", "note": "fine"})
}
