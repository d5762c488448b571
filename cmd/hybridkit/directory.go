package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hybridkit/hybridkit/platform/config"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

const directoryUsage = `Usage: hybridkit directory COMMAND [ARGS] [flags]

Audits the Active Directory permissions Entra Connect password writeback needs, and grants them.
COMMAND is one of:
  accounts            the candidate connector accounts: MSOL_* and the --connector names
  audit [SCOPE]       the connector's rights on the users below SCOPE (a DN; default: the domain root)
  coverage [SCOPE]    every user below SCOPE: how many will fail and why; AdminSDHolder
  check USER...       the connector's rights on each user (DN, sAMAccountName, UPN or objectSid;
                      @FILE reads one a line; over 2,000 users, decisions only)
  decode SDDL|@FILE   decode a security descriptor given as SDDL, or a file (binary or SDDL)
  grant [SCOPE]       add the ACEs the connector needs at SCOPE (and the domain root; with
                      --adminsdholder on AdminSDHolder): a dry run showing the SDDL diff unless --apply
  revoke [SCOPE]      remove exactly the ACEs grant adds (dry run unless --apply)
  restore BACKUP-ID   put back a DACL that grant, revoke or restore backed up (dry run unless --apply)

Every command runs on a directory service with --server (its gRPC address; the token from --token
or HYBRIDKIT_TOKEN; grant, revoke and restore need an operator's), else here with the same --ldap-*
flags as the service (and for grant, revoke and restore your own LDAP credentials and --store).
--apply backs the descriptor up in the store first, writes the DACL alone, re-reads and verifies it.

The connector is the one --connector names, else the only MSOL_ account. Flags can also be set as
HYBRIDKIT_<FLAG> environment variables (HYBRIDKIT_LDAP_PASSWORD, ...).

Flags:
`

// dirOpts are the command line of hybridkit directory.
type dirOpts struct {
	command   string
	args      []string
	server    string
	token     string
	format    string
	verbose   bool
	maxListed int
	domainSID string
	apply     bool
	adminSD   bool
	dsn       string
	reason    string
	cfg       directory.Config
}

func runDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o dirOpts
	fs := flag.NewFlagSet("hybridkit directory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "directory service gRPC address (e.g. 127.0.0.1:50052); empty: work here over LDAP")
	fs.StringVar(&o.token, "token", "", "API token or OIDC access token for --server (default: $HYBRIDKIT_TOKEN)")
	fs.StringVar(&o.format, "o", "table", "output: table or json")
	fs.BoolVar(&o.verbose, "v", false, "check, coverage: every verdict of every user listed, with its ACE")
	fs.IntVar(&o.maxListed, "max-listed", 0, "coverage: most failing users listed (0: 100)")
	fs.StringVar(&o.domainSID, "domain-sid", "", "decode: domain SID (S-1-5-21-...) for aliases such as DA and DU")
	fs.BoolVar(&o.apply, "apply", false, "grant, revoke, restore: make the change (default: a dry run that only reads)")
	fs.BoolVar(&o.adminSD, "adminsdholder", false, "grant, revoke: also AdminSDHolder, whose DACL protected (adminCount=1) accounts get")
	fs.StringVar(&o.dsn, "store", "sqlite:hybridkit.db", "grant, revoke, restore without --server: state store for backups and audit records: sqlite:PATH or postgres://...")
	fs.StringVar(&o.reason, "reason", "", "grant, revoke, restore: why, recorded with the backup and the audit record")
	o.cfg.Flags(fs, "")
	fs.Usage = func() { fmt.Fprint(stderr, directoryUsage); fs.PrintDefaults() }
	flags, positional, err := splitInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := config.Parse(fs, flags); err != nil {
		return err
	}
	positional = append(positional, fs.Args()...)
	if len(positional) == 0 {
		fs.Usage()
		return errors.New("directory: no COMMAND given")
	}
	o.command, o.args = positional[0], positional[1:]
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("-o %q: want table or json", o.format)
	}
	if o.maxListed != int(int32(o.maxListed)) {
		return fmt.Errorf("--max-listed %d: out of range", o.maxListed)
	}
	if len(o.cfg.LDAP.Connectors) > 1 {
		return fmt.Errorf("--connector: give one connector account, not %d", len(o.cfg.LDAP.Connectors))
	}
	switch o.command {
	case "accounts", "audit", "coverage", "check", "decode":
		return runDirectoryRead(ctx, &o, stdout, stderr)
	case "grant", "revoke", "restore":
		return runDirectoryChange(ctx, &o, stdout, stderr)
	}
	fs.Usage()
	return fmt.Errorf("directory: unknown command %q", o.command)
}

