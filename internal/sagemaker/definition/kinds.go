package definition

import (
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/step"
)

// Kind IDs of the steps a SageMaker definition becomes. The sagemaker_*
// kinds are implemented in internal/sagemaker/job; clarify_check, fail and
// condition are Ferry's own.
const (
	KindProcessing    = "sagemaker_processing"
	KindTraining      = "sagemaker_training"
	KindTransform     = "sagemaker_transform"
	KindModel         = "sagemaker_model"
	KindRegisterModel = "sagemaker_register_model"
	KindLambda        = "sagemaker_lambda"
	KindCallback      = "sagemaker_callback"
	KindJSONGet       = "sagemaker_json_get"
	KindClarifyCheck  = "clarify_check"
)

// Output names of the job kinds: where a SageMaker property names a data
// location (an S3 URI), the translation reads the step's output artifact
// instead, so data flows between steps by digest.
const (
	// OutModel is a training step's model (a directory holding
	// model.tar.gz: Steps.T.ModelArtifacts.S3ModelArtifacts) and a model
	// step's model (a directory holding model.tar.gz and the container's
	// description).
	OutModel = "model"
	// OutOutput is a training step's output data (a directory holding
	// output.tar.gz, what /opt/ml/output/data held) and a transform step's
	// output (Steps.X.TransformOutput.S3OutputPath).
	OutOutput = "output"
)

// Argument names of the sagemaker_lambda, sagemaker_callback and
// sagemaker_json_get kinds: the keys of the SageMaker step object other than
// the envelope, verbatim. The job kinds take the fields of the step's
// Arguments (the Create* request) as their arguments.
const (
	ArgArguments        = "Arguments"
	ArgFunctionArn      = "FunctionArn"
	ArgSqsQueueURL      = "SqsQueueUrl"
	ArgOutputParameters = "OutputParameters"
	ArgTimeout          = "Timeout"
	ArgS3URI            = "S3Uri"
	ArgPath             = "Path"
	// ArgFerryModel is added to a sagemaker_transform step whose ModelName
	// is a Model step's: that step's model output, so the transform needs
	// no lookup by name.
	ArgFerryModel = "FerryModel"
)

// requestFields lists the top-level fields of each job kind's Create*
// request; required ones first, marked by required.
func requestFields(kind string) (fields []string, required int) {
	switch kind {
	case KindProcessing:
		return []string{"AppSpecification", "ProcessingInputs", "ProcessingOutputConfig", "ProcessingJobName", "ProcessingResources",
			"StoppingCondition", "Environment", "NetworkConfig", "RoleArn", "Tags", "ExperimentConfig"}, 1
	case KindTraining:
		return []string{"AlgorithmSpecification", "HyperParameters", "InputDataConfig", "OutputDataConfig", "ResourceConfig",
			"StoppingCondition", "Environment", "TrainingJobName", "RoleArn", "VpcConfig", "EnableNetworkIsolation",
			"EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining", "CheckpointConfig", "DebugHookConfig",
			"DebugRuleConfigurations", "ProfilerConfig", "ProfilerRuleConfigurations", "TensorBoardOutputConfig",
			"ExperimentConfig", "RetryStrategy", "Tags", "RemoteDebugConfig", "InfraCheckConfig", "SessionChainingConfig"}, 1
	case KindTransform:
		return []string{"ModelName", "TransformInput", "TransformOutput", "TransformResources", "TransformJobName",
			"MaxConcurrentTransforms", "ModelClientConfig", "MaxPayloadInMB", "BatchStrategy", "Environment",
			"DataCaptureConfig", "DataProcessing", "Tags", "ExperimentConfig"}, 3
	case KindTuning:
		return tuningRequestFields, 1
	case KindModel:
		return []string{"ModelName", "PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn",
			"Tags", "VpcConfig", "EnableNetworkIsolation"}, 0
	case KindRegisterModel:
		return []string{"ModelPackageName", "ModelPackageGroupName", "ModelPackageDescription", "InferenceSpecification",
			"ValidationSpecification", "SourceAlgorithmSpecification", "CertifyForMarketplace", "Tags", "ModelApprovalStatus",
			"MetadataProperties", "ModelMetrics", "ClientToken", "Domain", "Task", "SamplePayloadUrl",
			"CustomerMetadataProperties", "DriftCheckBaselines", "AdditionalInferenceSpecifications", "SkipModelValidation",
			"SourceUri", "SecurityConfig", "ModelCard", "ModelLifeCycle"}, 0
	}
	return nil, 0
}

// PropValue is the sagemaker_json_get kind's one property: the JSON value
// found at Path.
const PropValue = "Value"

