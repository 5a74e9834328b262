//go:build pypi

package s3api_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// awsEnv is the environment of a Python client of the listener at url:
// only the endpoint, dummy keys and the region.
func awsEnv(t *testing.T, url string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=ferry",
		"AWS_SECRET_ACCESS_KEY=ferrysecret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"WANT_ACCOUNT=123456789012",
	}
}

// TestPyPIBoto3 runs testdata/boto3_client.py: boto3 (buckets, objects,
// ranges, ListObjectsV2 with prefix, delimiter and pages, copy, delete,
// DeleteObjects, multipart), STS GetCallerIdentity and pandas over s3fs.
func TestPyPIBoto3(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "boto3", "s3fs", "pandas")
	base, _ := setup(t)
	cmd := exec.CommandContext(t.Context(), py, "testdata/boto3_client.py")
	cmd.Env = awsEnv(t, base)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("boto3_client.py: %v\n%s", err, out)
	}
}

// TestPyPIAWSCLI drives the aws CLI (installed beside the venv's Python).
func TestPyPIAWSCLI(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "awscli")
	aws := filepath.Join(filepath.Dir(py), "aws")
	base, _ := setup(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "claims.csv")
	if err := os.WriteFile(src, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, 20<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"s3", "mb", "s3://cli-bucket"}, "make_bucket: cli-bucket"},
		{[]string{"s3", "cp", src, "s3://cli-bucket/in/claims.csv"}, "upload:"},
		{[]string{"s3", "cp", big, "s3://cli-bucket/in/big.bin"}, "upload:"}, // multipart (8 MiB parts)
		{[]string{"s3", "ls", "s3://cli-bucket/"}, "PRE in/"},
		{[]string{"s3", "ls", "--recursive", "s3://cli-bucket/"}, "in/big.bin"},
		{[]string{"s3", "cp", "s3://cli-bucket/in/claims.csv", filepath.Join(dir, "back.csv")}, "download:"},
		{[]string{"s3api", "head-object", "--bucket", "cli-bucket", "--key", "in/big.bin"}, `"ContentLength": 20971520`},
		{[]string{"s3", "sync", "s3://cli-bucket/in/", filepath.Join(dir, "synced")}, "download:"},
		{[]string{"s3", "rm", "--recursive", "s3://cli-bucket/in/"}, "delete:"},
		{[]string{"sts", "get-caller-identity"}, `"Account": "123456789012"`},
	}
	for _, s := range steps {
		cmd := exec.CommandContext(t.Context(), aws, s.args...)
		cmd.Env = awsEnv(t, base)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), s.want) {
			t.Fatalf("aws %s: %v\n%s\nwant %q", strings.Join(s.args, " "), err, out, s.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "back.csv")); err != nil || string(b) != "a,b\n1,2\n" {
		t.Errorf("downloaded %q, %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "synced", "big.bin")); err != nil || st.Size() != 20<<20 {
		t.Errorf("synced big.bin: %v, %v", st, err)
	}
}

// TestPyPISageMakerUploads runs testdata/sagemaker_uploads.py: the
// SageMaker SDK's default bucket, upload_data, S3Uploader and the
// sourcedir.tar.gz that framework estimators upload.
func TestPyPISageMakerUploads(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker", "boto3")
	base, _ := setup(t)
	cmd := exec.CommandContext(t.Context(), py, "testdata/sagemaker_uploads.py")
	cmd.Env = append(awsEnv(t, base), "SAGEMAKER_DISABLE_CONFIG_FILE=true")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("sagemaker_uploads.py: %v\n%s", err, out)
	}
}
