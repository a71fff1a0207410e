package privacyprocessor

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
)

func TestTheConfigurationStructIsValid(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
}

// The collector refuses to start on a configuration the processor cannot apply: fail closed.
func TestABadConfigurationIsRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*Config)
		want   string
	}{
		"no key":         {func(c *Config) { c.HMACKey = " \n" }, "hmac_key is empty"},
		"short key":      {func(c *Config) { c.HMACKey = "0123456789abcdef" }, "at least 32"},
		"bad key rule":   {func(c *Config) { c.Keys.Drop = "(unclosed" }, "keys.drop"},
		"no allow list":  {func(c *Config) { c.Keys.Allow = "" }, "keys.allow is empty"},
		"bad pattern":    {func(c *Config) { c.ValuePatterns[0].Regex = "[z-a]" }, "value_patterns[0]"},
		"empty match":    {func(c *Config) { c.ValuePatterns[0].Regex = "x*" }, "matches the empty string"},
		"missing group":  {func(c *Config) { c.ValuePatterns[0].Group = 9 }, "group 9 does not exist"},
		"validator":      {func(c *Config) { c.ValuePatterns[0].Validator = "crc" }, "unknown validator"},
		"literal case":   {func(c *Config) { c.ValuePatterns[0].RequiredLiterals = [][]string{{"Abc"}} }, "lower-case"},
		"mode":           {func(c *Config) { c.Mode = "lenient" }, "mode must be"},
		"redaction kind": {func(c *Config) { c.Keys.Redact[0].Kind = "Name!" }, "kind"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := committedConfig(t)
			tc.change(cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
