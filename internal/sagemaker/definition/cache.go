package definition

import "strings"

// CacheArgs returns the arguments of a SageMaker job kind that its cache
// key hashes: the resolved request without what changes from one
// execution to the next or does not change the result. Left out are job
// names, where outputs are published (SDK-built definitions put the
// execution ID in them), machine resources, roles, networking, tags,
// experiment, debugger and profiler settings, and a transform's
// ModelName (its FerryModel, the model's digest, is kept). Inputs, code,
// images, entry points, arguments, environment and hyperparameters stay,
// as do output names and local paths. args is not modified. The job kinds
// implement step.CacheArgser with it.
func CacheArgs(kind string, args map[string]any) map[string]any {
	drop := map[string][]string{
		KindProcessing: {"ProcessingJobName", "ProcessingResources", "StoppingCondition", "NetworkConfig", "RoleArn",
			"Tags", "ExperimentConfig", "ProcessingOutputConfig.KmsKeyId", "ProcessingOutputConfig.Outputs[].S3Output.S3Uri"},
		KindTraining: {"TrainingJobName", "ResourceConfig", "StoppingCondition", "RoleArn", "VpcConfig", "Tags",
			"ExperimentConfig", "OutputDataConfig", "DebugHookConfig.S3OutputPath", "ProfilerConfig",
			"ProfilerRuleConfigurations", "TensorBoardOutputConfig", "EnableManagedSpotTraining", "RetryStrategy",
			"RemoteDebugConfig", "InfraCheckConfig", "SessionChainingConfig", "CheckpointConfig.S3Uri",
			"EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"},
		KindTransform: {"TransformJobName", "ModelName", "TransformResources", "TransformOutput.S3OutputPath",
			"TransformOutput.KmsKeyId", "DataCaptureConfig", "Tags", "ExperimentConfig"},
		KindModel: {"ModelName", "ExecutionRoleArn", "Tags", "VpcConfig", "EnableNetworkIsolation"},
		KindTuning: {"HyperParameterTuningJobName", "Tags", "TrainingJobDefinition.OutputDataConfig", "TrainingJobDefinition.RoleArn",
			"TrainingJobDefinition.ResourceConfig", "TrainingJobDefinition.HyperParameterTuningResourceConfig",
			"TrainingJobDefinition.StoppingCondition", "TrainingJobDefinition.VpcConfig"},
	}[kind]
	out := copyValue(args).(map[string]any)
	for _, path := range drop {
		remove(out, strings.Split(path, "."))
	}
	return out
}

// remove deletes a dotted path; "name[]" walks every element of a list.
func remove(m map[string]any, path []string) {
	key, each := strings.CutSuffix(path[0], "[]")
	if len(path) == 1 {
		delete(m, key)
		return
	}
	v, ok := m[key]
	if !ok {
		return
	}
	var elems []any
	if each {
		elems, _ = v.([]any)
	} else {
		elems = []any{v}
	}
	for _, e := range elems {
		if sub, ok := e.(map[string]any); ok {
			remove(sub, path[1:])
		}
	}
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
