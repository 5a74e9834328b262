package main

import (
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/fail"
)

// kinds returns the step kinds this binary knows. Every kind is registered
// here, explicitly.
func (m *Main) kinds() *step.Registry {
	r := step.NewRegistry()
	r.MustRegister(
		&commandkind.Kind{},
		fail.Kind{},
	)
	return r
}
