package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHelpCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"List", []string{"help"}, 0, "Commands:", ""},
		{"Command", []string{"help", "run"}, 0, "Usage: ferry run FILE", ""},
		{"Subcommand", []string{"help", "models", "approve"}, 0, "-reason", ""},
		{"Completion", []string{"help", "completion"}, 0, "Usage: ferry completion bash|zsh|fish", ""},
		{"Unknown", []string{"help", "nope"}, 2, "", `unknown command "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			res := ferry(t, context.Background(), home, tc.args...)
			if res.code != tc.wantCode || !strings.Contains(res.stdout, tc.wantOut) || !strings.Contains(res.stderr, tc.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", res.code, res.stdout, res.stderr, tc.wantCode, tc.wantOut, tc.wantErr)
			}
			if _, err := os.Stat(home); err == nil {
				t.Errorf("help created FERRY_HOME")
			}
		})
	}
}

func TestComplete(t *testing.T) {
	t.Parallel()
	var all []string
	for n := range (&Main{}).commands() {
		all = append(all, n)
	}
	sort.Strings(all)
	tests := []struct {
		name  string
		words []string
		want  []string
	}{
		{"Commands", []string{""}, all},
		{"CommandPrefix", []string{"ex"}, []string{"executions"}},
		{"Subcommands", []string{"models", ""}, []string{"approve", "events", "groups", "list", "register", "reject", "show"}},
		{"SubcommandPrefix", []string{"endpoints", "d"}, []string{"delete", "deploy"}},
		{"Flags", []string{"run", "--n"}, []string{"--namespace", "--no-cache"}},
		{"SubcommandFlags", []string{"models", "approve", "fraud/1", "--"}, []string{"--by", "--reason"}},
		{"FileExpected", []string{"run", "pipe"}, nil},
		{"Shells", []string{"completion", ""}, []string{"bash", "fish", "zsh"}},
		{"HelpTopics", []string{"help", "st"}, []string{"steps", "stop"}},
		{"UnknownCommand", []string{"nope", ""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := ferry(t, context.Background(), filepath.Join(t.TempDir(), "home"), append([]string{"__complete"}, tc.words...)...)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			got := strings.Fields(res.stdout)
			if diff := cmp.Diff(tc.want, got); diff != "" && !(len(tc.want) == 0 && len(got) == 0) {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompletionScripts checks each script's syntax with its shell (when
// installed) and, for bash, runs the completion function against the
// real command.
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A `ferry` on PATH that is this test binary acting as ferry.
	wrapper := "#!/bin/sh\n" + envRunAsFerry + "=1 FERRY_HOME=" + filepath.Join(dir, "home") + " exec " + os.Args[0] + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "ferry"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			res := ferry(t, context.Background(), filepath.Join(dir, "home"), "completion", shell)
			if res.code != 0 || !strings.Contains(res.stdout, "__complete") {
				t.Fatalf("exit %d, %q", res.code, res.stdout)
			}
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s not installed", shell)
			}
			script := filepath.Join(dir, "ferry."+shell)
			if err := os.WriteFile(script, []byte(res.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, "-n", script).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", shell, err, out)
			}
			var run *exec.Cmd
			switch shell {
			case "bash":
				run = exec.Command(path, "-c", `source "$1"; COMP_WORDS=(ferry models ap); COMP_CWORD=2; _ferry; printf '%s\n' "${COMPREPLY[@]}"`, "bash", script)
			case "fish":
				run = exec.Command(path, "-c", `source $argv[1]; complete -C "ferry models ap"`, script)
			default:
				return // zsh's completion system needs an interactive shell
			}
			run.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
			out, err := run.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "approve" {
				t.Errorf("%s completion of `ferry models ap`: %q, %v; want approve", shell, out, err)
			}
		})
	}
	if res := ferry(t, context.Background(), filepath.Join(dir, "home"), "completion", "tcsh"); res.code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", res.code)
	}
}

// TestCLIDocsMatchTheCommands keeps docs/cli.md true to the binary: every
// command has a row in the command table and a section, every usage line
// that `--help` prints appears verbatim, and every flag is mentioned.
func TestCLIDocsMatchTheCommands(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	cmds := (&Main{}).commands()
	rowRE := regexp.MustCompile("(?m)^\\| \\[`([a-z0-9-]+)`\\]\\(#ferry-[a-z0-9-]+\\) \\|")
	var rows []string
	for _, m := range rowRE.FindAllStringSubmatch(doc, -1) {
		rows = append(rows, m[1])
	}
	for name := range cmds {
		if !slices.Contains(rows, name) {
			t.Errorf("docs/cli.md: command %s has no row in the command table", name)
		}
		section := sectionOf(doc, name)
		if section == "" {
			t.Errorf("docs/cli.md: command %s has no section \"### `ferry %s`\"", name, name)
			continue
		}
		if name == "help" {
			continue
		}
		res := ferry(t, context.Background(), filepath.Join(t.TempDir(), "home"), name, "--help")
		if res.code != 0 {
			t.Errorf("ferry %s --help: exit %d", name, res.code)
		}
		usage := res.stderr
		for _, l := range strings.Split(usage, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(l, "Usage:"))
			if strings.HasPrefix(l, "ferry ") && !strings.Contains(doc, l) {
				t.Errorf("docs/cli.md lacks the usage line %q", l)
			}
		}
		subs := subcommands(name, usage)
		flags := flagNames(usage)
		for _, s := range subs {
			flags = append(flags, flagNames(helpText(context.Background(), NewMain(nil, nil, nil, func(string) string { return "" }), cmds[name], []string{s}))...)
		}
		for _, f := range flags {
			if !strings.Contains(section, "`"+f) && !strings.Contains(section, "`-"+strings.TrimPrefix(f, "--")) {
				t.Errorf("docs/cli.md: section of %s does not document %s", name, f)
			}
		}
	}
	for _, r := range rows {
		if _, ok := cmds[r]; !ok {
			t.Errorf("docs/cli.md documents %s, which is not a command", r)
		}
	}
}

// sectionOf returns the text of the first section whose heading (level
// 2 to 4) ends with "`ferry NAME`", up to the next heading of the same
// or a higher level.
func sectionOf(doc, name string) string {
	head := regexp.MustCompile("(?m)^(#{2,4}) [^\n]*`ferry " + regexp.QuoteMeta(name) + "`[ \t]*$")
	loc := head.FindStringSubmatchIndex(doc)
	if loc == nil {
		return ""
	}
	level := loc[3] - loc[2]
	rest := doc[loc[1]:]
	next := regexp.MustCompile(fmt.Sprintf(`(?m)^#{1,%d} `, level))
	if i := next.FindStringIndex(rest); i != nil {
		rest = rest[:i[0]]
	}
	return rest
}

