package report

import (
	"io"
	"testing"
)

func BenchmarkHTML10kRemotes(b *testing.B) {
	an := bigAnalysis(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := HTML(io.Discard, an, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSVRemotes10k(b *testing.B) {
	an := bigAnalysis(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := CSV(io.Discard, an, "remotes"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTable10kRemotes(b *testing.B) {
	an := bigAnalysis(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := Table(io.Discard, an, TableOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
