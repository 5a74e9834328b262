package job

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/step"
)

// Objects is the s3:// object namespace as the job kinds use it.
type Objects interface {
	// Import stores the object named by uri, or every object under the
	// prefix uri, as one artifact directory (keys relative to the prefix
	// become paths; a single object keeps its base name). A uri that names
	// nothing is an error that names the uri.
	Import(ctx context.Context, uri string) (artifact.Ref, error)
	// Publish writes every file under dir to the prefix uri.
	Publish(ctx context.Context, dir, uri string) error
}

// Runner holds what the job kinds share. Its zero value is not usable;
// fill Store-independent fields and keep one Runner per process.
type Runner struct {
	// Runtimes maps image URIs to local commands (nil: the defaults).
	Runtimes *imagemap.Map
	// Objects is the s3:// namespace (nil: only "sha256:" artifact
	// references are accepted as S3Uri, and outputs are not published).
	Objects Objects
	// SandboxMethod, when set, is the only /opt/ml method tried.
	SandboxMethod optml.Method
	// Environ is the environment a job process starts from (default: PATH,
	// HOME, LANG and the proxy-free basics of os.Environ()).
	Environ func() []string
	// Env is added to every job's environment (AWS_ENDPOINT_URL for the
	// object listener, for example).
	Env map[string]string
	// CacheDir holds unpacked model archives and XGBoost models converted
	// to JSON, by digest (default: a directory under os.TempDir()).
	CacheDir string
	// CacheArgsFunc, when set, picks the arguments of a job kind's step
	// that key the cache (definition.CacheArgs: SageMaker's own key
	// attributes, without output locations, job names and instance sizes);
	// the kinds' CacheArgs methods call it. Nil keys on every argument.
	CacheArgsFunc func(kind string, args map[string]any) map[string]any
	// ConfigErr, when set, is a configuration error (a bad ferry.yaml)
	// that every job reports instead of running.
	ConfigErr error

	once    sync.Once
	sandbox *optml.Sandbox
	sbErr   error
}

// Sandbox returns the /opt/ml sandbox, detected on first use.
func (r *Runner) Sandbox(ctx context.Context) (*optml.Sandbox, error) {
	r.once.Do(func() {
		r.sandbox, r.sbErr = optml.Detect(context.WithoutCancel(ctx), r.SandboxMethod)
	})
	if r.sbErr != nil {
		return nil, step.Permanent(r.sbErr)
	}
	return r.sandbox, nil
}

// baseEnv is the environment every job starts from.
func (r *Runner) baseEnv() []string {
	if r.Environ != nil {
		return r.Environ()
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "PATH", name == "HOME", name == "LANG", name == "TZ", name == "TMPDIR",
			strings.HasPrefix(name, "LC_"), strings.HasPrefix(name, "PYTHON"), strings.HasPrefix(name, "VIRTUAL_ENV"),
			strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "OMP_"), strings.HasPrefix(name, "OPENBLAS_"):
			env = append(env, kv)
		}
	}
	return env
}

// runtime returns the command that replaces a Python interpreter for image.
func (r *Runner) runtime(image string) (imagemap.Runtime, error) {
	if r.ConfigErr != nil {
		return imagemap.Runtime{}, step.Permanent(r.ConfigErr)
	}
	rt, err := r.Runtimes.Lookup(image)
	if err != nil {
		return rt, step.Permanent(err)
	}
	if !strings.ContainsRune(rt.Command[0], '/') {
		p, err := exec.LookPath(rt.Command[0])
		if err != nil {
			return rt, step.Permanent(fmt.Errorf("runtime for image %q (pattern %q): %s is not on PATH: %w", image, rt.Pattern, rt.Command[0], err))
		}
		rt.Command[0] = p
	}
	return rt, nil
}

var (
	pythonRE  = regexp.MustCompile(`^python(\d+(\.\d+)?)?$`)
	notNameRE = regexp.MustCompile(`[^A-Za-z0-9-]`)
)

// isPython reports whether argv0 names a Python interpreter (python,
// python3, python3.10, /usr/bin/python3, ...).
func isPython(argv0 string) bool {
	return pythonRE.MatchString(path.Base(argv0))
}

// entryArgv maps a container entrypoint to a local argv: a leading Python
// interpreter becomes the runtime's command; any other program is looked
// up on PATH as is.
func entryArgv(entry []string, rt imagemap.Runtime) ([]string, error) {
	if len(entry) == 0 {
		return nil, errors.New("no ContainerEntrypoint: Ferry runs script-mode images only (give the entry point, as ScriptProcessor and the framework processors do)")
	}
	if isPython(entry[0]) {
		return append(append([]string(nil), rt.Command...), entry[1:]...), nil
	}
	if entry[0] == "/bin/bash" || entry[0] == "bash" || entry[0] == "/bin/sh" || entry[0] == "sh" {
		return append([]string(nil), entry...), nil
	}
	if strings.HasSuffix(entry[0], ".py") {
		return append(append([]string(nil), rt.Command...), entry...), nil
	}
	return append([]string(nil), entry...), nil
}

