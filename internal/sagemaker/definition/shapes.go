package definition

import "github.com/ferryml/ferry/internal/step"

// shape describes what a property path may walk into: the Describe*
// response of a step type, as far as definitions read it.
type shape struct {
	fields map[string]*shape
	// keyed is the element of a list that definitions index by name
	// (['train']) or position ([0]); names says where the step declares
	// the names.
	keyed *shape
	names nameSource
	list  bool // a list of scalars
	open  bool // anything below is accepted
	typ   step.Type
}

// nameSource says where a keyed list's names come from.
type nameSource int

const (
	namesAny          nameSource = iota // not known before the run
	namesOutputs                        // Arguments.ProcessingOutputConfig.Outputs[].OutputName
	namesInputs                         // Arguments.ProcessingInputs[].InputName
	namesChannels                       // Arguments.InputDataConfig[].ChannelName
	namesOutputParams                   // OutputParameters[].OutputName
)

func leaf() *shape                   { return &shape{typ: step.String} }
func typed(t step.Type) *shape       { return &shape{typ: t} }
func open() *shape                   { return &shape{open: true, typ: step.Object} }
func anyValue() *shape               { return &shape{open: true, typ: step.Any} }
func list() *shape                   { return &shape{list: true} }
func obj(f map[string]*shape) *shape { return &shape{fields: f} }
func keyed(src nameSource, elem *shape) *shape {
	return &shape{keyed: elem, names: src}
}

// shapeOf returns the property shape of a kind.
func shapeOf(kind string) (*shape, bool) {
	switch kind {
	case KindProcessing:
		return obj(map[string]*shape{
			"ProcessingJobName":   leaf(),
			"ProcessingJobArn":    leaf(),
			"ProcessingJobStatus": leaf(),
			"ExitMessage":         leaf(),
			"FailureReason":       leaf(),
			"CreationTime":        leaf(),
			"ProcessingStartTime": leaf(),
			"ProcessingEndTime":   leaf(),
			"LastModifiedTime":    leaf(),
			"RoleArn":             leaf(),
			"Environment":         open(),
			"AppSpecification":    obj(map[string]*shape{"ImageUri": leaf(), "ContainerEntrypoint": list(), "ContainerArguments": list()}),
			"ProcessingResources": open(),
			"StoppingCondition":   open(),
			"NetworkConfig":       open(),
			"ProcessingInputs": keyed(namesInputs, obj(map[string]*shape{
				"InputName": leaf(), "AppManaged": typed(step.Boolean),
				"S3Input":           obj(map[string]*shape{"S3Uri": leaf(), "LocalPath": leaf(), "S3DataType": leaf(), "S3InputMode": leaf(), "S3DataDistributionType": leaf(), "S3CompressionType": leaf()}),
				"DatasetDefinition": open(),
			})),
			"ProcessingOutputConfig": obj(map[string]*shape{
				"KmsKeyId": leaf(),
				"Outputs": keyed(namesOutputs, obj(map[string]*shape{
					"OutputName": leaf(), "AppManaged": typed(step.Boolean),
					"S3Output":           obj(map[string]*shape{"S3Uri": leaf(), "LocalPath": leaf(), "S3UploadMode": leaf()}),
					"FeatureStoreOutput": open(),
				})),
			}),
		}), true
	case KindTraining:
		return obj(map[string]*shape{
			"TrainingJobName":        leaf(),
			"TrainingJobArn":         leaf(),
			"TrainingJobStatus":      leaf(),
			"SecondaryStatus":        leaf(),
			"FailureReason":          leaf(),
			"CreationTime":           leaf(),
			"TrainingStartTime":      leaf(),
			"TrainingEndTime":        leaf(),
			"LastModifiedTime":       leaf(),
			"TrainingTimeInSeconds":  typed(step.Integer),
			"BillableTimeInSeconds":  typed(step.Integer),
			"RoleArn":                leaf(),
			"ModelArtifacts":         obj(map[string]*shape{"S3ModelArtifacts": leaf()}),
			"HyperParameters":        open(),
			"AlgorithmSpecification": open(),
			"OutputDataConfig":       obj(map[string]*shape{"S3OutputPath": leaf(), "KmsKeyId": leaf(), "CompressionType": leaf()}),
			"ResourceConfig":         open(),
			"StoppingCondition":      open(),
			"Environment":            open(),
			"InputDataConfig": keyed(namesChannels, obj(map[string]*shape{
				"ChannelName": leaf(), "DataSource": open(), "ContentType": leaf(), "CompressionType": leaf(),
				"RecordWrapperType": leaf(), "InputMode": leaf(),
			})),
			"FinalMetricDataList": keyed(namesAny, obj(map[string]*shape{
				"MetricName": leaf(), "Value": typed(step.Float), "Timestamp": leaf(),
			})),
		}), true
	case KindTuning:
		return tuningShape(), true
	case KindTransform:
		return obj(map[string]*shape{
			"TransformJobName":        leaf(),
			"TransformJobArn":         leaf(),
			"TransformJobStatus":      leaf(),
			"FailureReason":           leaf(),
			"ModelName":               leaf(),
			"CreationTime":            leaf(),
			"TransformStartTime":      leaf(),
			"TransformEndTime":        leaf(),
			"BatchStrategy":           leaf(),
			"MaxConcurrentTransforms": typed(step.Integer),
			"MaxPayloadInMB":          typed(step.Integer),
			"Environment":             open(),
			"TransformInput":          open(),
			"TransformResources":      open(),
			"DataProcessing":          open(),
			"TransformOutput":         obj(map[string]*shape{"S3OutputPath": leaf(), "Accept": leaf(), "AssembleWith": leaf(), "KmsKeyId": leaf()}),
		}), true
	case KindModel:
		return obj(map[string]*shape{
			"ModelName":        leaf(),
			"ModelArn":         leaf(),
			"CreationTime":     leaf(),
			"ExecutionRoleArn": leaf(),
			"PrimaryContainer": open(),
			"Containers":       open(),
		}), true
	case KindRegisterModel:
		return obj(map[string]*shape{
			"ModelPackageName":           leaf(),
			"ModelPackageGroupName":      leaf(),
			"ModelPackageVersion":        typed(step.Integer),
			"ModelPackageArn":            leaf(),
			"ModelPackageDescription":    leaf(),
			"ModelPackageStatus":         leaf(),
			"ModelApprovalStatus":        leaf(),
			"CreationTime":               leaf(),
			"InferenceSpecification":     open(),
			"ModelMetrics":               open(),
			"DriftCheckBaselines":        open(),
			"CustomerMetadataProperties": open(),
			"MetadataProperties":         open(),
		}), true
	case KindLambda, KindCallback:
		return obj(map[string]*shape{
			"OutputParameters": keyed(namesOutputParams, anyValue()),
		}), true
	case KindJSONGet:
		return obj(map[string]*shape{PropValue: anyValue()}), true
	}
	return nil, false
}