// TestExitStatusAsDocumented runs examples of each row of docs/cli.md's
// exit status table.
func TestExitStatusAsDocumented(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, 0},
		{[]string{"help"}, 0},
		{[]string{"help", "logs"}, 0},
		{[]string{"run", "--help"}, 0},
		{[]string{"version"}, 0},
		{[]string{"logs", "e-none", "s"}, 1},
		{[]string{"validate", "/nonexistent.yaml"}, 1},
		{[]string{"models", "show", "g/9"}, 1},
		{[]string{}, 2},
		{[]string{"nope"}, 2},
		{[]string{"logs"}, 2},
		{[]string{"run", "--bogus", "x.yaml"}, 2},
		{[]string{"run", "-p", "word", "x.yaml"}, 2},
		{[]string{"executions", "--output", "yaml"}, 2},
		{[]string{"predict", "--margin", "--contribs", "--model", "m", "--data", "d"}, 2},
		{[]string{"models", "approve", "g/1"}, 2},
		{[]string{"completion", "tcsh"}, 2},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			t.Parallel()
			res := ferry(t, context.Background(), filepath.Join(t.TempDir(), "home"), tc.args...)
			if res.code != tc.want {
				t.Errorf("ferry %v: exit %d, want %d\nstderr: %s", tc.args, res.code, tc.want, res.stderr)
			}
		})
	}
}
