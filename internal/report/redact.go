package report

import "strings"

// Redacted replaces a secret value in a recorded command line.
const Redacted = "REDACTED"

// secretWords are the parts of a flag name that mark its value as secret.
var secretWords = []string{"key", "token", "secret", "password", "passwd", "credential"}

// RedactArgs returns a copy of a command line with the value of every flag
// whose name suggests a secret (it contains key, token, secret, password,
// passwd or credential, in any case) replaced by [Redacted], in both the
// --flag=value and the --flag value forms (one or two dashes). In the second
// form the next argument is taken as the value unless it starts with "--":
// when in doubt, redacting too much is the safe side.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		name, hasValue, ok := flagName(out[i])
		if !ok || !secretName(name) {
			continue
		}
		if hasValue {
			out[i] = out[i][:strings.IndexByte(out[i], '=')+1] + Redacted
			continue
		}
		if i+1 < len(out) && !strings.HasPrefix(out[i+1], "--") {
			i++
			out[i] = Redacted
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

func secretName(name string) bool {
	name = strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}
