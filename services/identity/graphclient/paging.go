package graphclient

import (
	"context"
	"fmt"
)

// page is a Graph collection response as the SDK models it.
type page[T any] interface {
	GetValue() []T
	GetOdataNextLink() *string
}

// maxPages bounds one listing; at Graph's largest page size it is some ten million objects.
const maxPages = 10_000

// eachItem calls fn for every item of a collection, following @odata.nextLink. first fetches the
// first page; next fetches a next link. Each page request is one call for errors and attempts.
func eachItem[T any, P page[T]](ctx context.Context, c *Client, ep endpoint,
	first func(context.Context) (P, error), next func(context.Context, string) (P, error), fn func(T) error,
) error {
	actx, a := withAttempts(ctx)
	p, err := first(actx)
	if err != nil {
		return c.mapError(ep, err, a)
	}
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if any(p) == nil {
			return nil
		}
		for _, item := range p.GetValue() {
			if err := fn(item); err != nil {
				return err
			}
		}
		link := deref(p.GetOdataNextLink())
		if link == "" {
			return nil
		}
		if seen[link] || n >= maxPages {
			return fmt.Errorf("Graph %s: paging did not end after %d pages", ep, n)
		}
		seen[link] = true
		actx, a = withAttempts(ctx)
		if p, err = next(actx, link); err != nil {
			return c.mapError(ep, err, a)
		}
	}
}
