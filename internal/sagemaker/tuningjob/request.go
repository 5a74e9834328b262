package tuningjob

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/tuning"
)

// Request is the CreateHyperParameterTuningJob request as a definition's
// Tuning step holds it (expressions resolved). Fields Ferry does not use
// (RoleArn, VpcConfig, Tags, ...) are accepted and ignored.
type Request struct {
	HyperParameterTuningJobName   string               `json:"HyperParameterTuningJobName"`
	HyperParameterTuningJobConfig JobConfig            `json:"HyperParameterTuningJobConfig"`
	TrainingJobDefinition         *TrainingDefinition  `json:"TrainingJobDefinition"`
	TrainingJobDefinitions        []TrainingDefinition `json:"TrainingJobDefinitions"`
	WarmStartConfig               *WarmStartConfig     `json:"WarmStartConfig"`
}

// JobConfig is HyperParameterTuningJobConfig.
type JobConfig struct {
	Strategy                         string          `json:"Strategy"`
	HyperParameterTuningJobObjective *Objective      `json:"HyperParameterTuningJobObjective"`
	ResourceLimits                   ResourceLimits  `json:"ResourceLimits"`
	ParameterRanges                  ParameterRanges `json:"ParameterRanges"`
	TrainingJobEarlyStoppingType     string          `json:"TrainingJobEarlyStoppingType"`
	RandomSeed                       *flexInt        `json:"RandomSeed"`
	StrategyConfig                   *StrategyConfig `json:"StrategyConfig"`
}

// StrategyConfig is HyperParameterTuningJobStrategyConfig: Hyperband's
// resources, in the rounds (epochs, boosting rounds) a trial reports its
// objective after.
type StrategyConfig struct {
	HyperbandStrategyConfig *struct {
		MinResource flexInt `json:"MinResource"`
		MaxResource flexInt `json:"MaxResource"`
	} `json:"HyperbandStrategyConfig"`
}

// Objective is HyperParameterTuningJobObjective.
type Objective struct {
	Type       string `json:"Type"`
	MetricName string `json:"MetricName"`
}

// ResourceLimits bounds the trials.
type ResourceLimits struct {
	MaxNumberOfTrainingJobs flexInt `json:"MaxNumberOfTrainingJobs"`
	MaxParallelTrainingJobs flexInt `json:"MaxParallelTrainingJobs"`
}

// ParameterRanges are the tuned hyperparameters.
type ParameterRanges struct {
	IntegerParameterRanges     []NumericRange     `json:"IntegerParameterRanges"`
	ContinuousParameterRanges  []NumericRange     `json:"ContinuousParameterRanges"`
	CategoricalParameterRanges []CategoricalRange `json:"CategoricalParameterRanges"`
}

// NumericRange is an integer or continuous range (values are strings in
// SageMaker's API; numbers are accepted too).
type NumericRange struct {
	Name        string     `json:"Name"`
	MinValue    flexString `json:"MinValue"`
	MaxValue    flexString `json:"MaxValue"`
	ScalingType string     `json:"ScalingType"`
}

// CategoricalRange is a categorical range.
type CategoricalRange struct {
	Name   string       `json:"Name"`
	Values []flexString `json:"Values"`
}

// TrainingDefinition is HyperParameterTrainingJobDefinition: a training
// job request without the tuned hyperparameters.
type TrainingDefinition struct {
	StaticHyperParameters              map[string]any `json:"StaticHyperParameters"`
	AlgorithmSpecification             map[string]any `json:"AlgorithmSpecification"`
	InputDataConfig                    []any          `json:"InputDataConfig"`
	OutputDataConfig                   map[string]any `json:"OutputDataConfig"`
	ResourceConfig                     map[string]any `json:"ResourceConfig"`
	HyperParameterTuningResourceConfig map[string]any `json:"HyperParameterTuningResourceConfig"`
	StoppingCondition                  map[string]any `json:"StoppingCondition"`
	Environment                        map[string]any `json:"Environment"`
	RoleArn                            string         `json:"RoleArn"`
	DefinitionName                     string         `json:"DefinitionName"`
}