// splitInterleaved separates flags from positional arguments wherever they stand, so that
// "audit OU=Staff,DC=example,DC=com --connector MSOL_1" works: flag.Parse stops at the first
// positional argument.
func splitInterleaved(fs *flag.FlagSet, args []string) (flags, positional []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 >= len(args) {
			return nil, nil, fmt.Errorf("flag needs an argument: %s", a)
		}
		i++
		flags = append(flags, args[i])
	}
	return flags, positional, nil
}

// directoryCall is one read command: the RPC's full name, its request, and the call.
type directoryCall struct {
	method string
	req    proto.Message
	call   func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error)
	print  func(w io.Writer, resp proto.Message, o *dirOpts) error
}

func (o *dirOpts) connector() string {
	if len(o.cfg.LDAP.Connectors) == 1 {
		return o.cfg.LDAP.Connectors[0]
	}
	return ""
}

func (o *dirOpts) readCall() (*directoryCall, error) {
	optionalScope := func() (string, error) {
		if len(o.args) > 1 {
			return "", fmt.Errorf("directory %s: one SCOPE at most, got %q (quote a DN with spaces)", o.command, o.args)
		}
		if len(o.args) == 1 {
			return o.args[0], nil
		}
		return "", nil
	}
	switch o.command {
	case "accounts":
		if len(o.args) > 0 {
			return nil, fmt.Errorf("directory accounts: unexpected arguments %q", o.args)
		}
		req := &directoryv1.ListConnectorAccountsRequest{PageSize: 1000}
		return &directoryCall{
			method: directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, req: req,
			call: func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error) {
				// Every page, as one response.
				all := &directoryv1.ListConnectorAccountsResponse{}
				for {
					resp, err := s.ListConnectorAccounts(ctx, req)
					if err != nil {
						return nil, err
					}
					all.ConnectorAccounts = append(all.ConnectorAccounts, resp.GetConnectorAccounts()...)
					all.DefaultConnector = resp.GetDefaultConnector()
					if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
						return all, nil
					}
				}
			},
			print: printAccounts,
		}, nil
	case "audit":
		scope, err := optionalScope()
		if err != nil {
			return nil, err
		}
		req := &directoryv1.AuditScopeRequest{Connector: o.connector(), Scope: scope}
		return &directoryCall{
			method: directoryv1.DirectoryService_AuditScope_FullMethodName, req: req,
			call: func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error) {
				return answerOf(s.AuditScope(ctx, req))
			},
			print: printAudit,
		}, nil
	case "coverage":
		scope, err := optionalScope()
		if err != nil {
			return nil, err
		}
		req := &directoryv1.GetCoverageRequest{Connector: o.connector(), Scope: scope, MaxListed: int32(o.maxListed)}
		return &directoryCall{
			method: directoryv1.DirectoryService_GetCoverage_FullMethodName, req: req,
			call: func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error) {
				return answerOf(s.GetCoverage(ctx, req))
			},
			print: printCoverage,
		}, nil
	case "check":
		users, err := userArgs(o.args)
		if err != nil {
			return nil, err
		}
		if len(users) == 0 {
			return nil, errors.New("directory check: name at least one USER")
		}
		req := &directoryv1.CheckUsersRequest{Connector: o.connector(), Users: users}
		if len(users) > directory.MaxCheckUsersFull {
			req.View = directoryv1.VerdictView_VERDICT_VIEW_BASIC // decisions only: the full view is bounded
		}
		return &directoryCall{
			method: directoryv1.DirectoryService_CheckUsers_FullMethodName, req: req,
			call: func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error) {
				return answerOf(s.CheckUsers(ctx, req))
			},
			print: printCheck,
		}, nil
	case "decode":
		if len(o.args) != 1 {
			return nil, errors.New("directory decode: give one SDDL string or @FILE")
		}
		req := &directoryv1.DecodeSecurityDescriptorRequest{DomainSid: o.domainSID}
		if err := decodeSource(req, o.args[0]); err != nil {
			return nil, err
		}
		return &directoryCall{
			method: directoryv1.DirectoryService_DecodeSecurityDescriptor_FullMethodName, req: req,
			call: func(ctx context.Context, s directoryv1.DirectoryServiceServer) (proto.Message, error) {
				return answerOf(s.DecodeSecurityDescriptor(ctx, req))
			},
			print: printDecoded,
		}, nil
	}
	return nil, fmt.Errorf("directory: unknown command %q", o.command)
}

