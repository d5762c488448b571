module github.com/hybridkit/hybridkit/platform

go 1.25.0
