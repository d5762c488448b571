package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hybridkit/hybridkit/platform/config"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity"
)

const identityUsage = `Usage: hybridkit identity CHECK [flags]

Checks the Entra ID tenant through Microsoft Graph and prints the findings. CHECK is one of:
  licences  Entra ID P1/P2 licences
  sync      directory synchronisation
  sspr      self-service password reset readiness
  admins    holders of privileged roles and what enforces their MFA
  legacy    legacy authentication: the policies that block it and who still uses it
  score     Microsoft Secure Score and the identity improvement actions

With --server the check runs on a running identity service (its gRPC address); without it the
check runs here, with the same --graph-* flags as the service. Flags can also be set as
HYBRIDKIT_<FLAG> environment variables (HYBRIDKIT_GRAPH_CLIENT_SECRET, ...).

Flags:
`

// identityResponse is what every check answers: a report and its findings.
type identityResponse interface {
	proto.Message
	GetFindings() []*identityv1.Finding
}

// identityChecks maps a CHECK to its RPC's full name, its request built from the flags, and
// the call.
var identityChecks = map[string]struct {
	method  string
	request func(f identityFlags) proto.Message
	call    func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error)
}{
	"licences": {
		identityv1.IdentityService_CheckLicences_FullMethodName,
		func(identityFlags) proto.Message { return &identityv1.CheckLicencesRequest{} },
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckLicences(ctx, req.(*identityv1.CheckLicencesRequest)))
		},
	},
	"sync": {
		identityv1.IdentityService_CheckSync_FullMethodName,
		func(f identityFlags) proto.Message {
			req := &identityv1.CheckSyncRequest{}
			if f.staleAfter != 0 {
				req.StaleAfter = durationpb.New(f.staleAfter)
			}
			return req
		},
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckSync(ctx, req.(*identityv1.CheckSyncRequest)))
		},
	},
	"sspr": {
		identityv1.IdentityService_CheckSspr_FullMethodName,
		func(f identityFlags) proto.Message {
			return &identityv1.CheckSsprRequest{MaxListed: int32(f.maxListed)}
		},
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckSspr(ctx, req.(*identityv1.CheckSsprRequest)))
		},
	},
	"admins": {
		identityv1.IdentityService_CheckAdmins_FullMethodName,
		func(identityFlags) proto.Message { return &identityv1.CheckAdminsRequest{} },
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckAdmins(ctx, req.(*identityv1.CheckAdminsRequest)))
		},
	},
	"legacy": {
		identityv1.IdentityService_CheckLegacyAuthentication_FullMethodName,
		func(f identityFlags) proto.Message {
			return &identityv1.CheckLegacyAuthenticationRequest{Days: int32(f.days), MaxListed: int32(f.maxListed)}
		},
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckLegacyAuthentication(ctx, req.(*identityv1.CheckLegacyAuthenticationRequest)))
		},
	},
	"score": {
		identityv1.IdentityService_CheckSecureScore_FullMethodName,
		func(f identityFlags) proto.Message {
			return &identityv1.CheckSecureScoreRequest{Days: int32(f.days), MaxActions: int32(f.maxActions)}
		},
		func(ctx context.Context, s identityv1.IdentityServiceServer, req proto.Message) (identityResponse, error) {
			return answer(s.CheckSecureScore(ctx, req.(*identityv1.CheckSecureScoreRequest)))
		},
	},
}