// userArgs expands @FILE arguments (one user a line; blank lines and # comments skipped).
func userArgs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "@") {
			out = append(out, a)
			continue
		}
		b, err := os.ReadFile(a[1:])
		if err != nil {
			return nil, fmt.Errorf("directory check: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
	}
	return out, nil
}

// decodeSource fills req from an SDDL string or @FILE: a file of SDDL text, or of the binary
// descriptor (as an LDAP export or a backup holds it).
func decodeSource(req *directoryv1.DecodeSecurityDescriptorRequest, arg string) error {
	if !strings.HasPrefix(arg, "@") {
		req.Source = &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: arg}
		return nil
	}
	b, err := os.ReadFile(arg[1:])
	if err != nil {
		return fmt.Errorf("directory decode: %w", err)
	}
	if text := strings.TrimSpace(string(b)); utf8.ValidString(text) && len(text) > 1 && strings.ContainsRune("OGDS", rune(text[0])) && text[1] == ':' {
		req.Source = &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: text}
		return nil
	}
	req.Source = &directoryv1.DecodeSecurityDescriptorRequest_Binary{Binary: b}
	return nil
}

// answerOf returns resp as a proto.Message, nil (not a typed nil) on error.
func answerOf[R proto.Message](resp R, err error) (proto.Message, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func runDirectoryRead(ctx context.Context, o *dirOpts, stdout, stderr io.Writer) error {
	c, err := o.readCall()
	if err != nil {
		return err
	}
	var svc directoryv1.DirectoryServiceServer
	if o.server != "" {
		var cc *grpc.ClientConn
		ctx, cc, err = dialServer(ctx, o.server, o.token)
		if err != nil {
			return err
		}
		defer cc.Close()
		svc = remoteDirectory{c: directoryv1.NewDirectoryServiceClient(cc)}
	} else {
		local, err := directory.NewFromConfig(ctx, o.cfg, nil, cliLogger(stderr))
		if err != nil {
			return err
		}
		defer local.Close()
		// In-process calls skip the server's validation interceptor: validate here.
		if validate := local.Validators()[c.method]; validate != nil {
			if err := validate(c.req); err != nil {
				return fmt.Errorf("directory %s: %s", o.command, status.Convert(err).Message())
			}
		}
		svc = local
	}
	resp, err := c.call(ctx, svc)
	if err != nil {
		return statusError("directory "+o.command, err)
	}
	if o.format == "json" {
		b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(resp)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, string(b))
		return err
	}
	return c.print(stdout, resp, o)
}

func cliLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// statusError turns a gRPC status into "what: message (Code)".
func statusError(what string, err error) error {
	if st, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s (%s)", what, st.Message(), st.Code())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// remoteDirectory calls a running directory service with the server's method signatures.
type remoteDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	c directoryv1.DirectoryServiceClient
}

