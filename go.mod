module github.com/hybridkit/hybridkit

go 1.26.0

require (
	github.com/hybridkit/hybridkit/gateway v0.0.0
	github.com/hybridkit/hybridkit/platform v0.0.0
	github.com/hybridkit/hybridkit/proto v0.0.0
	github.com/hybridkit/hybridkit/services/directory v0.0.0
	github.com/hybridkit/hybridkit/services/identity v0.0.0
	github.com/hybridkit/hybridkit/services/tlsanalysis v0.0.0
	golang.org/x/sync v0.18.0
)

replace github.com/hybridkit/hybridkit/platform => ./platform

replace github.com/hybridkit/hybridkit/proto => ./proto

replace github.com/hybridkit/hybridkit/gateway => ./gateway

replace github.com/hybridkit/hybridkit/services/identity => ./services/identity

replace github.com/hybridkit/hybridkit/services/directory => ./services/directory

replace github.com/hybridkit/hybridkit/services/tlsanalysis => ./services/tlsanalysis
