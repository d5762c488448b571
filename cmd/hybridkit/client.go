package main

import (
	"context"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hybridkit/hybridkit/platform/auth"
)

// dialServer connects the CLI to a service's gRPC address (--server) and returns a context that
// sends the bearer token (--token, else $HYBRIDKIT_TOKEN) with every call. The caller closes the
// connection.
func dialServer(ctx context.Context, addr, token string) (context.Context, *grpc.ClientConn, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return ctx, nil, err
	}
	if token == "" {
		token = os.Getenv("HYBRIDKIT_TOKEN")
	}
	return auth.OutgoingBearer(ctx, token), cc, nil
}
