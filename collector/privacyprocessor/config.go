package privacyprocessor

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Config is the privacy policy, compiled by `tta-otel collector privacy` from
// tta_otel/privacy/policy.yaml into regular expressions and literals; it is never written by hand.
type Config struct {
	// Mode is "strict" (unlisted keys lose their string values) or "standard" (they are scanned).
	Mode string `mapstructure:"mode"`
	// HMACKey keys the pseudonyms; PseudonymKeyID tags them, as the Python Pseudonymizer does.
	HMACKey        configopaque.String `mapstructure:"hmac_key"`
	PseudonymKeyID string              `mapstructure:"pseudonym_key_id"`
	// PseudonymPattern matches a value that is already a pseudonym (made by the SDK): left as it is.
	PseudonymPattern string               `mapstructure:"pseudonym_pattern"`
	Keys             KeyRulesConfig       `mapstructure:"keys"`
	ValuePatterns    []ValuePatternConfig `mapstructure:"value_patterns"`
	// AllowedQueryParameters keep their values (scanned) in URLs; every other value is replaced.
	AllowedQueryParameters []string `mapstructure:"allowed_query_parameters"`
	// AllowedExceptionPackages keep the messages of their exceptions (strict mode).
	AllowedExceptionPackages []string `mapstructure:"allowed_exception_packages"`
	// AttributeValueCap and LogBodyCap are in characters; what lies beyond is replaced.
	AttributeValueCap int `mapstructure:"attribute_value_cap"`
	LogBodyCap        int `mapstructure:"log_body_cap"`
	// KeyCacheSize bounds the cache of decided keys (keys come from clients).
	KeyCacheSize int `mapstructure:"key_cache_size"`
}

// KeyRulesConfig holds one RE2 expression per action over keys as written; the first that
// matches decides, in the order drop, pseudonymize, redact (in order), allow.
type KeyRulesConfig struct {
	Drop         string               `mapstructure:"drop"`
	Pseudonymize string               `mapstructure:"pseudonymize"`
	Redact       []KeyRedactionConfig `mapstructure:"redact"`
	Allow        string               `mapstructure:"allow"`
}

// KeyRedactionConfig replaces the whole value of matching keys by [REDACTED:<kind>].
type KeyRedactionConfig struct {
	Kind  string `mapstructure:"kind"`
	Regex string `mapstructure:"regex"`
}

// ValuePatternConfig is one kind of personal data found anywhere in a string.
type ValuePatternConfig struct {
	Name      string `mapstructure:"name"`
	Regex     string `mapstructure:"regex"`
	Group     int    `mapstructure:"group"`
	Validator string `mapstructure:"validator"`
	// RequiredLiterals: sets of lower-case literals; every match holds one literal of each
	// set, so the pattern only runs on text (lower-cased) where each set has one.
	RequiredLiterals [][]string `mapstructure:"required_literals"`
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

const minKeyBytes = 32

// Validate refuses a configuration the processor cannot apply: the collector then does not start.
func (c *Config) Validate() error {
	var errs []error
	if c.Mode != "strict" && c.Mode != "standard" {
		errs = append(errs, fmt.Errorf("mode must be strict or standard, not %q", c.Mode))
	}
	switch key := strings.TrimSpace(string(c.HMACKey)); {
	case key == "":
		errs = append(errs, errors.New("hmac_key is empty: the collector cannot pseudonymise identifiers"))
	case len(key) < minKeyBytes: // as the Python layer refuses: a short key can be guessed, and every pseudonym with it
		errs = append(errs, fmt.Errorf("hmac_key is %d bytes; pseudonym keys need at least %d (tta-otel secrets init makes one)", len(key), minKeyBytes))
	}
	if c.PseudonymKeyID == "" {
		errs = append(errs, errors.New("pseudonym_key_id is empty"))
	}
	if c.AttributeValueCap <= 0 || c.LogBodyCap <= 0 || c.KeyCacheSize <= 0 {
		errs = append(errs, errors.New("attribute_value_cap, log_body_cap and key_cache_size must be positive"))
	}
	if c.Keys.Allow == "" {
		errs = append(errs, errors.New("keys.allow is empty: default-deny needs the allowed keys"))
	}
	for _, named := range []struct{ name, regex string }{
		{"keys.drop", c.Keys.Drop}, {"keys.pseudonymize", c.Keys.Pseudonymize},
		{"keys.allow", c.Keys.Allow}, {"pseudonym_pattern", c.PseudonymPattern},
	} {
		if _, err := regexp.Compile(named.regex); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", named.name, err))
		}
	}
	for i, rule := range c.Keys.Redact {
		if !kindName.MatchString(rule.Kind) {
			errs = append(errs, fmt.Errorf("keys.redact[%d]: kind %q is not a lower-case name", i, rule.Kind))
		}
		if _, err := regexp.Compile(rule.Regex); err != nil || rule.Regex == "" {
			errs = append(errs, fmt.Errorf("keys.redact[%d]: invalid or empty regex: %v", i, err))
		}
	}
	for i, pattern := range c.ValuePatterns {
		errs = append(errs, pattern.validate(i)...)
	}
	return errors.Join(errs...)
}

func (p ValuePatternConfig) validate(i int) []error {
	var errs []error
	if !kindName.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("value_patterns[%d]: name %q is not a lower-case name", i, p.Name))
	}
	compiled, err := regexp.Compile(p.Regex)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("value_patterns[%d] (%s): %w", i, p.Name, err))
	case compiled.MatchString(""):
		errs = append(errs, fmt.Errorf("value_patterns[%d] (%s): matches the empty string", i, p.Name))
	case p.Group < 0 || p.Group > compiled.NumSubexp():
		errs = append(errs, fmt.Errorf("value_patterns[%d] (%s): group %d does not exist", i, p.Name, p.Group))
	}
	if _, known := validators[p.Validator]; p.Validator != "" && !known {
		errs = append(errs, fmt.Errorf("value_patterns[%d] (%s): unknown validator %q", i, p.Name, p.Validator))
	}
	for _, set := range p.RequiredLiterals {
		for _, literal := range set {
			if literal == "" || literal != strings.ToLower(literal) {
				errs = append(errs, fmt.Errorf("value_patterns[%d] (%s): required literals must be lower-case and not empty", i, p.Name))
			}
		}
	}
	return errs
}
