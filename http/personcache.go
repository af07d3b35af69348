package http

import (
	"sync"
	"time"

	"github.com/coinop/coinop"
)

// personTTL is how long an authenticated person is remembered: a change
// (an operator grant by the command line, a new name) shows within it.
const personTTL = time.Second

// personCache remembers recently authenticated people, by identity and by
// id, so that a client's burst of requests costs one database read.
type personCache struct {
	mu    sync.Mutex
	byKey map[string]cachedPerson
}

type cachedPerson struct {
	p       coinop.Person
	expires time.Time
}

// maxPersonCache bounds the cache; when full it starts over.
const maxPersonCache = 100000

func (c *personCache) get(key string, now time.Time) *coinop.Person {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok || !now.Before(e.expires) {
		return nil
	}
	p := e.p
	return &p
}

func (c *personCache) put(key string, p *coinop.Person, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil || len(c.byKey) >= maxPersonCache {
		c.byKey = map[string]cachedPerson{}
	}
	c.byKey[key] = cachedPerson{*p, now.Add(personTTL)}
}
