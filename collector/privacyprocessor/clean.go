package privacyprocessor

import (
	"sync"
	"sync/atomic"
)

// Telemetry repeats itself - routes, user agents, span names - so strings found clean are
// remembered and skip the scan next time, as in the Python scanner. Bounded: a client that
// sends ever new strings empties the cache, it cannot grow it.

const (
	cleanCacheSize      = 8192
	cleanCacheMaxLength = 512
)

type cleanCache struct {
	current atomic.Pointer[cleanEntries]
}

type cleanEntries struct {
	strings sync.Map
	size    atomic.Int64
}

func newCleanCache() *cleanCache {
	c := &cleanCache{}
	c.current.Store(&cleanEntries{})
	return c
}

func (c *cleanCache) has(text string) bool {
	if len(text) > cleanCacheMaxLength {
		return false
	}
	_, ok := c.current.Load().strings.Load(text)
	return ok
}

func (c *cleanCache) add(text string) {
	if len(text) > cleanCacheMaxLength {
		return
	}
	entries := c.current.Load()
	if entries.size.Add(1) > cleanCacheSize {
		c.current.CompareAndSwap(entries, &cleanEntries{})
		return
	}
	entries.strings.Store(text, struct{}{})
}
