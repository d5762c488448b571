package exlog

import "encoding/binary"

// ParseDateTime parses the date-time field, yyyy-MM-ddTHH:mm:ss.fffZ (any
// number of fraction digits up to 9, or none), into nanoseconds since the Unix
// epoch. It is written by hand because time.Parse is several times slower and
// runs once per line.
func ParseDateTime(b []byte) (ns int64, ok bool) {
	var c dateCache
	return c.parse(b)
}

// dateCache remembers the last date and second seen: consecutive lines
// nearly always share the date and often the second.
type dateCache struct {
	key  [10]byte
	days int64
	ok   bool

	sec   [3]uint64 // the first 19 bytes (yyyy-MM-ddTHH:mm:ss), as overlapping words
	secs  int64
	secOK bool
}

func (r *dateCache) parse(b []byte) (int64, bool) {
	n := len(b)
	if n < 20 || n > 30 || b[n-1] != 'Z' {
		return 0, false
	}
	k := [3]uint64{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[11:])}
	var secs int64
	if r.secOK && k == r.sec {
		secs = r.secs
	} else {
		var ok bool
		if secs, ok = r.seconds(b); !ok {
			return 0, false
		}
		r.sec, r.secs, r.secOK = k, secs, true
	}
	var frac int64
	switch {
	case n == 24 && b[19] == '.': // .fff, what Exchange writes
		d0, d1, d2 := b[20]-'0', b[21]-'0', b[22]-'0'
		if d0 > 9 || d1 > 9 || d2 > 9 {
			return 0, false
		}
		frac = (int64(d0)*100 + int64(d1)*10 + int64(d2)) * 1e6
	case n > 20:
		if b[19] != '.' || n == 21 {
			return 0, false
		}
		digits := b[20 : n-1]
		for _, c := range digits {
			if c < '0' || c > '9' {
				return 0, false
			}
			frac = frac*10 + int64(c-'0')
		}
		for i := len(digits); i < 9; i++ {
			frac *= 10
		}
	}
	return secs*1e9 + frac, true
}

// seconds parses yyyy-MM-ddTHH:mm:ss at the start of b into Unix seconds.
func (r *dateCache) seconds(b []byte) (int64, bool) {
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	var days int64
	if r.ok && string(b[:10]) == string(r.key[:]) {
		days = r.days
	} else {
		y, ok1 := digits4(b[0], b[1], b[2], b[3])
		m, ok2 := digits2(b[5], b[6])
		d, ok3 := digits2(b[8], b[9])
		if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
			return 0, false
		}
		days = daysFromCivil(int64(y), int64(m), int64(d))
		copy(r.key[:], b[:10])
		r.days = days
		r.ok = true
	}
	hh, ok1 := digits2(b[11], b[12])
	mm, ok2 := digits2(b[14], b[15])
	ss, ok3 := digits2(b[17], b[18])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return 0, false
	}
	return days*86400 + int64(hh)*3600 + int64(mm)*60 + int64(ss), true
}

func digits2(a, b byte) (int, bool) {
	a -= '0'
	b -= '0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

func digits4(a, b, c, d byte) (int, bool) {
	x, ok1 := digits2(a, b)
	y, ok2 := digits2(c, d)
	return x*100 + y, ok1 && ok2
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
