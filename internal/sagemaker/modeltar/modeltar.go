// Package modeltar loads the models SageMaker users have, packed as
// model.tar.gz, for Ferry's serving layer:
//
//   - an XGBoost model (xgboost-model, as SageMaker's XGBoost container and
//     the tutorial's joblib.dump write it) is served natively in Go. JSON is
//     read directly; UBJSON, the deprecated binary format and a pickle or
//     joblib dump of a Booster (or of an XGBoost scikit-learn model) are
//     converted once to JSON by the mapped Python's xgboost (convert.py),
//     and the JSON is cached by the model file's SHA-256, so the next load
//     does not start Python;
//   - a framework model with an inference.py (code/inference.py, as the
//     SageMaker inference toolkit finds it) is served by a pool of Python
//     worker processes ([inference.Pool]).
//
// The archive is unpacked once per content digest into the cache.
package modeltar

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/sagemaker/inference"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/serving"
)

//go:embed convert.py
var convertScript []byte

// ModelFile is the name SageMaker's XGBoost container gives the model.
const ModelFile = "xgboost-model"

// Loader loads model.tar.gz artifacts. It is safe for concurrent use.
type Loader struct {
	// Python is the interpreter (and arguments) that converts non-JSON
	// XGBoost models and runs inference.py workers: the runtime mapped to
	// the model's image.
	Python []string
	// CacheDir holds unpacked archives (unpacked/<sha256>/) and converted
	// models (xgboost-json/<sha256>.json). Required.
	CacheDir string
	// Workers is the inference.py pool size (default 2).
	Workers int
	// Environment is the model container's environment: SAGEMAKER_PROGRAM
	// names the inference script (default inference.py); all of it is
	// given to the workers.
	Environment map[string]string
	Logger      *slog.Logger

	mu sync.Mutex // serializes unpacking and conversion of one digest
}

// Format is an XGBoost model file's format.
type Format string

// The formats Detect tells apart.
const (
	FormatJSON   Format = "json"
	FormatUBJSON Format = "ubjson"
	FormatPickle Format = "pickle" // pickle or joblib
	FormatBinary Format = "binary" // XGBoost's deprecated binary format
)

// Detect tells an XGBoost model file's format from its first bytes.
func Detect(head []byte) Format {
	switch {
	case len(head) == 0:
		return FormatBinary
	case head[0] == 0x80, bytes.HasPrefix(head, []byte("ZF\x00")):
		return FormatPickle
	case head[0] == 'x' && len(head) > 1 && (head[1] == 0x9c || head[1] == 0x01 || head[1] == 0xda || head[1] == '^'):
		return FormatPickle // a zlib-compressed joblib dump
	}
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		if len(t) == 1 || strings.ContainsRune("\" \t\r\n}", rune(t[1])) {
			return FormatJSON
		}
		return FormatUBJSON
	}
	return FormatBinary
}

// Load loads the model in dir: a directory holding model.tar.gz (an
// artifact), or an already unpacked model directory.
func (l *Loader) Load(ctx context.Context, dir string) (*serving.Model, error) {
	root, err := l.unpacked(dir)
	if err != nil {
		return nil, err
	}
	return l.load(ctx, root)
}

// LoadArchive loads the model in a model.tar.gz file (of any name), as
// SageMaker's container for the image would: it is unpacked once per
// content digest into the cache, and nothing else is left behind.
func (l *Loader) LoadArchive(ctx context.Context, tgz string) (*serving.Model, error) {
	root, err := l.unpackedArchive(tgz)
	if err != nil {
		return nil, err
	}
	return l.load(ctx, root)
}

// load loads the unpacked model in root.
func (l *Loader) load(ctx context.Context, root string) (*serving.Model, error) {
	program := "inference.py"
	if p := l.Environment["SAGEMAKER_PROGRAM"]; p != "" && filepath.IsLocal(p) {
		program = p
	}
	var env []string
	for k, v := range l.Environment {
		env = append(env, k+"="+v)
	}
	for _, p := range []string{filepath.Join(root, "code", program), filepath.Join(root, program)} {
		if _, err := os.Stat(p); err == nil {
			pool, err := inference.Start(ctx, inference.Config{Python: l.Python, ModelDir: root, CodeDir: filepath.Dir(p), Program: program,
				Env: env, Workers: l.Workers, Logger: l.Logger})
			if err != nil {
				return nil, err
			}
			return &serving.Model{Invoker: pool}, nil
		}
	}
	mf := filepath.Join(root, ModelFile)
	if _, err := os.Stat(mf); err != nil {
		return nil, fmt.Errorf("loading model.tar.gz: it holds neither %s nor code/%s", ModelFile, program)
	}
	m, err := l.LoadXGBoost(ctx, mf)
	if err != nil {
		return nil, err
	}
	return &serving.Model{Predictor: m, FeatureNames: m.FeatureNames}, nil
}

