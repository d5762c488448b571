module github.com/hybridkit/hybridkit/proto

go 1.25.0
