package secdesc

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, msdtypHex))
	f.Add(testDescriptor(f))
	for _, fx := range loadFixtures(f) {
		f.Add(fx.sd)
		f.Add(fx.sd[:len(fx.sd)/2])
	}
	for _, v := range aceVectors {
		// Each ACE alone in a DACL-only descriptor.
		ace := unhex(f, v.wire)
		d := unhex(f, "01 00 04 80 00000000 00000000 00000000 14000000 04 00 00 00 01 00 00 00")
		d[22], d[23] = byte(8+len(ace)), byte((8+len(ace))>>8)
		f.Add(append(d, ace...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sd, err := Parse(in)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Err == nil {
				t.Fatalf("error %v is not a FormatError with a sentinel", err)
			}
			return
		}
		out, err := sd.MarshalBinary()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("Parse then MarshalBinary\n got  %x, %v\n want %x", out, err, in)
		}
		// Everything Parse accepts has a canonical encoding that parses back Equal.
		canon := sd.Clone()
		canon.layout = nil
		b, err := canon.MarshalBinary()
		if err != nil {
			t.Fatalf("canonical MarshalBinary: %v", err)
		}
		back, err := Parse(b)
		if err != nil || !back.Equal(sd) {
			t.Fatalf("canonical encoding %x does not parse back Equal: %v", b, err)
		}
		// And an SDDL form that parses back to the same descriptor.
		text := sd.SDDL()
		fromText, err := ParseSDDL(text)
		if err != nil {
			t.Fatalf("SDDL %q does not parse: %v", text, err)
		}
		if !sddlEquivalent(fromText, sd) {
			t.Fatalf("SDDL %q parses to %q", text, fromText.SDDL())
		}
	})
}

func FuzzParseSDDL(f *testing.F) {
	f.Add(msdtypSDDL)
	f.Add("D:NO_ACCESS_CONTROLS:PARAI")
	f.Add("O:S-1-0x000100000000G:SYD:")
	for _, v := range aceVectors {
		f.Add("D:" + vectorSDDL(v.sddl, v.wire))
	}
	for _, w := range writebackACEs {
		f.Add("O:BAD:AI" + w.sddl)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sd, err := ParseSDDL(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("error %v is not a SyntaxError inside the input", err)
			}
			return
		}
		text := sd.SDDL()
		b, err := sd.MarshalBinary()
		if err != nil {
			t.Fatalf("ParseSDDL(%q) cannot be encoded: %v", s, err)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("encoding of %q does not parse: %v", s, err)
		}
		if got := back.SDDL(); got != text {
			t.Fatalf("SDDL -> binary -> SDDL\n got  %q\n want %q", got, text)
		}
		again, err := ParseSDDL(text)
		if err != nil || again.SDDL() != text {
			t.Fatalf("canonical SDDL %q is not stable: %v", text, err)
		}
	})
}