// WarmStartConfig names earlier tuning runs whose trials inform this one.
type WarmStartConfig struct {
	ParentHyperParameterTuningJobs []struct {
		HyperParameterTuningJobName string `json:"HyperParameterTuningJobName"`
	} `json:"ParentHyperParameterTuningJobs"`
	WarmStartType string `json:"WarmStartType"`
}

// flexInt is an integer written as a number or a string.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		if x != float64(int64(x)) {
			return fmt.Errorf("%v is not a whole number", x)
		}
		*f = flexInt(x)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", x)
		}
		*f = flexInt(n)
	case nil:
	default:
		return fmt.Errorf("want a whole number, got %s", b)
	}
	return nil
}

// flexString is a string, or a number or boolean written as one.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		*f = flexString(x)
	case float64:
		*f = flexString(strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		*f = flexString(strconv.FormatBool(x))
	default:
		return fmt.Errorf("want a string, got %s", b)
	}
	return nil
}

// decode reads the step's arguments into a Request.
func decode(args map[string]any) (*Request, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("encoding arguments: %w", err)
	}
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding the request: %w", err)
	}
	return &r, nil
}

// plan is a checked request: what the trials run.
type plan struct {
	req       *Request
	def       *TrainingDefinition
	space     *tuning.Space
	strategy  string
	dir       tuning.Direction
	metric    string // SageMaker's name, validation:auc
	maxTrials int
	parallel  int
	seed      uint64
	early     bool
	// minRounds, maxRounds are Hyperband's MinResource and MaxResource
	// (0: from the trial's num_round).
	minRounds, maxRounds int
}

// strategies maps SageMaker's Strategy to internal/tuning's.
var strategies = map[string]string{"Bayesian": tuning.Bayesian, "Random": tuning.Random, "Grid": tuning.Grid, "Hyperband": tuning.Hyperband}

// scalings maps SageMaker's ScalingType.
var scalings = map[string]tuning.Scaling{"": tuning.Auto, "Auto": tuning.Auto, "Linear": tuning.Linear,
	"Logarithmic": tuning.Logarithmic, "ReverseLogarithmic": tuning.ReverseLogarithmic}

const cfgField = "HyperParameterTuningJobConfig"

