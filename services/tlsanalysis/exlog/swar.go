package exlog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// indexByteShort is bytes.IndexByte tuned for the short fields that make up
// most of a line (endpoints, sequence numbers): it tests eight bytes at a
// time in a register for the first 32 bytes, where the call overhead of the
// vectorised bytes.IndexByte dominates, then hands over to it.
func indexByteShort(b []byte, c byte) int {
	rep := swarLo * uint64(c)
	i := 0
	for ; i+8 <= len(b) && i < 32; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ rep
		// The lowest byte of x that is zero sets its top bit here; bytes above
		// it may be wrong, so only the lowest set bit is used.
		if t := (x - swarLo) &^ x & swarHi; t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	if i < 32 {
		for ; i < len(b); i++ {
			if b[i] == c {
				return i
			}
		}
		return -1
	}
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return -1
}

// zeroBytes sets the top bit of each byte of x that is zero, and no other bit.
func zeroBytes(x uint64) uint64 {
	const low7 = 0x7F7F7F7F7F7F7F7F
	return ^((x&low7 + low7) | x | low7)
}
