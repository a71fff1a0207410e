package privacyprocessor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"regexp"
	"sync"
)

const (
	pseudonymCacheSize      = 8192
	pseudonymCacheMaxLength = 256
)

// pseudonymizer makes the same pseudonym as tta_otel.privacy.Pseudonymizer for the same key
// and key id: psn_<key id>_<first 16 hex digits of HMAC-SHA256(key, identifier)>.
type pseudonymizer struct {
	prefix string
	done   *regexp.Regexp // a value that is already a pseudonym (made by the SDK)
	macs   sync.Pool      // keyed HMACs, reset between uses
	known  *boundedCache  // identifier -> pseudonym
}

func newPseudonymizer(key []byte, keyID, pattern string) *pseudonymizer {
	return &pseudonymizer{
		prefix: "psn_" + keyID + "_",
		done:   regexp.MustCompile(pattern),
		macs:   sync.Pool{New: func() any { return hmac.New(sha256.New, key) }},
		known:  newBoundedCache(pseudonymCacheSize, pseudonymCacheMaxLength),
	}
}

func (p *pseudonymizer) pseudonymize(identifier string) string {
	if pseudonym, ok := p.known.get(identifier); ok {
		return pseudonym
	}
	pseudonym := identifier
	if !p.done.MatchString(identifier) {
		mac := p.macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write([]byte(identifier))
		var sum [sha256.Size]byte
		pseudonym = p.prefix + hex.EncodeToString(mac.Sum(sum[:0]))[:16]
		p.macs.Put(mac)
	}
	p.known.put(identifier, pseudonym)
	return pseudonym
}
