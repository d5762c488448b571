package secdesc

import "testing"

// The benchmarks use the constructed domain root: 58 DACL and 4 SACL ACEs,
// mostly object ACEs, about 4 KB.

func BenchmarkParse(b *testing.B) {
	in := loadFixture(b, "constructed-samba-domain-root").sd
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalBinary(b *testing.B) {
	in := loadFixture(b, "constructed-samba-domain-root").sd
	sd, err := Parse(in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sd.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	changed := sd.Clone()
	changed.DACL.ACEs[0].Mask |= RightReadProperty
	b.Run("changed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := changed.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSDDL(b *testing.B) {
	f := loadFixture(b, "constructed-samba-domain-root")
	sd, err := Parse(f.sd)
	if err != nil {
		b.Fatal(err)
	}
	opts := SDDLOptions{Domain: f.domain}
	b.ReportAllocs()
	for b.Loop() {
		_ = opts.Format(sd)
	}
}

func BenchmarkParseSDDL(b *testing.B) {
	f := loadFixture(b, "constructed-samba-domain-root")
	sd, err := Parse(f.sd)
	if err != nil {
		b.Fatal(err)
	}
	opts := SDDLOptions{Domain: f.domain}
	text := opts.Format(sd)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := opts.Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}
