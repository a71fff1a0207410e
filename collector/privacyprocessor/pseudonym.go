package privacyprocessor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// pseudonymizer makes the same pseudonym as tta_otel.privacy.Pseudonymizer for the same key
// and key id: psn_<key id>_<first 16 hex digits of HMAC-SHA256(key, identifier)>.
type pseudonymizer struct {
	key    []byte
	prefix string
	done   *regexp.Regexp // a value that is already a pseudonym (made by the SDK)
}

func newPseudonymizer(key []byte, keyID, pattern string) *pseudonymizer {
	return &pseudonymizer{key: key, prefix: "psn_" + keyID + "_", done: regexp.MustCompile(pattern)}
}

func (p *pseudonymizer) pseudonymize(identifier string) string {
	if p.done.MatchString(identifier) {
		return identifier
	}
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(identifier))
	return p.prefix + hex.EncodeToString(mac.Sum(nil))[:16]
}
