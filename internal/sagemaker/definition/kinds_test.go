package definition

import (
	"context"
	"sort"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/clarifycheck"
	"github.com/ferryml/ferry/internal/step/fail"
	"github.com/ferryml/ferry/internal/step/qualitycheck"
)

// stubKind stands for a SageMaker job kind: its Spec is the contract's.
type stubKind struct{ spec step.Spec }

func (k stubKind) Spec() step.Spec { return k.spec }

func (k stubKind) Run(context.Context, step.Env, step.Request) (step.Result, error) {
	return step.Result{}, nil
}

// OutputNames implements pipeline.OutputNamer for sagemaker_processing.
func (k stubKind) OutputNames(args map[string]any) ([]string, bool) {
	if k.spec.Kind != KindProcessing {
		return nil, false
	}
	return ProcessingOutputNames(args)
}

// stubKinds is a kind lookup with the contract's kinds, Ferry's
// clarify_check and fail.
type stubKinds map[string]step.Kind

func newStubKinds() stubKinds {
	ks := stubKinds{}
	for _, id := range []string{KindProcessing, KindTraining, KindTransform, KindModel, KindRegisterModel, KindLambda, KindCallback, KindJSONGet, KindTuning} {
		spec, _ := KindSpec(id)
		ks[id] = stubKind{spec}
	}
	ks[clarifycheck.ID] = clarifycheck.New(nil)
	ks[qualitycheck.ID] = qualitycheck.New(nil)
	ks["fail"] = fail.Kind{}
	return ks
}

func (ks stubKinds) Lookup(id string) (step.Kind, bool) {
	k, ok := ks[id]
	return k, ok
}

func (ks stubKinds) IDs() []string {
	ids := make([]string, 0, len(ks))
	for id := range ks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
