// Package listen decides whether an address may be listened on: hybridkit keeps plaintext and
// unauthenticated listeners on loopback unless told otherwise.
package listen

import (
	"fmt"
	"net"
	"net/netip"
)

// Loopback reports whether addr (host:port) listens on loopback only: a loopback IP or
// "localhost". An empty host means every interface, so it is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// CheckPlaintext refuses a non-loopback address for a listener without TLS, unless insecure says
// the operator asked for it (for example behind a TLS-terminating load balancer). what names the
// listener in the error.
func CheckPlaintext(what, addr string, insecure bool) error {
	if insecure || Loopback(addr) {
		return nil
	}
	return fmt.Errorf("%s: refusing to listen on %s without TLS: configure TLS, listen on loopback, or pass --insecure-listen (for example behind a TLS-terminating proxy)", what, addr)
}
