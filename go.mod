module github.com/hybridkit/hybridkit

go 1.25.0
