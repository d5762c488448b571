package exlog

import (
	"bytes"
	"net/netip"
)

// SplitEndpoint splits a local-endpoint or remote-endpoint field into the
// address and port. It accepts "1.2.3.4:25", "[2001:db8::1]:25" and, read
// generously, bare IPv6 with or without a port ("2001:db8::1:25",
// "2001:db8::1"). Exchange always writes a port, so in a bare IPv6 form a
// final decimal group that leaves a valid address before it is taken as the
// port. port is -1 when there is none. The host is not validated otherwise.
func SplitEndpoint(ep []byte) (host []byte, port int, ok bool) {
	ep = bytes.TrimSpace(ep)
	if len(ep) == 0 {
		return nil, -1, false
	}
	if ep[0] == '[' {
		end := bytes.IndexByte(ep, ']')
		if end < 0 {
			return nil, -1, false
		}
		host = ep[1:end]
		rest := ep[end+1:]
		if len(rest) == 0 {
			return host, -1, len(host) > 0
		}
		if rest[0] != ':' {
			return nil, -1, false
		}
		port, ok = parsePort(rest[1:])
		return host, port, ok && len(host) > 0
	}
	last := bytes.LastIndexByte(ep, ':')
	if last < 0 {
		return ep, -1, true
	}
	if bytes.IndexByte(ep[:last], ':') < 0 { // exactly one colon: IPv4 or name with port
		port, ok = parsePort(ep[last+1:])
		return ep[:last], port, ok && last > 0
	}
	// Bare IPv6.
	if p, ok := parsePort(ep[last+1:]); ok {
		if _, err := netip.ParseAddr(string(ep[:last])); err == nil {
			return ep[:last], p, true
		}
	}
	return ep, -1, true
}

// ParseEndpointAddr returns the address of an endpoint field, unmapped from
// IPv4-in-IPv6 and without any zone, or false when it is not an IP address.
func ParseEndpointAddr(ep []byte) (netip.Addr, bool) {
	host, _, ok := SplitEndpoint(ep)
	if !ok {
		return netip.Addr{}, false
	}
	if bytes.IndexByte(host, ':') < 0 {
		return parseIPv4(host)
	}
	a, err := netip.ParseAddr(string(host))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// parseIPv4 reads a dotted quad without allocating (netip.ParseAddr needs a
// string); like netip it refuses octets with leading zeros.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	field, digits, val := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || field > 3 {
				return netip.Addr{}, false
			}
			ip[field] = byte(val)
			field++
			digits, val = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits == 1 && val == 0) {
			return netip.Addr{}, false
		}
		val = val*10 + int(c-'0')
		digits++
		if val > 255 {
			return netip.Addr{}, false
		}
	}
	if field != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

func parsePort(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 5 {
		return -1, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return -1, false
	}
	return n, true
}
