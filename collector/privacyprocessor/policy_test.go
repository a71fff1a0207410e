package privacyprocessor

import (
	"os"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// The Python layer's pseudonym of the same identifier under the same key and key id
// (tta_otel.privacy.Pseudonymizer(PseudonymKey("k1", testKey)).pseudonymize(...)).
const (
	testKey   = "a-synthetic-test-key-of-32-bytes!!"
	testKeyID = "k1"
)

// committedConfig is collector-config/privacy.yaml, as `tta-otel collector privacy` generated
// it from the policy, with a test key in place of the collector's key file.
func committedConfig(t testing.TB) *Config {
	t.Helper()
	raw, err := os.ReadFile("../../collector-config/privacy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var document map[string]any
	if err := yaml.Unmarshal(raw, &document); err != nil {
		t.Fatal(err)
	}
	sub, err := confmap.NewFromStringMap(document).Sub("processors::" + typeName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	cfg.HMACKey = testKey
	cfg.PseudonymKeyID = testKeyID
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testRedactor(t testing.TB) *redactor {
	t.Helper()
	return newRedactor(committedConfig(t))
}
