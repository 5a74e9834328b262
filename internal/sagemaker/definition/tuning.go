package definition

import "github.com/ferryml/ferry/internal/step"

// KindTuning is the kind a Tuning step becomes (internal/sagemaker/tuningjob).
const KindTuning = "sagemaker_tuning"

// tuningRequestFields are CreateHyperParameterTuningJob's request fields.
var tuningRequestFields = []string{"HyperParameterTuningJobConfig", "TrainingJobDefinition", "TrainingJobDefinitions",
	"WarmStartConfig", "HyperParameterTuningJobName", "Tags", "Autotune"}

// tuningSummary is HyperParameterTrainingJobSummary (BestTrainingJob and
// each of TrainingJobSummaries).
func tuningSummary() *shape {
	return obj(map[string]*shape{
		"TrainingJobName":           leaf(),
		"TrainingJobArn":            leaf(),
		"TrainingJobDefinitionName": leaf(),
		"TuningJobName":             leaf(),
		"CreationTime":              leaf(),
		"TrainingStartTime":         leaf(),
		"TrainingEndTime":           leaf(),
		"TrainingJobStatus":         leaf(),
		"TunedHyperParameters":      open(),
		"FailureReason":             leaf(),
		"ObjectiveStatus":           leaf(),
		"FerryTrial":                leaf(),
		"FinalHyperParameterTuningJobObjectiveMetric": obj(map[string]*shape{
			"Type": leaf(), "MetricName": leaf(), "Value": typed(step.Float),
		}),
	})
}

// tuningShape is DescribeHyperParameterTuningJob's response plus
// TrainingJobSummaries (ListTrainingJobsForHyperParameterTuningJob, sorted
// best first), as a TuningStep's properties hold them.
func tuningShape() *shape {
	return obj(map[string]*shape{
		"HyperParameterTuningJobName":   leaf(),
		"HyperParameterTuningJobArn":    leaf(),
		"HyperParameterTuningJobStatus": leaf(),
		"HyperParameterTuningJobConfig": open(),
		"TrainingJobDefinition":         open(),
		"TrainingJobDefinitions":        open(),
		"WarmStartConfig":               open(),
		"CreationTime":                  leaf(),
		"HyperParameterTuningEndTime":   leaf(),
		"LastModifiedTime":              leaf(),
		"FailureReason":                 leaf(),
		"TrainingJobStatusCounters":     open(),
		"ObjectiveStatusCounters":       open(),
		"BestTrainingJob":               tuningSummary(),
		"OverallBestTrainingJob":        tuningSummary(),
		"TrainingJobSummaries":          keyed(namesAny, tuningSummary()),
	})
}
