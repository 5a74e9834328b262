package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// cmdHelp is `ferry help [COMMAND [SUBCOMMAND]]`: the command list, or a
// command's usage and flags (what `ferry COMMAND --help` prints), on stdout.
func cmdHelp(ctx context.Context, m *Main, args []string) error {
	cmds := m.commands()
	if len(args) == 0 {
		m.usage(cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return &exitError{2, fmt.Sprintf("unknown command %q (ferry help lists the commands)", args[0])}
	}
	// Usage goes where the flag sets print it (m.Stderr); help is asked
	// for, so it goes to stdout.
	stderr := m.Stderr
	m.Stderr = m.Stdout
	defer func() { m.Stderr = stderr }()
	if err := c.run(ctx, m, append(slices.Clone(args[1:]), "--help")); err != nil && !isHelp(err) {
		return err
	}
	return nil
}

// completionScripts are the shell scripts `ferry completion SHELL`
// prints. Each asks `ferry __complete WORD...` (the words of the command
// line so far, the one being completed last) for candidates, and falls
// back to file names when there are none.
var completionShells = []string{"bash", "fish", "zsh"}

func completionScript(shell string) (string, bool) {
	switch shell {
	case "bash":
		return `# bash completion for ferry; load with: source <(ferry completion bash)
_ferry() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local words=($(ferry __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
    if [ ${#words[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -W "${words[*]}" -- "$cur"))
    fi
}
complete -o filenames -F _ferry ferry
`, true
	case "zsh":
		return `#compdef ferry
# zsh completion for ferry; load with: source <(ferry completion zsh)
_ferry() {
    local -a words_
    words_=("${(@f)$(ferry __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ -z "${words_[*]}" ]]; then
        _files
    else
        compadd -- "${words_[@]}"
    fi
}
if [[ "$funcstack[1]" = "_ferry" ]]; then _ferry "$@"; else compdef _ferry ferry; fi
`, true
	case "fish":
		return `# fish completion for ferry; load with: ferry completion fish | source
function __ferry_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l out (ferry __complete $words 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out
    end
end
complete -c ferry -f -a '(__ferry_complete)'
`, true
	}
	return "", false
}

// cmdCompletion is `ferry completion bash|zsh|fish`.
func cmdCompletion(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("completion", "bash|zsh|fish")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{2, "want one shell: bash, zsh or fish"}
	}
	s, ok := completionScript(fs.Arg(0))
	if !ok {
		return &exitError{2, fmt.Sprintf("unknown shell %q: want bash, zsh or fish", fs.Arg(0))}
	}
	fmt.Fprint(m.Stdout, s)
	return nil
}

// cmdComplete is the hidden `ferry __complete WORD...`: it prints the
// candidates for the last word, one a line, read from the commands' own
// usage so they never drift from the flags: command names, subcommands
// (from "Usage: ferry CMD SUB" lines) and flags ("--name"). It prints
// nothing when a file name is expected.
func cmdComplete(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		args = []string{""}
	}
	cur, prev := args[len(args)-1], args[:len(args)-1]
	cmds := m.commands()
	var out []string
	switch {
	case len(prev) == 0:
		for n := range cmds {
			out = append(out, n)
		}
	case prev[0] == "help" && len(prev) == 1:
		for n := range cmds {
			out = append(out, n)
		}
	case prev[0] == "completion" && len(prev) == 1:
		out = completionShells
	default:
		c, ok := cmds[prev[0]]
		if !ok {
			return nil
		}
		usage := helpText(ctx, m, c, prev[1:])
		subs := subcommands(prev[0], usage)
		if len(prev) == 1 && !strings.HasPrefix(cur, "-") && len(subs) > 0 {
			out = subs
			break
		}
		if strings.HasPrefix(cur, "-") {
			if len(prev) > 1 && slices.Contains(subs, prev[1]) {
				usage = helpText(ctx, m, c, prev[1:2])
			}
			out = flagNames(usage)
		}
	}
	sort.Strings(out)
	for _, s := range out {
		if strings.HasPrefix(s, cur) {
			fmt.Fprintln(m.Stdout, s)
		}
	}
	return nil
}

// helpText returns what `ferry CMD SUB... --help` prints.
func helpText(ctx context.Context, m *Main, c command, sub []string) string {
	var b bytes.Buffer
	h := NewMain(nil, &b, &b, m.Getenv)
	defer h.Close()
	_ = c.run(ctx, h, append(slices.Clone(sub), "--help"))
	return b.String()
}

// subcommands parses "Usage: ferry CMD SUB ..." lines (with "a|b" for
// alternatives) into SUB names.
func subcommands(cmd, usage string) []string {
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "Usage:"))
		rest, ok := strings.CutPrefix(l, "ferry "+cmd+" ")
		if !ok {
			continue
		}
		word, _, _ := strings.Cut(rest, " ")
		for _, w := range strings.Split(word, "|") {
			if w != "" && strings.ToLower(w) == w && !strings.HasPrefix(w, "-") && !strings.ContainsAny(w, "[]=.") && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// flagNames parses flag.PrintDefaults output ("  -name type") into
// "--name".
func flagNames(usage string) []string {
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		rest, ok := strings.CutPrefix(l, "  -")
		if !ok || rest == "" {
			continue
		}
		// "  -name value\t..." or, for a one-letter boolean, "  -f\t...".
		name := rest
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			name = rest[:i]
		}
		flag := "--" + name
		if len(name) == 1 {
			flag = "-" + name
		}
		if !slices.Contains(out, flag) {
			out = append(out, flag)
		}
	}
	return out
}