// answer returns resp as an identityResponse, nil (not a typed nil) on error.
func answer[R identityResponse](resp R, err error) (identityResponse, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type identityFlags struct {
	days, maxListed, maxActions int
	staleAfter                  time.Duration
}

func runIdentity(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var check string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		check, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("hybridkit identity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "identity service gRPC address (e.g. 127.0.0.1:50051); empty: check here through Graph")
	token := fs.String("token", "", "API token or OIDC access token for --server (also HYBRIDKIT_TOKEN)")
	format := fs.String("o", "table", "output: table or json")
	var f identityFlags
	fs.IntVar(&f.days, "days", 0, "legacy: days of sign-ins (at most 30); score: days of history (at most 90); 0: 30")
	fs.IntVar(&f.maxListed, "max-listed", 0, "sspr, legacy: most users listed; 0: 20")
	fs.IntVar(&f.maxActions, "max-actions", 0, "score: most improvement actions reported as findings; 0: 10")
	fs.DurationVar(&f.staleAfter, "stale-after", 0, "sync: age of the last sync that is stale; 0: 3h")
	var cfg identity.Config
	cfg.Flags(fs, "")
	fs.Usage = func() { fmt.Fprint(stderr, identityUsage); fs.PrintDefaults() }
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if check == "" {
		check = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("identity %s: unexpected arguments %q", check, fs.Args())
	}
	c, ok := identityChecks[check]
	if !ok {
		fs.Usage()
		if check == "" {
			return errors.New("identity: no CHECK given")
		}
		return fmt.Errorf("identity: unknown check %q", check)
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("-o %q: want table or json", *format)
	}
	for name, v := range map[string]int{"days": f.days, "max-listed": f.maxListed, "max-actions": f.maxActions} {
		if v != int(int32(v)) {
			return fmt.Errorf("--%s %d: out of range", name, v)
		}
	}

	req := c.request(f)
	var svc identityv1.IdentityServiceServer
	if *server != "" {
		var cc *grpc.ClientConn
		var err error
		ctx, cc, err = dialServer(ctx, *server, *token)
		if err != nil {
			return err
		}
		defer cc.Close()
		svc = remoteIdentity{c: identityv1.NewIdentityServiceClient(cc)}
	} else {
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		local, err := identity.NewFromConfig(ctx, cfg, logger)
		if err != nil {
			return err
		}
		// In-process calls skip the server's validation interceptor: validate here.
		if validate := local.Validators()[c.method]; validate != nil {
			if err := validate(req); err != nil {
				return fmt.Errorf("identity %s: %s", check, status.Convert(err).Message())
			}
		}
		svc = local
	}
	resp, err := c.call(ctx, svc, req)
	if err != nil {
		if st, ok := status.FromError(err); ok {
			return fmt.Errorf("identity %s: %s (%s)", check, st.Message(), st.Code())
		}
		return fmt.Errorf("identity %s: %w", check, err)
	}
	if *format == "json" {
		b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(resp)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, string(b))
		return err
	}
	return writeFindings(stdout, resp.GetFindings())
}

// writeFindings prints one block per finding: severity, id and title aligned, then the
// evidence and the remediation indented under the title.
func writeFindings(w io.Writer, fs []*identityv1.Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "No findings.")
		return err
	}
	sevW, idW := len("SEVERITY"), len("ID")
	for _, f := range fs {
		sevW = max(sevW, len(severityName(f.GetSeverity())))
		idW = max(idW, len(f.GetId()))
	}
	indent := strings.Repeat(" ", sevW+2+idW+2)
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %-*s  %s\n", sevW, "SEVERITY", idW, "ID", "TITLE")
	for _, f := range fs {
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", sevW, severityName(f.GetSeverity()), idW, f.GetId(), f.GetTitle())
		for _, e := range f.GetEvidence() {
			fmt.Fprintf(&b, "%s- %s\n", indent, e)
		}
		if r := f.GetRemediation(); r != "" {
			fmt.Fprintf(&b, "%sFix: %s\n", indent, r)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func severityName(s identityv1.Severity) string {
	return strings.TrimPrefix(s.String(), "SEVERITY_")
}

// remoteIdentity calls a running identity service with the server's method signatures.
type remoteIdentity struct {
	identityv1.UnimplementedIdentityServiceServer
	c identityv1.IdentityServiceClient
}

func (r remoteIdentity) CheckLicences(ctx context.Context, req *identityv1.CheckLicencesRequest) (*identityv1.CheckLicencesResponse, error) {
	return r.c.CheckLicences(ctx, req)
}

func (r remoteIdentity) CheckSync(ctx context.Context, req *identityv1.CheckSyncRequest) (*identityv1.CheckSyncResponse, error) {
	return r.c.CheckSync(ctx, req)
}

func (r remoteIdentity) CheckSspr(ctx context.Context, req *identityv1.CheckSsprRequest) (*identityv1.CheckSsprResponse, error) {
	return r.c.CheckSspr(ctx, req)
}

func (r remoteIdentity) CheckAdmins(ctx context.Context, req *identityv1.CheckAdminsRequest) (*identityv1.CheckAdminsResponse, error) {
	return r.c.CheckAdmins(ctx, req)
}

func (r remoteIdentity) CheckLegacyAuthentication(ctx context.Context, req *identityv1.CheckLegacyAuthenticationRequest) (*identityv1.CheckLegacyAuthenticationResponse, error) {
	return r.c.CheckLegacyAuthentication(ctx, req)
}

func (r remoteIdentity) CheckSecureScore(ctx context.Context, req *identityv1.CheckSecureScoreRequest) (*identityv1.CheckSecureScoreResponse, error) {
	return r.c.CheckSecureScore(ctx, req)
}
