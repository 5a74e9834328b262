package sqlite_test

import (
	"bytes"
	"testing"
)

func TestExecutionSealedParamsRoundTrip(t *testing.T) {
	t.Parallel()
	s := openExecutions(t)
	ctx := t.Context()
	if err := s.SavePipeline(ctx, "d1", "p", []byte("name: p")); err != nil {
		t.Fatal(err)
	}
	sealed := []byte{0, 1, 2, 0xff, 'x'}
	ex := newExecution("e-sealed", t0)
	ex.Params["token"], ex.Overrides["token"], ex.SealedParams = "***", "***", sealed
	if err := s.CreateExecution(ctx, ex); err != nil {
		t.Fatal(err)
	}
	got, err := s.Execution(ctx, "e-sealed")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.SealedParams, sealed) || got.Params["token"] != "***" || got.Overrides["token"] != "***" {
		t.Errorf("read back %q, params %v, overrides %v", got.SealedParams, got.Params, got.Overrides)
	}
	// An update (a resume claims with new parameters) keeps them.
	got.Status = "Failed"
	if err := s.UpdateExecution(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Execution(ctx, "e-sealed")
	if !bytes.Equal(again.SealedParams, sealed) {
		t.Errorf("after update: %q", again.SealedParams)
	}
}
