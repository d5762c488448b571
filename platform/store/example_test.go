package store_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hybridkit/hybridkit/platform/store"
)

func ExampleStore_UpdateRun() {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	run, err := s.CreateRun(ctx, store.Run{Kind: "tlsanalysis.analyze", Actor: "alice"})
	if err != nil {
		log.Fatal(err)
	}
	run, err = s.UpdateRun(ctx, run.ID, func(r *store.Run) error {
		r.State, r.Progress, r.Summary = store.RunSucceeded, 1, []byte(`{"tls10":3}`)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(run.State, run.Progress, string(run.Summary), !run.FinishedAt.IsZero())
	// Output: succeeded 1 {"tls10":3} true
}
