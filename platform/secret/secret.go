// Package secret holds credentials (client secrets, bind passwords, tokens) so that they cannot be
// printed, logged or marshalled by accident.
package secret

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

const redacted = "[redacted]"

// Value is a secret string. Every way of printing it yields "[redacted]"; Reveal returns it.
type Value struct{ s string }

// New wraps s.
func New(s string) Value { return Value{s: s} }

// Reveal returns the secret itself; call it only where the secret is used.
func (v Value) Reveal() string { return v.s }

// IsSet reports whether the secret is non-empty.
func (v Value) IsSet() bool { return v.s != "" }

// String redacts the secret.
func (v Value) String() string {
	if v.s == "" {
		return ""
	}
	return redacted
}

// GoString redacts the secret in %#v.
func (v Value) GoString() string { return v.String() }

// Format redacts the secret for every fmt verb.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// LogValue redacts the secret in slog output.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }

// MarshalJSON redacts the secret in JSON.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + v.String() + `"`), nil }

// MarshalText redacts the secret in text encodings (YAML, TOML...).
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Source is a secret given either directly (flag or environment variable) or as a file path.
// Register both with Flags; Load returns the secret.
type Source struct {
	name  string
	value string
	file  string
}

// Flags registers --NAME (best given through the environment, since flags show in process
// listings) and --NAME-file.
func (s *Source) Flags(fs *flag.FlagSet, name, usage string) {
	s.name = name
	fs.Func(name, usage+" (prefer the environment variable or -file: flags are visible to other users)", func(v string) error {
		s.value = v
		return nil
	})
	fs.StringVar(&s.file, name+"-file", "", "file that holds "+usage)
}

// Load returns the secret: from the file when one is named (trailing newlines trimmed), else the
// direct value. Giving both is an error.
func (s *Source) Load() (Value, error) {
	if s.file != "" && s.value != "" {
		return Value{}, fmt.Errorf("--%s and --%s-file are both set: give one", s.name, s.name)
	}
	if s.file == "" {
		return New(s.value), nil
	}
	b, err := os.ReadFile(s.file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return Value{}, fmt.Errorf("reading --%s-file: %s: %w", s.name, pe.Path, pe.Err)
		}
		return Value{}, fmt.Errorf("reading --%s-file: %w", s.name, err)
	}
	return New(strings.TrimRight(string(b), "\r\n")), nil
}
