package privacyprocessor

import (
	"regexp"
	"sync"
	"sync/atomic"
)

type action uint8

const (
	keep action = iota
	drop
	pseudonymize
	redactWhole
	unlisted
)

// decision is what the policy does with a value because of its key.
type decision struct {
	action      action
	placeholder string // for redactWhole
}

type keyRedaction struct {
	re          *regexp.Regexp
	placeholder string
}

// keyRules decides keys; each key is decided once and remembered in a bounded cache that
// readers share without locks (the key rules are case-insensitive alternations, which Go's
// regexp tries at every position: microseconds a key, paid once).
type keyRules struct {
	drop, pseudonymize, allow *regexp.Regexp
	redact                    []keyRedaction
	cache                     atomic.Pointer[keyCache]
	limit                     int64
}

type keyCache struct {
	entries sync.Map
	size    atomic.Int64
}

func newKeyRules(config KeyRulesConfig, limit int) *keyRules {
	rules := &keyRules{allow: regexp.MustCompile(config.Allow), limit: int64(limit)}
	if config.Drop != "" {
		rules.drop = regexp.MustCompile(config.Drop)
	}
	if config.Pseudonymize != "" {
		rules.pseudonymize = regexp.MustCompile(config.Pseudonymize)
	}
	for _, rule := range config.Redact {
		rules.redact = append(rules.redact, keyRedaction{regexp.MustCompile(rule.Regex), "[REDACTED:" + rule.Kind + "]"})
	}
	rules.cache.Store(&keyCache{})
	return rules
}

func (k *keyRules) decide(key string) decision {
	cache := k.cache.Load()
	if cached, ok := cache.entries.Load(key); ok {
		return cached.(decision)
	}
	result := k.decideUncached(key)
	if cache.size.Add(1) > k.limit {
		k.cache.CompareAndSwap(cache, &keyCache{}) // a client that invents keys cannot grow it
		return result
	}
	cache.entries.Store(key, result)
	return result
}

func (k *keyRules) decideUncached(key string) decision {
	switch {
	case k.drop != nil && k.drop.MatchString(key):
		return decision{action: drop}
	case k.pseudonymize != nil && k.pseudonymize.MatchString(key):
		return decision{action: pseudonymize}
	}
	for _, rule := range k.redact {
		if rule.re.MatchString(key) {
			return decision{redactWhole, rule.placeholder}
		}
	}
	if k.allow.MatchString(key) {
		return decision{action: keep}
	}
	return decision{action: unlisted}
}

// decideNested decides a key inside a map: allowed only by its full dotted path, but dropped,
// pseudonymised or redacted when either the path or the key on its own meets such a rule.
func (k *keyRules) decideNested(path, key string) decision {
	byPath, byKey := k.decide(path), k.decide(key)
	if (byKey.action == drop || byKey.action == pseudonymize || byKey.action == redactWhole) &&
		(byPath.action == keep || byPath.action == unlisted) {
		return byKey
	}
	return byPath
}
