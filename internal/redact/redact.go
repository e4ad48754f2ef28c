// Package redact is the one owner of what counts as a secret in acs-bulk's
// output: the words that mark a flag or a log attribute as secret, and the
// redaction of command lines recorded in reports and lock files.
package redact

import (
	"log/slog"
	"strings"
)

// Value replaces a secret value.
const Value = "REDACTED"

// secretWords are the parts of a flag or attribute name that mark its value
// as secret.
var secretWords = []string{"key", "token", "secret", "password", "passwd", "credential", "authorization"}

// Args returns a copy of a command line with the value of every flag
// whose name suggests a secret ([Secret]) replaced by [Value], in both the
// --flag=value and the --flag value forms (one or two dashes). In the second
// form the next argument is taken as the value unless it starts with "--":
// when in doubt, redacting too much is the safe side.
func Args(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		name, hasValue, ok := flagName(out[i])
		if !ok || !Secret(name) {
			continue
		}
		if hasValue {
			out[i] = out[i][:strings.IndexByte(out[i], '=')+1] + Value
			continue
		}
		if i+1 < len(out) && !strings.HasPrefix(out[i+1], "--") {
			i++
			out[i] = Value
		}
	}
	return out
}

// flagName splits a flag argument ("-x", "--name", "--name=value") into its
// name and whether it carries its value; ok is false for other arguments,
// including "-", "--" and negative numbers.
func flagName(arg string) (name string, hasValue, ok bool) {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" {
		return "", false, false
	}
	name = strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return "", false, false
	}
	name, _, hasValue = strings.Cut(name, "=")
	return name, hasValue, true
}

// Secret reports whether a flag or attribute name suggests a secret value:
// it contains key, token, secret, password, passwd, credential or
// authorization, in any case.
func Secret(name string) bool {
	name = strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// Attr is a slog ReplaceAttr function that blanks every attribute whose name
// is [Secret], wherever it comes from: a last line of defence, since no
// code logs credentials.
func Attr(_ []string, a slog.Attr) slog.Attr {
	if Secret(a.Key) {
		return slog.String(a.Key, Value)
	}
	return a
}
