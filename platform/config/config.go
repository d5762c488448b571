// Package config reads a flag set from, in order of precedence, the command line, HYBRIDKIT_*
// environment variables, and an optional YAML file named by --config whose keys are flag names.
package config

import (
	"flag"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffyaml"
)

// EnvPrefix prefixes every environment variable: flag tlsanalysis-addr is HYBRIDKIT_TLSANALYSIS_ADDR.
const EnvPrefix = "HYBRIDKIT"

// Parse registers --config on fs and parses args, the environment and the config file into fs.
func Parse(fs *flag.FlagSet, args []string) error {
	if fs.Lookup("config") == nil {
		fs.String("config", "", "optional YAML config file; keys are flag names (flags and HYBRIDKIT_* environment variables win)")
	}
	return ff.Parse(fs, args,
		ff.WithEnvVarPrefix(EnvPrefix),
		ff.WithConfigFileFlag("config"),
		ff.WithConfigFileParser(ffyaml.Parser),
	)
}
