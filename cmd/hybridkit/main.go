// Command hybridkit checks and fixes hybrid Microsoft 365 estates. `hybridkit serve` runs every
// service and the REST gateway in one process; the other subcommands are the CLI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hybridkit checks and fixes hybrid Microsoft 365 estates.

Usage:
  hybridkit serve [flags]     run the identity, directory and tlsanalysis services and the REST gateway
  hybridkit tls analyze PATH  analyse Exchange SMTP protocol logs for TLS versions (-h for flags)
  hybridkit directory CMD     AD permissions for password writeback: accounts, audit, coverage, check, grant
  hybridkit identity CHECK    check the Entra ID tenant: licences, sync, sspr, admins, legacy, score
  hybridkit token CMD         API tokens: create, list, revoke (shown once, stored hashed)
  hybridkit version           print the version
  hybridkit help              this text

Run 'hybridkit serve -h' for the flags; every flag can also be set as HYBRIDKIT_<FLAG> in the
environment or as a key of the YAML file named by --config.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hybridkit:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serveProgram().Execute(ctx, args[1:], stderr)
	case "directory":
		return runDirectory(ctx, args[1:], stdout, stderr)
	case "identity":
		return runIdentity(ctx, args[1:], stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], stdout, stderr)
	case "tls":
		return runTLS(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
