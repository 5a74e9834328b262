package job_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// benchRunner maps the framework images to /bin/sh, so the user's process
// is a shell script that exits at once: the job's wall time is then
// Ferry's overhead (inputs copied, /opt/ml sandbox set up, outputs stored
// and published, packing) plus one sh start.
func benchRunner(b *testing.B, method optml.Method) (*steptest.Bundle, *fakeObjects, *job.Runner) {
	b.Helper()
	if _, err := optml.Detect(b.Context(), method); err != nil {
		b.Skip(err)
	}
	m, err := imagemap.New([]imagemap.Rule{{Pattern: "*sagemaker-*", Command: []string{"/bin/sh"}}})
	if err != nil {
		b.Fatal(err)
	}
	bundle := steptest.New(b)
	objs := newFakeObjects(bundle.Store)
	var csv strings.Builder
	for range 5000 {
		csv.WriteString("0,1,2,3,4,5,6,7,8,9,")
		csv.WriteString(strings.Repeat("1.5,", 38))
		csv.WriteString("42\n")
	}
	objs.put("s3://bucket/raw/claims.csv", []byte(csv.String()))
	objs.put("s3://bucket/code/prep.py", []byte("cp /opt/ml/processing/input/data/claims.csv /opt/ml/processing/train/train.csv\necho '{\"auc\": 0.8}' > /opt/ml/processing/evaluation/evaluation.json\n"))
	objs.put("s3://bucket/code/sourcedir.tar.gz", tarGz(b, map[string]string{"train.sh": "echo model > /opt/ml/model/m.txt\necho 'validation-auc:0.81'\n"}))
	return bundle, objs, &job.Runner{Runtimes: m, Objects: objs, SandboxMethod: method}
}

// BenchmarkJobOverhead measures Ferry's own work per SageMaker job with a
// user process that does next to nothing (sh copying a 5000-row CSV): the
// time per op is an upper bound on Ferry's overhead, sandbox included;
// overhead-ms/op is the part outside the sandboxed process, and
// sandbox/<method> is the sandbox alone around /bin/true. The reference
// beside it is the start-up of the Python interpreter that real jobs run
// (python3 -c pass).
func BenchmarkJobOverhead(b *testing.B) {
	for _, method := range []optml.Method{optml.Bubblewrap, optml.Unshare} {
		b.Run("processing/"+string(method), func(b *testing.B) {
			bundle, _, r := benchRunner(b, method)
			k := &job.Processing{R: r}
			args := processingArgs("s3://bucket/code/prep.py", "s3://bucket/raw/claims.csv")
			var over, proc time.Duration
			for b.Loop() {
				env := bundle.Env(b)
				_, tm, err := k.RunTimed(b.Context(), env, step.Request{ExecutionID: "bench", StepName: "Prep", Args: args})
				if err != nil {
					b.Fatal(err)
				}
				over += tm.Overhead()
				proc += tm.Process
				os.RemoveAll(env.WorkDir)
			}
			b.ReportMetric(float64(over.Microseconds())/1000/float64(b.N), "overhead-ms/op")
			b.ReportMetric(float64(proc.Microseconds())/1000/float64(b.N), "process-ms/op")
		})
		b.Run("training/"+string(method), func(b *testing.B) {
			bundle, _, r := benchRunner(b, method)
			k := &job.Training{R: r}
			args := map[string]any{
				"AlgorithmSpecification": map[string]any{"TrainingImage": xgbImage},
				"OutputDataConfig":       map[string]any{"S3OutputPath": "s3://bucket/training_jobs"},
				"HyperParameters":        map[string]any{"num_round": "5", "sagemaker_program": `"train.sh"`, "sagemaker_submit_directory": `"s3://bucket/code/sourcedir.tar.gz"`},
				"InputDataConfig":        []any{map[string]any{"ChannelName": "train", "DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": "s3://bucket/raw/claims.csv"}}}},
			}
			var over, proc time.Duration
			for b.Loop() {
				env := bundle.Env(b)
				_, tm, err := k.RunTimed(b.Context(), env, step.Request{ExecutionID: "bench", StepName: "Train", Args: args})
				if err != nil {
					b.Fatal(err)
				}
				over += tm.Overhead()
				proc += tm.Process
				os.RemoveAll(env.WorkDir)
			}
			b.ReportMetric(float64(over.Microseconds())/1000/float64(b.N), "overhead-ms/op")
			b.ReportMetric(float64(proc.Microseconds())/1000/float64(b.N), "process-ms/op")
		})
	}
	for _, method := range []optml.Method{optml.Bubblewrap, optml.Unshare} {
		// The sandbox alone: /bin/true with a private /opt/ml.
		b.Run("sandbox/"+string(method), func(b *testing.B) {
			sb, err := optml.Detect(b.Context(), method)
			if err != nil {
				b.Skip(err)
			}
			dir := b.TempDir()
			for b.Loop() {
				if _, err := sb.Run(b.Context(), optml.Job{Dir: dir, Argv: []string{"/bin/true"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("reference/python3-start", func(b *testing.B) {
		py := "/usr/bin/python3" // Debian's, as CI has it
		if _, err := os.Stat(py); err != nil {
			b.Skip("no /usr/bin/python3")
		}
		for b.Loop() {
			if err := exec.Command(py, "-c", "pass").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
