package exlog

import (
	"cmp"
	"strings"
	"time"
)

// FileInfo is what a protocol log file name says.
type FileInfo struct {
	LogType LogType
	Period  time.Time     // start of the hour or day the file covers (the stamp, read as UTC)
	Length  time.Duration // time.Hour for RECVyyyyMMddHH-n.LOG, 24h for RECVyyyyMMdd-n.LOG
	Seq     int           // the -n suffix; restarts each period
}

// Hourly reports whether the name has an hourly stamp (Exchange 2013 and later).
func (fi FileInfo) Hourly() bool { return fi.Length == time.Hour }

// ParseFileName parses the base name of a protocol log: RECVyyyyMMddHH-n.LOG,
// SENDyyyyMMddHH-n.LOG (hourly) or RECVyyyyMMdd-n.LOG, SENDyyyyMMdd-n.LOG
// (daily). Case is ignored, a directory part (with / or \) is skipped and a
// trailing .gz is allowed.
func ParseFileName(name string) (FileInfo, bool) {
	base := baseName(name)
	if len(base) > 3 && strings.EqualFold(base[len(base)-3:], ".gz") {
		base = base[:len(base)-3]
	}
	if len(base) < 4+8+2+4 || !strings.EqualFold(base[len(base)-4:], ".log") {
		return FileInfo{}, false
	}
	base = base[:len(base)-4]
	var fi FileInfo
	switch strings.ToUpper(base[:4]) {
	case "RECV":
		fi.LogType = LogTypeReceive
	case "SEND":
		fi.LogType = LogTypeSend
	default:
		return FileInfo{}, false
	}
	stamp, seq, ok := strings.Cut(base[4:], "-")
	if !ok || len(seq) == 0 || len(seq) > 9 {
		return FileInfo{}, false
	}
	for _, c := range []byte(seq) {
		if c < '0' || c > '9' {
			return FileInfo{}, false
		}
		fi.Seq = fi.Seq*10 + int(c-'0')
	}
	var hour int
	switch len(stamp) {
	case 8:
		fi.Length = 24 * time.Hour
	case 10:
		fi.Length = time.Hour
		h, ok := digits2(stamp[8], stamp[9])
		if !ok || h > 23 {
			return FileInfo{}, false
		}
		hour = h
	default:
		return FileInfo{}, false
	}
	y, ok1 := digits4(stamp[0], stamp[1], stamp[2], stamp[3])
	m, ok2 := digits2(stamp[4], stamp[5])
	d, ok3 := digits2(stamp[6], stamp[7])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return FileInfo{}, false
	}
	fi.Period = time.Date(y, time.Month(m), d, hour, 0, 0, 0, time.UTC)
	return fi, true
}

func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[i+1:]
	}
	return name
}

func dirName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[:i]
	}
	return ""
}

// CompareFileNames orders file paths so that a session continuing from one
// protocol log into the next is read in order: by directory, then log type,
// then period and sequence number; names that are not protocol logs sort after
// those that are, by name. It is suitable for slices.SortFunc.
func CompareFileNames(a, b string) int {
	if c := cmp.Compare(dirName(a), dirName(b)); c != 0 {
		return c
	}
	fa, oka := ParseFileName(a)
	fb, okb := ParseFileName(b)
	switch {
	case oka && okb:
		if c := cmp.Compare(fa.LogType, fb.LogType); c != 0 {
			return c
		}
		if c := fa.Period.Compare(fb.Period); c != 0 {
			return c
		}
		if c := cmp.Compare(fa.Seq, fb.Seq); c != 0 {
			return c
		}
	case oka:
		return -1
	case okb:
		return 1
	}
	return cmp.Compare(a, b)
}
