package ldapconn_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// relay is a TCP relay to a server that a test can cut, to play a server or
// network that drops connections.
type relay struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu        sync.Mutex
	conns     map[net.Conn]net.Conn // client side → server side
	cutOnNext bool
	wg        sync.WaitGroup
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{t: t, ln: ln, target: target, conns: map[net.Conn]net.Conn{}}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.cut()
		r.wg.Wait()
	})
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", r.target)
		if err != nil {
			r.t.Errorf("relay: dial %s: %v", r.target, err)
			client.Close()
			continue
		}
		r.mu.Lock()
		r.conns[client] = server
		r.mu.Unlock()
		r.wg.Add(2)
		go r.pipe(client, server, true)
		go r.pipe(server, client, false)
	}
}

// pipe copies src to dst. Client-to-server data is checked against
// cutOnNext first: the request is dropped with the connection.
func (r *relay) pipe(src, dst net.Conn, fromClient bool) {
	defer r.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if fromClient {
				r.mu.Lock()
				cut := r.cutOnNext
				r.cutOnNext = false
				r.mu.Unlock()
				if cut {
					r.closePair(src)
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if err != io.EOF {
				_ = err // closed by cut or by the peer
			}
			src.Close()
			dst.Close()
			return
		}
	}
}

func (r *relay) closePair(client net.Conn) {
	r.mu.Lock()
	server := r.conns[client]
	delete(r.conns, client)
	r.mu.Unlock()
	client.Close()
	if server != nil {
		server.Close()
	}
}

// cut closes every relayed connection, as a server restart would.
func (r *relay) cut() {
	r.mu.Lock()
	pairs := r.conns
	r.conns = map[net.Conn]net.Conn{}
	r.mu.Unlock()
	for c, s := range pairs {
		c.Close()
		s.Close()
	}
}

// cutOnNextRequest makes the next bytes a client sends close its connection
// instead of reaching the server: the request is lost in flight.
func (r *relay) cutOnNextRequest() {
	r.mu.Lock()
	r.cutOnNext = true
	r.mu.Unlock()
}
