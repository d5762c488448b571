module github.com/hybridkit/hybridkit/services/identity

go 1.25.0