// check validates a decoded request; every problem is a located
// *step.FieldError.
func check(r *Request) (*plan, []error) {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &step.FieldError{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	c := r.HyperParameterTuningJobConfig
	p := &plan{req: r, maxTrials: int(c.ResourceLimits.MaxNumberOfTrainingJobs), parallel: int(c.ResourceLimits.MaxParallelTrainingJobs)}
	switch {
	case r.TrainingJobDefinition != nil && len(r.TrainingJobDefinitions) > 0:
		bad("TrainingJobDefinitions", "give TrainingJobDefinition or TrainingJobDefinitions, not both")
	case r.TrainingJobDefinition != nil:
		p.def = r.TrainingJobDefinition
	case len(r.TrainingJobDefinitions) == 1:
		p.def = &r.TrainingJobDefinitions[0]
	case len(r.TrainingJobDefinitions) > 1:
		bad("TrainingJobDefinitions", "%d definitions: Ferry tunes one training job definition at a time", len(r.TrainingJobDefinitions))
	default:
		bad("TrainingJobDefinition", "required: the training job each trial runs")
	}
	s := c.Strategy
	if s == "" {
		s = "Bayesian"
	}
	var ok bool
	if p.strategy, ok = strategies[s]; !ok {
		bad(cfgField+".Strategy", "unknown strategy %q (want Bayesian, Random, Grid or Hyperband)", s)
	}
	if o := c.HyperParameterTuningJobObjective; o == nil || o.MetricName == "" {
		bad(cfgField+".HyperParameterTuningJobObjective", "required: Type (Maximize or Minimize) and MetricName")
	} else {
		p.metric = o.MetricName
		d, err := tuning.ParseDirection(o.Type)
		if err != nil {
			bad(cfgField+".HyperParameterTuningJobObjective.Type", "%v", err)
		}
		p.dir = d
	}
	if p.maxTrials < 1 || p.maxTrials > 1000 {
		bad(cfgField+".ResourceLimits.MaxNumberOfTrainingJobs", "%d is out of range [1, 1000]", p.maxTrials)
	}
	if p.parallel == 0 {
		p.parallel = 1
	}
	if p.parallel < 1 || p.parallel > 100 {
		bad(cfgField+".ResourceLimits.MaxParallelTrainingJobs", "%d is out of range [1, 100]", p.parallel)
	}
	if c.RandomSeed != nil {
		p.seed = uint64(max(int64(*c.RandomSeed), 0))
	}
	switch c.TrainingJobEarlyStoppingType {
	case "", "Off":
	case "Auto":
		p.early = true
	default:
		bad(cfgField+".TrainingJobEarlyStoppingType", "unknown type %q (want Off or Auto)", c.TrainingJobEarlyStoppingType)
	}
	if p.strategy == tuning.Hyperband {
		p.early = true // Hyperband is early stopping
	}
	if sc := c.StrategyConfig; sc != nil && sc.HyperbandStrategyConfig != nil {
		hb := sc.HyperbandStrategyConfig
		at := cfgField + ".StrategyConfig.HyperbandStrategyConfig"
		if p.strategy != tuning.Hyperband {
			bad(at, "applies to Strategy Hyperband only, not %s", s)
		}
		p.minRounds, p.maxRounds = int(hb.MinResource), int(hb.MaxResource)
		if p.minRounds < 0 {
			bad(at+".MinResource", "%d is negative", p.minRounds)
		}
		if p.maxRounds < 0 {
			bad(at+".MaxResource", "%d is negative", p.maxRounds)
		}
		if p.maxRounds > 0 && p.minRounds > p.maxRounds {
			bad(at+".MinResource", "%d is greater than MaxResource %d", p.minRounds, p.maxRounds)
		}
	}
	var ranges []tuning.Range
	pr := c.ParameterRanges
	at := cfgField + ".ParameterRanges."
	numeric := func(list []NumericRange, typ tuning.ParamType, field string) {
		for i, nr := range list {
			f := fmt.Sprintf("%s%s[%d]", at, field, i)
			lo, err1 := strconv.ParseFloat(string(nr.MinValue), 64)
			hi, err2 := strconv.ParseFloat(string(nr.MaxValue), 64)
			if err1 != nil {
				bad(f+".MinValue", "%q is not a number", nr.MinValue)
			}
			if err2 != nil {
				bad(f+".MaxValue", "%q is not a number", nr.MaxValue)
			}
			sc, ok := scalings[nr.ScalingType]
			if !ok {
				bad(f+".ScalingType", "unknown scaling %q (want Auto, Linear, Logarithmic or ReverseLogarithmic)", nr.ScalingType)
			}
			if err1 == nil && err2 == nil && ok {
				ranges = append(ranges, tuning.Range{Name: nr.Name, Type: typ, Min: lo, Max: hi, Scaling: sc})
			}
		}
	}
	numeric(pr.IntegerParameterRanges, tuning.Integer, "IntegerParameterRanges")
	numeric(pr.ContinuousParameterRanges, tuning.Continuous, "ContinuousParameterRanges")
	for _, cr := range pr.CategoricalParameterRanges {
		r := tuning.Range{Name: cr.Name, Type: tuning.Categorical}
		for _, v := range cr.Values {
			r.Values = append(r.Values, string(v))
		}
		ranges = append(ranges, r)
	}
	if len(ranges) == 0 {
		bad(at[:len(at)-1], "no ranges: tune at least one hyperparameter")
	} else {
		space, serrs := tuning.NewSpace(ranges)
		for _, e := range serrs {
			bad(at[:len(at)-1], "%v", e)
		}
		p.space = space
		if p.def != nil && space != nil {
			for _, name := range space.Names() {
				if _, fixed := p.def.StaticHyperParameters[name]; fixed {
					bad("TrainingJobDefinition.StaticHyperParameters."+name, "is also tuned in ParameterRanges")
				}
			}
		}
	}
	if p.def != nil {
		if _, ok := p.def.AlgorithmSpecification["TrainingImage"].(string); !ok {
			if _, named := p.def.AlgorithmSpecification["AlgorithmName"]; !named {
				bad("TrainingJobDefinition.AlgorithmSpecification.TrainingImage", "required: the training image")
			}
		}
	}
	return p, errs
}