func (r remoteDirectory) DecodeSecurityDescriptor(ctx context.Context, req *directoryv1.DecodeSecurityDescriptorRequest) (*directoryv1.DecodeSecurityDescriptorResponse, error) {
	return r.c.DecodeSecurityDescriptor(ctx, req)
}

func (r remoteDirectory) ListConnectorAccounts(ctx context.Context, req *directoryv1.ListConnectorAccountsRequest) (*directoryv1.ListConnectorAccountsResponse, error) {
	return r.c.ListConnectorAccounts(ctx, req)
}

func (r remoteDirectory) AuditScope(ctx context.Context, req *directoryv1.AuditScopeRequest) (*directoryv1.AuditScopeResponse, error) {
	return r.c.AuditScope(ctx, req)
}

func (r remoteDirectory) CheckUsers(ctx context.Context, req *directoryv1.CheckUsersRequest) (*directoryv1.CheckUsersResponse, error) {
	return r.c.CheckUsers(ctx, req)
}

func (r remoteDirectory) GetCoverage(ctx context.Context, req *directoryv1.GetCoverageRequest) (*directoryv1.GetCoverageResponse, error) {
	return r.c.GetCoverage(ctx, req)
}

// runDirectoryChange runs grant, revoke or restore on the service at --server, or here, on the
// engine, with the operator's LDAP credentials.
func runDirectoryChange(ctx context.Context, o *dirOpts, stdout, stderr io.Writer) error {
	var scope, backupID string
	switch o.command {
	case "restore":
		if len(o.args) != 1 {
			return errors.New("directory restore: give one BACKUP-ID")
		}
		backupID = o.args[0]
	default:
		switch {
		case len(o.args) > 1:
			return fmt.Errorf("directory %s: one SCOPE at most, got %q (quote a DN with spaces)", o.command, o.args)
		case len(o.args) == 1:
			scope = o.args[0]
		case !o.adminSD:
			return fmt.Errorf("directory %s: give a SCOPE (the domain root or an OU DN), --adminsdholder, or both", o.command)
		}
	}
	if o.server != "" {
		return runDirectoryChangeRemote(ctx, o, scope, backupID, stdout)
	}
	logger := cliLogger(stderr)
	// A dry run reads only: no store is opened, so none is created.
	var st *store.Store
	if o.apply || o.command == "restore" {
		var err error
		if st, err = store.Open(ctx, o.dsn, store.WithLogger(logger)); err != nil {
			return err
		}
		defer st.Close()
	}
	svc, err := directory.NewFromConfig(ctx, o.cfg, st, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	eng, err := svc.Engine(ctx)
	if err != nil {
		return statusError("directory "+o.command, err)
	}
	actor, runID := cliActor(), newRunID()
	var (
		change    *writeback.Change
		connector *writeback.Principal
	)
	if o.command == "restore" {
		oc, err := eng.Restore(ctx, writeback.RestoreRequest{BackupID: backupID, Apply: o.apply, Actor: actor, RunID: runID, Reason: o.reason})
		if oc != nil {
			change = &writeback.Change{DryRun: !o.apply, Objects: []writeback.ObjectChange{*oc}}
		}
		if err != nil {
			return changeFailed(stdout, o, change, err)
		}
	} else {
		if connector, err = svc.Connector(ctx, o.connector()); err != nil {
			return statusError("directory "+o.command, err)
		}
		req := writeback.GrantRequest{Principal: connector, Scope: scope, AdminSDHolder: o.adminSD, Apply: o.apply, Actor: actor, RunID: runID, Reason: o.reason}
		do := eng.Grant
		if o.command == "revoke" {
			do = eng.Revoke
		}
		if change, err = do(ctx, req); err != nil {
			return changeFailed(stdout, o, change, err)
		}
	}
	if o.format == "json" {
		return writeJSON(stdout, change)
	}
	return printChange(stdout, o, connector, change)
}

// runDirectoryChangeRemote runs grant, revoke or restore on the directory service at --server,
// which acts with its own LDAP credentials, as the principal of --token (an operator).
func runDirectoryChangeRemote(ctx context.Context, o *dirOpts, scope, backupID string, stdout io.Writer) error {
	ctx, cc, err := dialServer(ctx, o.server, o.token)
	if err != nil {
		return err
	}
	defer cc.Close()
	c := directoryv1.NewDirectoryServiceClient(cc)
	var (
		resp      proto.Message
		objects   []*directoryv1.ObjectChange
		connector *directoryv1.Principal
		dryRun    bool
	)
	switch o.command {
	case "restore":
		name := backupID
		if !strings.HasPrefix(name, "backups/") {
			name = "backups/" + name
		}
		r, err := c.RestoreBackup(ctx, &directoryv1.RestoreBackupRequest{Name: name, Apply: o.apply, Reason: o.reason})
		if err != nil {
			return statusError("directory restore", err)
		}
		resp, objects, dryRun = r, []*directoryv1.ObjectChange{r.GetObject()}, r.GetDryRun()
	case "grant":
		r, err := c.GrantWriteback(ctx, &directoryv1.GrantWritebackRequest{Connector: o.connector(), Scope: scope, AdminSdHolder: o.adminSD, Apply: o.apply, Reason: o.reason})
		if err != nil {
			return statusError("directory grant", err)
		}
		resp, objects, connector, dryRun = r, r.GetObjects(), r.GetConnector(), r.GetDryRun()
	default:
		r, err := c.RevokeWriteback(ctx, &directoryv1.RevokeWritebackRequest{Connector: o.connector(), Scope: scope, AdminSdHolder: o.adminSD, Apply: o.apply, Reason: o.reason})
		if err != nil {
			return statusError("directory revoke", err)
		}
		resp, objects, connector, dryRun = r, r.GetObjects(), r.GetConnector(), r.GetDryRun()
	}
	if o.format == "json" {
		b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(resp)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, string(b))
		return err
	}
	ch := &writeback.Change{DryRun: dryRun}
	for _, oc := range objects {
		ch.Objects = append(ch.Objects, writeback.ObjectChange{
			DN: oc.GetDn(), Add: oc.GetAddedAces(), Remove: oc.GetRemovedAces(), Before: oc.GetBeforeSddl(), After: oc.GetAfterSddl(),
			Diff: oc.GetDiff(), Unchanged: oc.GetUnchanged(), Notes: oc.GetNotes(), BackupID: strings.TrimPrefix(oc.GetBackup(), "backups/"),
			Written: oc.GetWritten(), Verified: oc.GetVerified(), AuditID: oc.GetAuditId(),
		})
	}
	if connector != nil {
		fmt.Fprintf(stdout, "Connector:  %s  %s  %s\n", connector.GetSamAccountName(), connector.GetSid(), connector.GetDn())
	}
	return printChange(stdout, o, nil, ch)
}

