package writeback

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// TestConcurrentChange: when someone changes the explicit ACEs between the
// plan and the write, nothing is backed up or written. Not parallel: it
// changes OU=Admins, and puts it back.
func TestConcurrentChange(t *testing.T) {
	s := sambatest.Env(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := sambatest.Dial(t, s.Config())
	st := grpctest.Store(t)
	e, err := New(ctx, Config{Conn: conn, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Principal(ctx, s.ConnectorDN)
	if err != nil {
		t.Fatal(err)
	}
	scope := s.DN("OU=Admins")
	req := GrantRequest{Principal: p, Scope: scope, Apply: true}
	nc, targets, err := e.targets(&req)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := e.planGrant(ctx, nc, &req, targets[0])
	if err != nil || oc.Unchanged {
		t.Fatalf("plan %+v, %v", oc, err)
	}

	// Someone else adds an ACE.
	other, _ := secdesc.ParseSID("S-1-5-21-2914541329-1306453702-1592347412-999")
	extra := secdesc.ACE{Type: secdesc.ACETypeAccessAllowed, Mask: secdesc.RightReadControl, SID: other}
	w := explicitOnly(oc.sd)
	w.DACL.Add(extra)
	b, _ := w.MarshalBinary()
	if err := conn.WriteDACL(ctx, scope, b); err != nil {
		t.Fatal(err)
	}
	defer func() {
		w.DACL.Remove(extra)
		b, _ := w.MarshalBinary()
		if err := conn.WriteDACL(ctx, scope, b); err != nil {
			t.Fatal(err)
		}
	}()
	before, err := conn.ReadSecurityDescriptor(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}

	err = e.apply(ctx, oc, ActionGrant, "tester", "", "")
	if !errors.Is(err, ErrConcurrentChange) {
		t.Fatalf("apply after a concurrent change = %v, want ErrConcurrentChange", err)
	}
	after, err := conn.ReadSecurityDescriptor(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) || oc.Written || oc.BackupID != "" {
		t.Error("written after a concurrent change")
	}
	if bs, _, _ := st.ListBackups(ctx, store.BackupQuery{}); len(bs) != 0 {
		t.Errorf("%d backups taken", len(bs))
	}
}
