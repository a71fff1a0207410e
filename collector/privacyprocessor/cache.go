package privacyprocessor

import (
	"sync"
	"sync/atomic"
)

// boundedCache remembers strings the processor worked out once: telemetry repeats itself
// (routes, user agents, span names, the same player's id), so clean strings skip the scan and
// identifiers their HMAC next time, as in the Python layer. Readers share it without locks;
// a client that sends ever new strings empties it, it cannot grow it.
type boundedCache struct {
	current   atomic.Pointer[cacheEntries]
	limit     int64
	maxLength int
}

type cacheEntries struct {
	values sync.Map
	size   atomic.Int64
}

func newBoundedCache(limit int64, maxLength int) *boundedCache {
	c := &boundedCache{limit: limit, maxLength: maxLength}
	c.current.Store(&cacheEntries{})
	return c
}

func (c *boundedCache) get(key string) (string, bool) {
	if len(key) > c.maxLength {
		return "", false
	}
	value, ok := c.current.Load().values.Load(key)
	if !ok {
		return "", false
	}
	return value.(string), true
}

func (c *boundedCache) put(key, value string) {
	if len(key) > c.maxLength {
		return
	}
	entries := c.current.Load()
	if entries.size.Add(1) > c.limit {
		c.current.CompareAndSwap(entries, &cacheEntries{})
		return
	}
	entries.values.Store(key, value)
}
