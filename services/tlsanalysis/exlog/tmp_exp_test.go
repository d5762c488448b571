package exlog_test

import (
	"bufio"
	"bytes"
	"testing"
)

func BenchmarkTmpReadSlice(b *testing.B) {
	data, _ := benchLog()
	b.SetBytes(int64(len(data)))
	src := bytes.NewReader(data)
	br := bufio.NewReaderSize(src, 64<<10)
	for b.Loop() {
		src.Reset(data)
		br.Reset(src)
		for {
			_, err := br.ReadSlice('\n')
			if err != nil {
				break
			}
		}
	}
}

func BenchmarkTmpIndexByte(b *testing.B) {
	data, _ := benchLog()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := data
		for {
			i := bytes.IndexByte(d, '\n')
			if i < 0 {
				break
			}
			d = d[i+1:]
		}
	}
}
