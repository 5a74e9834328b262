package job

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/step"
)

// scriptProc prepares a script-mode training job as the SageMaker training
// toolkit does: the source directory unpacked in /opt/ml/code, the config
// files under /opt/ml/input/config, the SM_* environment, and the entry
// point run with the hyperparameters as command-line arguments.
func (t *Training) scriptProc(ctx context.Context, env step.Env, a *TrainingRequest, name, jobDir string, channels []string, rt imagemap.Runtime) (proc, error) {
	raw := hpStrings(a.HyperParameters)
	decoded := make(map[string]any, len(raw))
	user := make(map[string]any, len(raw))
	for k, v := range raw {
		decoded[k] = decodeHP(v)
		if !strings.HasPrefix(k, "sagemaker_") {
			user[k] = decoded[k]
		}
	}
	codeDir := filepath.Join(jobDir, "code")
	program, _ := decoded["sagemaker_program"].(string)
	if src, ok := decoded["sagemaker_submit_directory"].(string); ok && src != "" {
		ref, err := t.R.Resolve(ctx, env.Store, src)
		if err != nil {
			return proc{}, fmt.Errorf("sagemaker_submit_directory: %w", err)
		}
		dir, err := env.Store.Path(ctx, ref)
		if err != nil {
			return proc{}, fmt.Errorf("sagemaker_submit_directory: %w", err)
		}
		if err := unpackSource(dir, codeDir); err != nil {
			return proc{}, step.Permanent(fmt.Errorf("sagemaker_submit_directory %s: %w", src, err))
		}
	}
	var argv []string
	switch {
	case len(a.AlgorithmSpecification.ContainerEntrypoint) > 0:
		var err error
		if argv, err = entryArgv(a.AlgorithmSpecification.ContainerEntrypoint, rt); err != nil {
			return proc{}, step.Permanent(err)
		}
		argv = append(argv, a.AlgorithmSpecification.ContainerArguments...)
	case program == "":
		return proc{}, step.Permanent(fmt.Errorf("HyperParameters.sagemaker_program: empty; name the entry point script"))
	default:
		if _, err := os.Stat(filepath.Join(codeDir, program)); err != nil {
			return proc{}, step.Permanent(fmt.Errorf("HyperParameters.sagemaker_program %q: not in the source directory (sagemaker_submit_directory): %w", program, err))
		}
		switch {
		case strings.HasSuffix(program, ".sh"):
			argv = []string{"/bin/sh", program}
		case strings.HasSuffix(program, ".py"):
			argv = append(append([]string(nil), rt.Command...), program)
		default:
			argv = []string{"./" + program}
		}
		argv = append(argv, cmdArgs(user)...)
	}

	// The config files the toolkit reads.
	cfgDir := filepath.Join(jobDir, "input", "config")
	if err := writeJSON(filepath.Join(cfgDir, "hyperparameters.json"), raw); err != nil {
		return proc{}, err
	}
	if err := writeJSON(filepath.Join(cfgDir, "resourceconfig.json"), resourceConfig()); err != nil {
		return proc{}, err
	}
	inCfg := make(map[string]any, len(a.InputDataConfig))
	for _, c := range a.InputDataConfig {
		m := map[string]any{"TrainingInputMode": orDefault(c.InputMode, orDefault(a.AlgorithmSpecification.TrainingInputMode, "File")), "RecordWrapperType": "None", "S3DistributionType": "FullyReplicated"}
		if c.ContentType != "" {
			m["ContentType"] = c.ContentType
		}
		inCfg[c.ChannelName] = m
	}
	if err := writeJSON(filepath.Join(cfgDir, "inputdataconfig.json"), inCfg); err != nil {
		return proc{}, err
	}

	envs := map[string]string{
		"PYTHONUNBUFFERED":            "1",
		"PYTHONPATH":                  "/opt/ml/code",
		"SM_MODEL_DIR":                "/opt/ml/model",
		"SM_INPUT_DIR":                "/opt/ml/input",
		"SM_INPUT_CONFIG_DIR":         "/opt/ml/input/config",
		"SM_OUTPUT_DIR":               "/opt/ml/output",
		"SM_OUTPUT_DATA_DIR":          "/opt/ml/output/data",
		"SM_OUTPUT_INTERMEDIATE_DIR":  "/opt/ml/output/intermediate",
		"SM_CHECKPOINT_DIR":           "/opt/ml/checkpoints",
		"SM_HOSTS":                    `["algo-1"]`,
		"SM_CURRENT_HOST":             "algo-1",
		"SM_CURRENT_INSTANCE_TYPE":    "local",
		"SM_NETWORK_INTERFACE_NAME":   "lo",
		"SM_NUM_GPUS":                 "0",
		"SM_NUM_CPUS":                 strconv.Itoa(numCPU()),
		"SM_LOG_LEVEL":                "20",
		"SM_USER_ENTRY_POINT":         program,
		"SM_MODULE_NAME":              strings.TrimSuffix(program, ".py"),
		"SM_MODULE_DIR":               fmt.Sprint(decoded["sagemaker_submit_directory"]),
		"SM_FRAMEWORK_MODULE":         "",
		"SM_IS_HETERO":                "false",
		"TRAINING_JOB_NAME":           name,
		"SAGEMAKER_TRAINING_JOB_NAME": name,
	}
	chJSON, _ := json.Marshal(channels)
	envs["SM_CHANNELS"] = string(chJSON)
	for _, c := range channels {
		envs["SM_CHANNEL_"+envSuffix(c)] = "/opt/ml/input/data/" + c
	}
	hps, _ := json.Marshal(user)
	envs["SM_HPS"] = string(hps)
	for k, v := range user {
		envs["SM_HP_"+envSuffix(k)] = pyStr(v)
	}
	userArgs, _ := json.Marshal(cmdArgs(user))
	envs["SM_USER_ARGS"] = string(userArgs)
	rc, _ := json.Marshal(resourceConfig())
	envs["SM_RESOURCE_CONFIG"] = string(rc)
	ic, _ := json.Marshal(inCfg)
	envs["SM_INPUT_DATA_CONFIG"] = string(ic)
	trainingEnv, _ := json.Marshal(map[string]any{
		"channel_input_dirs": channelDirs(channels), "current_host": "algo-1", "hosts": []string{"algo-1"},
		"hyperparameters": user, "input_config_dir": "/opt/ml/input/config", "input_data_config": inCfg,
		"input_dir": "/opt/ml/input", "job_name": name, "log_level": 20, "model_dir": "/opt/ml/model",
		"module_dir": decoded["sagemaker_submit_directory"], "module_name": strings.TrimSuffix(program, ".py"),
		"num_cpus": numCPU(), "num_gpus": 0, "output_data_dir": "/opt/ml/output/data", "output_dir": "/opt/ml/output",
		"resource_config": resourceConfig(), "user_entry_point": program,
	})
	envs["SM_TRAINING_ENV"] = string(trainingEnv)
	for k, v := range a.Environment {
		envs[k] = v
	}
	return proc{jobDir: jobDir, argv: argv, env: envs, workDir: "/opt/ml/code", timeout: a.StoppingCondition.timeout(), runtime: rt}, nil
}

func channelDirs(channels []string) map[string]string {
	m := make(map[string]string, len(channels))
	for _, c := range channels {
		m[c] = "/opt/ml/input/data/" + c
	}
	return m
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// unpackSource fills /opt/ml/code from the source artifact: a
// sourcedir.tar.gz (or any single .tar.gz) is unpacked; a plain directory
// of scripts is copied.
func unpackSource(dir, codeDir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) == 1 && strings.HasSuffix(entries[0].Name(), ".tar.gz") {
		return ExtractTarGz(filepath.Join(dir, entries[0].Name()), codeDir)
	}
	return copyTree(dir, codeDir)
}