// changeFailed prints what was done before err (an applied change may have written some objects)
// and returns err.
func changeFailed(w io.Writer, o *dirOpts, change *writeback.Change, err error) error {
	if change != nil && len(change.Objects) > 0 {
		if o.format == "json" {
			_ = writeJSON(w, change)
		} else {
			_ = printChange(w, o, nil, change)
		}
	}
	return fmt.Errorf("directory %s: %w", o.command, err)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "cli-" + hex.EncodeToString(b[:])
}

// Table output.

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func decisionName(d directoryv1.Decision) string {
	return strings.ToLower(strings.TrimPrefix(d.String(), "DECISION_"))
}

var reasonNames = map[directoryv1.FailureReason]string{
	directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER: "AdminSDHolder (adminCount=1)",
	directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY:   "explicit deny",
	directoryv1.FailureReason_FAILURE_REASON_PROTECTED_DACL:  "inheritance blocked",
	directoryv1.FailureReason_FAILURE_REASON_MISSING_RIGHT:   "missing right",
}

func reasonName(r directoryv1.FailureReason) string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return "works"
}

func principalLine(p *directoryv1.Principal) string {
	return fmt.Sprintf("%s  %s  %s", p.GetSamAccountName(), p.GetSid(), p.GetDn())
}