// localPath turns a path under /opt/ml into a path under the job dir.
func localPath(jobDir, p string) (string, error) {
	clean := path.Clean(p)
	rel, ok := strings.CutPrefix(clean, optml.Root+"/")
	if !ok || rel == "" || strings.HasPrefix(rel, "../") || rel == ".." {
		return "", fmt.Errorf("LocalPath %q must be a directory under %s/", p, optml.Root)
	}
	return filepath.Join(jobDir, filepath.FromSlash(rel)), nil
}

// Resolve turns an S3Uri into a stored artifact: an s3:// URI is imported
// from the namespace; an artifact reference "sha256:<hex>" is used as it
// is, and "sha256:<hex>/path/inside" stores the file or directory at that
// path of the artifact as an artifact of its own.
func (r *Runner) Resolve(ctx context.Context, store artifact.Store, uri string) (artifact.Ref, error) {
	if r.ConfigErr != nil {
		return "", step.Permanent(r.ConfigErr)
	}
	if strings.HasPrefix(uri, "sha256:") {
		refStr, sub, _ := strings.Cut(uri, "/")
		ref, err := artifact.ParseRef(refStr)
		if err != nil {
			return "", step.Permanent(fmt.Errorf("%q: %w", uri, err))
		}
		if sub = strings.Trim(sub, "/"); sub == "" {
			return ref, nil
		}
		clean := path.Clean(sub)
		if clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return "", step.Permanent(fmt.Errorf("%q: the path leaves the artifact", uri))
		}
		dir, err := store.Path(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("%q: %w", uri, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(clean))
		st, err := os.Stat(p)
		if err != nil {
			return "", step.Permanent(fmt.Errorf("%q: no %s in artifact %s", uri, clean, ref.Short()))
		}
		if st.IsDir() {
			return store.PutDir(ctx, p)
		}
		return store.PutFile(ctx, p, filepath.Base(p))
	}
	if !strings.HasPrefix(uri, "s3://") {
		return "", step.Permanent(fmt.Errorf("%q: want an s3:// URI or an artifact reference", uri))
	}
	if r.Objects == nil {
		return "", step.Permanent(fmt.Errorf("%s: no object namespace is configured for s3:// URIs", uri))
	}
	ref, err := r.Objects.Import(ctx, uri)
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", uri, err)
	}
	return ref, nil
}

// contentKey is what identifies an S3Uri's content in a cache key without
// storing anything new: the reference (with its path) for an artifact,
// the imported reference for an s3:// URI.
func (r *Runner) contentKey(ctx context.Context, uri string) (string, error) {
	if strings.HasPrefix(uri, "sha256:") {
		return uri, nil
	}
	ref, err := r.Resolve(ctx, nil, uri)
	return string(ref), err
}

// publish writes dir to uri when the namespace is configured.
func (r *Runner) publish(ctx context.Context, dir, uri string) error {
	if r.Objects == nil || !strings.HasPrefix(uri, "s3://") {
		return nil
	}
	if err := r.Objects.Publish(ctx, dir, uri); err != nil {
		return fmt.Errorf("publishing %s: %w", uri, err)
	}
	return nil
}

// copyTree copies the tree at src into dst (created), with writable modes:
// the job may modify its copy, never the artifact store.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, target)
		}
		return nil // links and specials are not part of artifacts
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// packTarGz writes the tree at dir as a gzipped tar at dst, with sorted
// entries and fixed times so the same tree gives the same bytes (and the
// same artifact digest).
func packTarGz(dir, dst string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && (d.IsDir() || d.Type().IsRegular()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	sort.Strings(files)
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			f.Close()
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if fi.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			f.Close()
			return err
		}
		if fi.IsDir() {
			continue
		}
		in, err := os.Open(p)
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(tw, in)
		in.Close()
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ExtractTarGz unpacks the gzipped tar at src into dir, refusing entries
// that would land outside it.
func ExtractTarGz(src, dir string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(src), err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Base(src), err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("reading %s: entry %q leaves the directory", filepath.Base(src), hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644|os.FileMode(hdr.Mode)&0o111)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return fmt.Errorf("extracting %s: %w", hdr.Name, err)
			}
			if err := out.Close(); err != nil {
				return err
			}
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jobName is the deterministic name of a job run by a pipeline step:
// the same on every attempt, so a retry overwrites its own outputs.
func jobName(given string, req step.Request) string {
	if given != "" {
		return given
	}
	exec := req.ExecutionID
	if len(exec) > 12 {
		exec = exec[:12]
	}
	name := "pipelines-" + exec + "-" + req.StepName
	name = notNameRE.ReplaceAllString(name, "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

func numCPU() int { return runtime.NumCPU() }

// cacheArgs is the kinds' CacheArgs: Runner.CacheArgsFunc, or args.
func (r *Runner) cacheArgs(kind string, args map[string]any) map[string]any {
	if r == nil || r.CacheArgsFunc == nil {
		return args
	}
	return r.CacheArgsFunc(kind, args)
}

// CacheArgs returns the arguments that key the cache (step.CacheArgser).
func (p *Processing) CacheArgs(args map[string]any) map[string]any {
	return p.R.cacheArgs(ProcessingID, args)
}

// CacheArgs returns the arguments that key the cache (step.CacheArgser).
func (t *Training) CacheArgs(args map[string]any) map[string]any {
	return t.R.cacheArgs(TrainingID, args)
}
