// Package imagemap maps SageMaker container image URIs to local runtimes:
// the interpreter or command that runs a job's code in place of the
// container. A script-mode job on the scikit-learn, XGBoost or PyTorch
// framework image runs its entry point with the mapped Python; an image
// with no mapping is an *[UnmappedError] that says how to map one.
//
// Patterns are shell-style globs over the whole URI where * also matches
// '/' and ':' ("*sagemaker-xgboost*"). Rules are tried in order, the
// configured ones first, then the defaults ([Defaults]): the SageMaker
// framework images run with python3 found on PATH.
package imagemap

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Rule maps the images whose URI matches Pattern to Command.
type Rule struct {
	Pattern string   `json:"image" yaml:"image"`
	Command []string `json:"command" yaml:"command"`
}

// Runtime is the command chosen for one image, recorded in the step record.
type Runtime struct {
	Image   string   `json:"image"`
	Pattern string   `json:"pattern"`
	Command []string `json:"command"`
	// Source is "config" for a configured rule, "default" otherwise.
	Source string `json:"source"`
}

// Map is an ordered list of rules. The zero value maps nothing but the
// defaults.
type Map struct {
	rules []Rule
	// defaults are tried after rules.
	defaults []Rule
}

// Defaults are the built-in rules: every SageMaker framework image whose
// code is Python runs with python3 from PATH.
func Defaults() []Rule {
	py := []string{"python3"}
	return []Rule{
		{Pattern: "*sagemaker-scikit-learn*", Command: py},
		{Pattern: "*sagemaker-xgboost*", Command: py},
		{Pattern: "*pytorch-training*", Command: py},
		{Pattern: "*pytorch-inference*", Command: py},
		{Pattern: "*tensorflow-training*", Command: py},
		{Pattern: "*tensorflow-inference*", Command: py},
		{Pattern: "*huggingface-pytorch*", Command: py},
		{Pattern: "*sagemaker-base-python*", Command: py},
		{Pattern: "*sagemaker-clarify-processing*", Command: py},
		{Pattern: "*lambda/python*", Command: py},
	}
}

// New returns a map of the rules, then the defaults.
func New(rules []Rule) (*Map, error) {
	var errs []error
	for i, r := range rules {
		if r.Pattern == "" {
			errs = append(errs, fmt.Errorf("runtimes[%d]: image pattern is empty", i))
		} else if _, err := path.Match(strings.ReplaceAll(r.Pattern, "/", "_"), ""); err != nil {
			errs = append(errs, fmt.Errorf("runtimes[%d]: image pattern %q: %w", i, r.Pattern, err))
		}
		if len(r.Command) == 0 || r.Command[0] == "" {
			errs = append(errs, fmt.Errorf("runtimes[%d] (%s): command is empty", i, r.Pattern))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Map{rules: rules, defaults: Defaults()}, nil
}

// ParseFlag parses a --runtime flag value "PATTERN=COMMAND [ARGS...]".
func ParseFlag(s string) (Rule, error) {
	pat, cmd, ok := strings.Cut(s, "=")
	if !ok || pat == "" || strings.TrimSpace(cmd) == "" {
		return Rule{}, fmt.Errorf("runtime %q: want IMAGE_PATTERN=COMMAND, for example '*sagemaker-xgboost*=/opt/py/bin/python3'", s)
	}
	return Rule{Pattern: pat, Command: strings.Fields(cmd)}, nil
}

// UnmappedError is an image that no rule matches.
type UnmappedError struct{ Image string }

func (e *UnmappedError) Error() string {
	p := suggestPattern(e.Image)
	return fmt.Sprintf("no runtime is mapped for image %q: map one with --runtime '%s=/usr/bin/python3' (ferry run, validate, resume), "+
		"FERRY_RUNTIMES='%s=/usr/bin/python3', or in $FERRY_HOME/ferry.yaml (runtimes: [{image: \"%s\", command: [/usr/bin/python3]}])",
		e.Image, p, p, p)
}

// suggestPattern turns an ECR URI into a pattern on its repository name.
func suggestPattern(image string) string {
	repo := image
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	if i := strings.IndexAny(repo, ":@"); i >= 0 {
		repo = repo[:i]
	}
	if repo == "" {
		return image
	}
	return "*" + repo + "*"
}

// Lookup returns the runtime of image, or an *UnmappedError.
func (m *Map) Lookup(image string) (Runtime, error) {
	if m == nil {
		m = &Map{defaults: Defaults()}
	}
	for _, set := range []struct {
		rules  []Rule
		source string
	}{{m.rules, "config"}, {m.defaults, "default"}} {
		for _, r := range set.rules {
			if Match(r.Pattern, image) {
				return Runtime{Image: image, Pattern: r.Pattern, Command: append([]string(nil), r.Command...), Source: set.source}, nil
			}
		}
	}
	return Runtime{}, &UnmappedError{Image: image}
}

// Match reports whether image matches the glob pattern, where * matches
// any run of characters, '/' included.
func Match(pattern, image string) bool {
	// path.Match stops * at '/': match with '/' replaced on both sides.
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(image, "/", "\x00"))
	return err == nil && ok
}

// IsBuiltinXGBoost reports whether image is SageMaker's XGBoost image
// (used both as the built-in algorithm and as the framework image).
func IsBuiltinXGBoost(image string) bool {
	return Match("*sagemaker-xgboost*", image) || Match("*/xgboost:*", image)
}