// verdictTable writes one row per verdict: right, decision, ACE index, inherited, source, ACE.
func verdictTable(w io.Writer, indent string, vs ...*directoryv1.Verdict) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%sRIGHT\tDECISION\tACE#\tINHERITED\tFROM\tACE\n", indent)
	for _, v := range vs {
		idx, inh, from, ace := "-", "-", "-", "no ACE grants it"
		if v.GetDecision() != directoryv1.Decision_DECISION_MISSING {
			if v.AceIndex != nil {
				idx = strconv.Itoa(int(v.GetAceIndex()))
			}
			inh, ace = yesNo(v.GetInherited()), v.GetAce()
			if v.GetSource() != "" {
				from = v.GetSource()
			}
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", indent, v.GetRightName(), decisionName(v.GetDecision()), idx, inh, from, ace)
	}
	tw.Flush()
}

func printAccounts(w io.Writer, m proto.Message, _ *dirOpts) error {
	resp := m.(*directoryv1.ListConnectorAccountsResponse)
	if len(resp.GetConnectorAccounts()) == 0 {
		_, err := fmt.Fprintln(w, "No connector account: no MSOL_ account, and none of the --connector names, in the configured domains.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSID\tENABLED\tWHY\tDN")
	for _, a := range resp.GetConnectorAccounts() {
		var why []string
		if a.GetMsol() {
			why = append(why, "MSOL_ name")
		}
		if a.GetEntraConnectDescription() {
			why = append(why, "Entra Connect description")
		}
		if a.GetConfigured() {
			why = append(why, "--connector")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.GetSamAccountName(), a.GetSid(), yesNo(!a.GetDisabled()), strings.Join(why, ", "), a.GetDn())
	}
	tw.Flush()
	if d := resp.GetDefaultConnector(); d != "" {
		fmt.Fprintf(w, "\nConnector used when none is named: %s\n", d)
	} else {
		fmt.Fprintln(w, "\nSeveral candidates: name the connector with --connector.")
	}
	return nil
}

func printAudit(w io.Writer, m proto.Message, _ *dirOpts) error {
	a := m.(*directoryv1.AuditScopeResponse).GetAudit()
	result := "password writeback works for the users here"
	if !a.GetWorks() {
		result = "password writeback FAILS for the users here"
	}
	fmt.Fprintf(w, "Scope:      %s (domain %s)\n", a.GetScope(), a.GetDomain())
	fmt.Fprintf(w, "Connector:  %s\n", principalLine(a.GetConnector()))
	fmt.Fprintf(w, "Result:     %s\n", result)
	if a.GetProtected() {
		fmt.Fprintln(w, "            the scope's DACL is protected: nothing granted above it reaches its users")
	}
	fmt.Fprintln(w)
	verdictTable(w, "", append(a.GetRights(), a.GetUnexpire())...)
	if len(a.GetNotes()) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range a.GetNotes() {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	if !a.GetWorks() {
		fmt.Fprintf(w, "\nTo fix: hybridkit directory grant %q (a dry run; add --apply to write)\n", a.GetScope())
	}
	return nil
}

func printCheck(w io.Writer, m proto.Message, o *dirOpts) error {
	resp := m.(*directoryv1.CheckUsersResponse)
	fmt.Fprintf(w, "Connector:  %s\n\n", principalLine(resp.GetConnector()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tWRITEBACK\tRESET\tCHANGE\tLOCKOUTTIME\tPWDLASTSET\tDN")
	for _, r := range resp.GetResults() {
		c := r.GetCheck()
		if c == nil {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t%s\n", r.GetUser(), strings.ReplaceAll(strings.TrimPrefix(r.GetStatus().String(), "LOOKUP_STATUS_"), "_", " "), r.GetMessage())
			continue
		}
		verdict := "works"
		if !c.GetWorks() {
			verdict = "FAILS"
		}
		row := []string{c.GetSamAccountName(), verdict}
		for _, v := range c.GetRights() {
			row = append(row, decisionName(v.GetDecision()))
		}
		fmt.Fprintln(tw, strings.Join(append(row, c.GetDn()), "\t"))
	}
	tw.Flush()
	for _, r := range resp.GetResults() {
		if c := r.GetCheck(); c != nil && (!c.GetWorks() || len(c.GetReasons()) > 0 || o.verbose) {
			fmt.Fprintln(w)
			printUserDetail(w, c, o.verbose)
		}
	}
	return nil
}

// printUserDetail writes why a user fails (or a warning), and with verbose every verdict.
func printUserDetail(w io.Writer, c *directoryv1.UserCheck, verbose bool) {
	fmt.Fprintf(w, "%s (%s): %s\n", c.GetSamAccountName(), c.GetDn(), reasonName(c.GetCause()))
	for _, r := range c.GetReasons() {
		switch {
		case r.GetDetail() != "":
			fmt.Fprintf(w, "  - %s: %s\n", reasonName(r.GetCode()), r.GetDetail())
		case r.GetRight() != directoryv1.WritebackRight_WRITEBACK_RIGHT_UNSPECIFIED: // the basic view
			fmt.Fprintf(w, "  - %s: %s\n", reasonName(r.GetCode()), strings.ToLower(strings.TrimPrefix(r.GetRight().String(), "WRITEBACK_RIGHT_")))
		default:
			fmt.Fprintf(w, "  - %s\n", reasonName(r.GetCode()))
		}
	}
	if verbose {
		verdictTable(w, "  ", c.GetRights()...)
	}
}

func printCoverage(w io.Writer, m proto.Message, o *dirOpts) error {
	c := m.(*directoryv1.GetCoverageResponse).GetCoverage()
	fmt.Fprintf(w, "Scope:      %s (domain %s)\n", c.GetScope(), c.GetDomain())
	fmt.Fprintf(w, "Connector:  %s\n", principalLine(c.GetConnector()))
	fmt.Fprintf(w, "Users:      %d evaluated: %d working, %d failing (%d distinct DACLs, %s)\n",
		c.GetUsers(), c.GetWorking(), c.GetFailing(), c.GetDistinctDacls(), c.GetElapsed().AsDuration().Round(time.Millisecond))
	if len(c.GetByReason()) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FAILING BECAUSE\tUSERS")
		for _, r := range c.GetByReason() {
			fmt.Fprintf(tw, "%s\t%d\n", reasonName(r.GetReason()), r.GetUsers())
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nUnexpire password on the domain root:\n")
	verdictTable(w, "  ", c.GetUnexpire())
	if h := c.GetAdminSdHolder(); h != nil {
		state := "protected accounts get the writeback rights from it"
		if !h.GetWorks() {
			state = "protected (adminCount=1) accounts do NOT get the writeback rights from it"
		}
		fmt.Fprintf(w, "\nAdminSDHolder (%s): %s\n", h.GetDn(), state)
		verdictTable(w, "  ", h.GetRights()...)
		for _, a := range h.GetInheritOnlyAces() {
			fmt.Fprintf(w, "  inherit-only, never reaches protected accounts: %s\n", a)
		}
		if len(h.GetGrantAces()) > 0 {
			fmt.Fprintln(w, "  A working grant there adds (hybridkit directory grant --adminsdholder):")
			for _, a := range h.GetGrantAces() {
				fmt.Fprintf(w, "    %s\n", a)
			}
		}
	}
	if len(c.GetFailingUsers()) > 0 {
		fmt.Fprintf(w, "\nFailing users (%d listed", len(c.GetFailingUsers()))
		if n := c.GetFailingOmitted(); n > 0 {
			fmt.Fprintf(w, ", %d more not listed: raise --max-listed", n)
		}
		fmt.Fprintln(w, "):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tREASON\tDETAIL\tDN")
		for _, u := range c.GetFailingUsers() {
			detail := ""
			if rs := u.GetReasons(); len(rs) > 0 {
				detail = rs[0].GetDetail()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.GetSamAccountName(), reasonName(u.GetCause()), detail, u.GetDn())
		}
		tw.Flush()
		if o.verbose {
			for _, u := range c.GetFailingUsers() {
				fmt.Fprintln(w)
				printUserDetail(w, u, true)
			}
		}
	}
	return nil
}

func printDecoded(w io.Writer, m proto.Message, _ *dirOpts) error {
	d := m.(*directoryv1.DecodeSecurityDescriptorResponse)
	fmt.Fprintf(w, "SDDL:     %s\n", d.GetSddl())
	trustee := func(t *directoryv1.Trustee) string {
		if t == nil {
			return "-"
		}
		if t.GetName() != "" {
			return t.GetSid() + " (" + t.GetName() + ")"
		}
		return t.GetSid()
	}
	fmt.Fprintf(w, "Owner:    %s\nGroup:    %s\nControl:  %s\n", trustee(d.GetOwner()), trustee(d.GetGroup()), strings.Join(d.GetControlFlags(), " "))
	for _, acl := range []struct {
		name string
		aces []*directoryv1.Ace
	}{{"DACL", d.GetDacl()}, {"SACL", d.GetSacl()}} {
		if len(acl.aces) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d entries):\n", acl.name, len(acl.aces))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tTYPE\tFLAGS\tTRUSTEE\tRIGHTS\tOBJECT\tDESCRIPTION")
		for i, a := range acl.aces {
			obj := a.GetObjectTypeName()
			if obj == "" {
				obj = a.GetObjectType()
			}
			if it := a.GetInheritedObjectTypeName(); it != "" {
				obj += " on " + it
			} else if a.GetInheritedObjectType() != "" {
				obj += " on " + a.GetInheritedObjectType()
			}
			flags := strings.Join(a.GetFlags(), ",")
			rights := strings.Join(a.GetRights(), ",")
			if n := len(a.GetRights()); n > 3 { // the description says it in words
				rights = fmt.Sprintf("%#x (%d rights)", a.GetMask(), n)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i, a.GetType(), orDash(flags), trustee(a.GetTrustee()), orDash(rights), orDash(obj), a.GetDescription())
		}
		tw.Flush()
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printChange(w io.Writer, o *dirOpts, p *writeback.Principal, ch *writeback.Change) error {
	if p != nil {
		fmt.Fprintf(w, "Connector:  %s  %s  %s\n", p.SAMAccountName, p.SID, p.DN)
	}
	switch {
	case !ch.Changed():
		fmt.Fprintln(w, "Nothing to change: every object already is as the "+o.command+" wants it.")
	case ch.DryRun:
		fmt.Fprintln(w, "Dry run: nothing was written. Run again with --apply to make these changes.")
	default:
		fmt.Fprintln(w, "Applied: each object was backed up, written (DACL only) and verified.")
	}
	for _, oc := range ch.Objects {
		fmt.Fprintln(w)
		if oc.Unchanged {
			fmt.Fprintf(w, "%s: unchanged\n", oc.DN)
		} else {
			fmt.Fprintf(w, "%s: add %d ACE(s), remove %d\n", oc.DN, len(oc.Add), len(oc.Remove))
			for _, a := range oc.Add {
				fmt.Fprintf(w, "  + %s\n", a)
			}
			for _, a := range oc.Remove {
				fmt.Fprintf(w, "  - %s\n", a)
			}
		}
		for _, n := range oc.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if oc.BackupID != "" {
			fmt.Fprintf(w, "  backup %s (hybridkit directory restore %s --apply puts it back)\n", oc.BackupID, oc.BackupID)
		}
		if oc.Written {
			fmt.Fprintf(w, "  written: yes, verified: %s, audit record %s\n", yesNo(oc.Verified), orDash(oc.AuditID))
		}
		if oc.Diff != "" && !oc.Unchanged {
			for _, line := range strings.Split(strings.TrimRight(oc.Diff, "\n"), "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
	}
	return nil
}
