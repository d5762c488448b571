module github.com/hybridkit/hybridkit/services/directory

go 1.25.0
