module github.com/hybridkit/hybridkit/services/directory

go 1.26.0

require (
	github.com/hybridkit/hybridkit/platform v0.0.0
	github.com/hybridkit/hybridkit/proto v0.0.0
)

replace github.com/hybridkit/hybridkit/platform => ../../platform

replace github.com/hybridkit/hybridkit/proto => ../../proto
