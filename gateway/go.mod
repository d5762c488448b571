module github.com/hybridkit/hybridkit/gateway

go 1.25.0