// KindSpec returns the part of a kind's step.Spec that the translation
// relies on: its arguments, outputs and properties. The kind adds its
// Description and Version. It returns false for kinds this package does
// not define (clarify_check, fail).
func KindSpec(kind string) (step.Spec, bool) {
	obj := func(name string, required bool, desc string) step.Field {
		return step.Field{Name: name, Type: step.Object, Required: required, Description: desc}
	}
	s := step.Spec{Kind: kind}
	fields, required := requestFields(kind)
	for i, f := range fields {
		s.Args = append(s.Args, step.Field{Name: f, Type: step.Any, Required: i < required})
	}
	switch kind {
	case KindProcessing:
		s.DynamicOutputs = true
	case KindTraining:
		s.Outputs = []step.Field{
			{Name: OutModel, Type: step.Artifact, Description: "a directory holding model.tar.gz (what /opt/ml/model held)"},
			{Name: OutOutput, Type: step.Artifact, Description: "a directory holding output.tar.gz (what /opt/ml/output/data held)"},
		}
	case KindTuning:
		s.Outputs = []step.Field{{Name: OutModel, Type: step.Artifact, Description: "the best training job's model: a directory holding model.tar.gz"}}
	case KindTransform:
		s.Args = append(s.Args, step.Field{Name: ArgFerryModel, Type: step.Artifact, Description: "the model output of the Model step that ModelName names"})
		s.Outputs = []step.Field{{Name: OutOutput, Type: step.Artifact, Description: "the transform output (one .out file per input file)"}}
	case KindModel:
		s.Outputs = []step.Field{{Name: OutModel, Type: step.Artifact, Description: "the primary container's model: a directory holding model.tar.gz and the container's image and environment"}}
	case KindRegisterModel:
		s.NoCache = true
	case KindLambda:
		s.Args = []step.Field{
			{Name: ArgFunctionArn, Type: step.String, Required: true, Description: "the function's ARN or name"},
			obj(ArgArguments, false, "the event: a free map"),
			{Name: ArgOutputParameters, Type: step.List, Description: "[{OutputName, OutputType}]: the keys of the returned JSON exposed as OutputParameters"},
			{Name: ArgTimeout, Type: step.Integer, Description: "seconds"},
		}
		s.NoCache = true
	case KindCallback:
		s.Args = []step.Field{
			{Name: ArgSqsQueueURL, Type: step.String, Required: true, Description: "the queue the token message would go to"},
			obj(ArgArguments, false, "the message's arguments: a free map"),
			{Name: ArgOutputParameters, Type: step.List, Description: "[{OutputName, OutputType}] set by the callback's success"},
		}
		s.NoCache = true
	case KindJSONGet:
		s.Args = []step.Field{
			{Name: ArgS3URI, Type: step.String, Required: true, Description: "an s3:// URI or an artifact reference (sha256:..., optionally /path inside it) of a JSON file"},
			{Name: ArgPath, Type: step.String, Required: true, Description: "a JSON path: a.b[0].c or a['b']"},
		}
		s.NoCache = true
	default:
		return step.Spec{}, false
	}
	for _, name := range topProperties(kind) {
		s.Properties = append(s.Properties, step.Field{Name: name, Type: propType(kind, name)})
	}
	return s, true
}

// Properties lists, for a kind, the properties its runs may return: the
// top-level fields of the matching Describe* response, shaped as in that
// response (lists stay lists: a definition's ['name'] picks the element
// whose ...Name field is name). Lambda and Callback OutputParameters are
// an object of name -> value.
func Properties(kind string) []string { return topProperties(kind) }

func topProperties(kind string) []string {
	sh, ok := shapeOf(kind)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(sh.fields))
	for name := range sh.fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func propType(kind, name string) step.Type {
	top, _ := shapeOf(kind)
	sh := top.fields[name]
	switch {
	case sh.typ == step.Any:
		return step.Any
	case sh.keyed != nil && sh.names != namesOutputParams, sh.list:
		return step.List
	case sh.open || sh.fields != nil || sh.keyed != nil:
		return step.Object
	case sh.typ != "":
		return sh.typ
	}
	return step.String
}

// ProcessingOutputNames lists the outputs of a sagemaker_processing step
// from its literal arguments: the OutputName of each
// ProcessingOutputConfig.Outputs entry. The kind's OutputNames
// method (pipeline.OutputNamer) returns it, so property files and output
// references are checked before the run.
func ProcessingOutputNames(args map[string]any) ([]string, bool) {
	cfg, _ := args["ProcessingOutputConfig"].(map[string]any)
	list, _ := cfg["Outputs"].([]any)
	var names []string
	for _, o := range list {
		m, _ := o.(map[string]any)
		name, ok := m["OutputName"].(string)
		if !ok || strings.Contains(name, "${{") {
			return nil, false
		}
		names = append(names, name)
	}
	return names, true
}
