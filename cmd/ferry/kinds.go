package main

import (
	"github.com/ferryml/ferry/internal/evaluate"
	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/fail"
	"github.com/ferryml/ferry/internal/step/processing"
)

// kinds returns the step kinds this binary knows. Every kind is registered
// here, explicitly.
func (m *Main) kinds() *step.Registry {
	r := step.NewRegistry()
	r.MustRegister(
		&commandkind.Kind{},
		fail.Kind{},
		processing.New(prepare.New(), evaluate.New()),
	)
	return r
}