// unpacked returns the directory holding the model's files.
func (l *Loader) unpacked(dir string) (string, error) {
	tgz := filepath.Join(dir, "model.tar.gz")
	if _, err := os.Stat(tgz); err != nil {
		return dir, nil // already unpacked
	}
	return l.unpackedArchive(tgz)
}

// unpackedArchive returns the directory holding the files of the archive
// tgz, unpacking it into the cache when it is not there yet.
func (l *Loader) unpackedArchive(tgz string) (string, error) {
	sum, err := fileSHA256(tgz)
	if err != nil {
		return "", fmt.Errorf("reading model.tar.gz: %w", err)
	}
	dst := filepath.Join(l.CacheDir, "unpacked", sum)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	tmp := dst + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	if err := job.ExtractTarGz(tgz, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("unpacking model.tar.gz: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// LoadXGBoost loads an XGBoost model file of any format, converting it to
// JSON through Python once (cached by digest) unless it is JSON already.
func (l *Loader) LoadXGBoost(ctx context.Context, path string) (*gbdt.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	f.Close()
	format := Detect(head[:n])
	jsonPath := path
	if format != FormatJSON {
		if jsonPath, err = l.convert(ctx, path, format); err != nil {
			return nil, err
		}
	}
	jf, err := os.Open(jsonPath)
	if err != nil {
		return nil, err
	}
	defer jf.Close()
	m, err := gbdt.ReadModel(jf)
	if err != nil {
		return nil, fmt.Errorf("reading %s (%s): %w", filepath.Base(path), format, err)
	}
	return m, nil
}

// convert returns the cached JSON of the model file, converting it first
// when the cache does not hold it.
func (l *Loader) convert(ctx context.Context, path string, format Format) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	out := filepath.Join(l.CacheDir, "xgboost-json", sum+".json")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if len(l.Python) == 0 {
		return "", fmt.Errorf("converting %s (%s) to JSON: no Python runtime is mapped for the model's image", filepath.Base(path), format)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	script := filepath.Join(l.CacheDir, "convert.py")
	l.mu.Lock()
	if b, err := os.ReadFile(script); err != nil || !bytes.Equal(b, convertScript) {
		err = os.WriteFile(script, convertScript, 0o644)
		if err != nil {
			l.mu.Unlock()
			return "", err
		}
	}
	l.mu.Unlock()
	args := append(append(append([]string(nil), l.Python[1:]...), script), path, out)
	cmd := exec.CommandContext(ctx, l.Python[0], args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(stderr.String())
		if len(tail) > 800 {
			tail = "…" + tail[len(tail)-800:]
		}
		return "", fmt.Errorf("converting %s (%s) to JSON with %s's xgboost: %w: %s", filepath.Base(path), format, l.Python[0], err, tail)
	}
	if _, err := os.Stat(out); err != nil {
		return "", fmt.Errorf("converting %s: %s wrote no JSON", filepath.Base(path), l.Python[0])
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteFerryModel writes, into dst, Ferry's model directory for the XGBoost
// model in a model.tar.gz directory (ferry-model.json and model.json), so
// Ferry's own kinds (clarify_check, transform, deploy) load it natively.
// ok is false when the archive holds no xgboost-model (an inference.py
// model).
func (l *Loader) WriteFerryModel(ctx context.Context, dir, dst string) (bool, error) {
	root, err := l.unpacked(dir)
	if err != nil {
		return false, err
	}
	mf := filepath.Join(root, ModelFile)
	if _, err := os.Stat(mf); err != nil {
		return false, nil
	}
	m, err := l.LoadXGBoost(ctx, mf)
	if err != nil {
		return true, err
	}
	names := m.FeatureNames
	if len(names) != m.NumFeature {
		names = make([]string, m.NumFeature)
		for i := range names {
			names[i] = fmt.Sprintf("f%d", i)
		}
	}
	types := make([]string, len(names))
	for i := range types {
		types[i] = "float"
	}
	man := model.Manifest{Flavor: model.FlavorXGBoost, ModelFile: model.XGBoostModelFile, Objective: m.Objective,
		Task: model.XGBoostTask(m.Objective), NumClass: m.NumClass, FeatureNames: names, FeatureTypes: types,
		Training: map[string]any{"source": "SageMaker model.tar.gz (" + ModelFile + ")"}}
	return true, model.Write(dst, man, m.WriteJSON)
}
