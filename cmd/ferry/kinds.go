package main

import (
	"path/filepath"

	"github.com/ferryml/ferry/internal/evaluate"
	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/clarifycheck"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/createmodel"
	"github.com/ferryml/ferry/internal/step/deploy"
	"github.com/ferryml/ferry/internal/step/fail"
	"github.com/ferryml/ferry/internal/step/processing"
	"github.com/ferryml/ferry/internal/step/qualitycheck"
	"github.com/ferryml/ferry/internal/step/register"
	"github.com/ferryml/ferry/internal/step/training"
	"github.com/ferryml/ferry/internal/step/transform"
	"github.com/ferryml/ferry/internal/step/tuning"
)

// kindSpecs returns the same kinds for validation only: their specs are
// complete, but the kinds that act on the registry have none and must not
// run. It opens nothing, so `ferry validate` leaves no trace.
func (m *Main) kindSpecs() *step.Registry {
	return m.buildKinds(nil)
}

func (m *Main) buildKinds(reg *registry.Registry) *step.Registry {
	r := step.NewRegistry()
	logLimit, _ := m.stepLogLimit()
	var baselines clarifycheck.BaselineSource
	if reg != nil {
		baselines = reg
	}
	// A SageMaker ClarifyCheck step names its analysis_config.json by an
	// s3:// URI (the SDK uploaded it while building the definition).
	clarifyCheck := clarifycheck.New(baselines)
	clarifyCheck.Objects = m.jobObjects()
	// A SageMaker QualityCheck step names its data set and supplied
	// baselines by s3:// URIs.
	qualityCheck := qualitycheck.New(baselines)
	qualityCheck.Objects = m.jobObjects()
	r.MustRegister(
		&commandkind.Kind{Environ: stepEnviron, LogLimit: logLimit}, // LogLimit: FERRY_STEP_LOG_LIMIT, checked by kinds
		fail.Kind{},
		processing.New(prepare.New(), evaluate.New(), clarifycheck.NewProcessor()),
		training.New(),
		tuning.New(m.trialStore(reg != nil)),
		transform.New(),
		clarifyCheck,
		createmodel.New(reg),
		register.New(reg),
		deploy.New(reg, filepath.Join(m.Home(), "data-capture")),
		qualityCheck,
	)
	r.MustRegister(m.sagemakerKinds(reg)...)
	return r
}
