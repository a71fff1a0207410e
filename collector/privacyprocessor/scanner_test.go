package privacyprocessor

import (
	"strings"
	"testing"
)

// Expected values are the Python layer's (tta_otel.privacy.Redactor.redact) for the same text.
func TestValuePatternsRedactLikeThePythonLayer(t *testing.T) {
	r := testRedactor(t)
	for _, tc := range []struct{ in, want string }{
		{"write to jane.roe@example.org", "write to [REDACTED:email]"},
		{"card 4111 1111 1111 1111 exp", "card [REDACTED:payment_card] exp"},
		{"ssn 123-45-6789", "ssn [REDACTED:us_ssn]"},
		{"call +44 20 7946 0123 now", "call [REDACTED:phone] now"},
		{"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGF5ZXIifQ.abc", "token [REDACTED:jwt]"},
		{"password=hunter2 ok", "password=[REDACTED:secret_assignment] ok"},
		{"https://u:pw@h/x", "https://[REDACTED:url_credentials]@h/x"},
		{"name: Jane Roe", "name: [REDACTED:person_name]"},
		{"ip 203.0.113.7", "ip [REDACTED:ipv4]"},
		{"4111111111111112", "4111111111111112"}, // fails Luhn: a number, not a card
		{"ip 127.0.0.1", "ip 127.0.0.1"},         // loopback identifies nobody
		{"GET /players/{player_id}/scene", "GET /players/{player_id}/scene"},
	} {
		if got := r.text(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEncodingsThatHideDataAreUndone(t *testing.T) {
	r := testRedactor(t)
	for _, tc := range []struct{ in, want string }{
		{"jane%40example.org", "[REDACTED:email]"},
		{"jane [at] example [dot] org", "[REDACTED:email]"},
		{"ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", "[REDACTED:email]"},
		{"ja\u200bne@example.org", "[REDACTED:email]"},
		{"jane&#64;example.org", "[REDACTED:email]"},
		{"amFuZS5yb2VAZXhhbXBsZS5vcmc=", "[REDACTED:email]"},
		{"café au lait", "café au lait"},
	} {
		if got := r.text(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestALongValueIsCutAndTheRestReplaced(t *testing.T) {
	r := testRedactor(t)
	long := strings.Repeat("word ", 1000) + "jane.roe@example.org"
	got := r.text(long)
	if !strings.HasSuffix(got, truncated) || strings.Contains(got, "jane.roe") || len([]rune(got)) > 4096+len(truncated) {
		t.Fatalf("not capped: %d characters, ends %q", len(got), got[len(got)-40:])
	}
}

func TestACleanValueIsReturnedWithoutACopy(t *testing.T) {
	r := testRedactor(t)
	clean := "GET /players/{player_id}/scene"
	allocations := testing.AllocsPerRun(100, func() { _ = r.text(clean) })
	if allocations > 0 {
		t.Fatalf("%v allocations for a clean value", allocations)
	}
}

func BenchmarkCleanValue(b *testing.B) {
	r := testRedactor(b)
	for b.Loop() {
		_ = r.text("Mozilla/5.0 (X11; Linux x86_64)")
	}
}

func BenchmarkValueWithEmail(b *testing.B) {
	r := testRedactor(b)
	for b.Loop() {
		_ = r.text("write to jane.roe@example.org")
	}
}
