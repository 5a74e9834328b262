// Package lambda runs a SageMaker pipeline's Lambda steps locally: a
// function registered with Ferry (a code directory or zip and a handler
// "module.func") runs in a Python process under the Lambda handler
// contract, handler(event, context), where the event is the step's
// Arguments and the returned object's keys are its OutputParameters.
//
// Functions are kept in a directory ([Functions]): one folder per function
// name holding function.json and the unpacked code. A step names its
// function by FunctionArn (arn:aws:lambda:REGION:ACCOUNT:function:NAME,
// with an optional :VERSION or :ALIAS) or by bare name.
package lambda

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Function is a registered function.
type Function struct {
	Name    string `json:"FunctionName"`
	Handler string `json:"Handler"`
	// Runtime is Lambda's runtime name (python3.12); it selects the
	// interpreter through the image map (public.ecr.aws/lambda/python:3.12).
	Runtime     string            `json:"Runtime"`
	Timeout     int               `json:"Timeout"` // seconds
	MemorySize  int               `json:"MemorySize"`
	Environment map[string]string `json:"Environment,omitempty"`
	// CodeDir is where the unpacked code lives (not stored).
	CodeDir string `json:"-"`
}

// Image is the Lambda base image URI that the runtime is mapped from.
func (f Function) Image() string {
	v := strings.TrimPrefix(f.Runtime, "python")
	if v == "" || v == f.Runtime {
		v = "3"
	}
	return "public.ecr.aws/lambda/python:" + v
}

// Functions is a directory of registered functions.
type Functions struct{ Dir string }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ErrNotFound is a function that is not registered.
var ErrNotFound = errors.New("lambda function not registered")

// Register stores a function: code is a directory or a .zip of the
// function's code; handler is "module.func". Registering a name again
// replaces it.
func (fns *Functions) Register(f Function, code string) error {
	if !nameRE.MatchString(f.Name) {
		return fmt.Errorf("registering lambda function %q: names use letters, digits, - and _ (at most 64)", f.Name)
	}
	i := strings.LastIndexByte(f.Handler, '.')
	if i <= 0 || i == len(f.Handler)-1 {
		return fmt.Errorf("registering lambda function %q: handler %q: want module.function (lambda_deployer.lambda_handler)", f.Name, f.Handler)
	}
	if f.Runtime == "" {
		f.Runtime = "python3"
	}
	if f.Timeout <= 0 {
		f.Timeout = 900
	}
	if f.MemorySize <= 0 {
		f.MemorySize = 128
	}
	final := filepath.Join(fns.Dir, f.Name)
	tmp := final + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "code"), 0o755); err != nil {
		return fmt.Errorf("registering lambda function %q: %w", f.Name, err)
	}
	st, err := os.Stat(code)
	if err != nil {
		return fmt.Errorf("registering lambda function %q: code: %w", f.Name, err)
	}
	if st.IsDir() {
		err = copyDir(code, filepath.Join(tmp, "code"))
	} else {
		err = unzip(code, filepath.Join(tmp, "code"))
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("registering lambda function %q: code %s: %w", f.Name, code, err)
	}
	mod := strings.ReplaceAll(f.Handler[:i], ".", "/")
	if _, err := os.Stat(filepath.Join(tmp, "code", filepath.FromSlash(mod)+".py")); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("registering lambda function %q: handler %q: no %s.py in the code", f.Name, f.Handler, mod)
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "function.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// NameFromARN returns the function name in a FunctionArn (or a bare name).
func NameFromARN(arn string) string {
	if i := strings.Index(arn, ":function:"); i >= 0 {
		name := arn[i+len(":function:"):]
		name, _, _ = strings.Cut(name, ":") // version or alias
		return name
	}
	return arn
}

// Get returns the function named by name or ARN.
func (fns *Functions) Get(nameOrARN string) (Function, error) {
	name := NameFromARN(nameOrARN)
	if !nameRE.MatchString(name) {
		return Function{}, fmt.Errorf("lambda function %q: %w", nameOrARN, ErrNotFound)
	}
	dir := filepath.Join(fns.Dir, name)
	b, err := os.ReadFile(filepath.Join(dir, "function.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Function{}, fmt.Errorf("lambda function %q: %w with Ferry (register it, or create it through the Lambda API)", name, ErrNotFound)
	}
	if err != nil {
		return Function{}, err
	}
	var f Function
	if err := json.Unmarshal(b, &f); err != nil {
		return Function{}, fmt.Errorf("reading lambda function %q: %w", name, err)
	}
	f.CodeDir = filepath.Join(dir, "code")
	return f, nil
}

// List returns the registered functions.
func (fns *Functions) List() ([]Function, error) {
	entries, err := os.ReadDir(fns.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Function
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		f, err := fns.Get(e.Name())
		if err != nil {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func unzip(src, dst string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := path.Clean(f.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("entry %q leaves the directory", f.Name)
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.Create(target)
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(out, rc)
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
