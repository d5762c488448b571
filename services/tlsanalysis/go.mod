module github.com/hybridkit/hybridkit/services/tlsanalysis

go 1.25.0
