package main

import "github.com/ferryml/ferry/internal/engine"

// wireSecrets gives an engine the home's keyring (opened only for an
// execution with secret values) and Ferry's environment, which
// {from_env: NAME} arguments read (an empty variable counts as unset).
func (m *Main) wireSecrets(e *engine.Engine) *engine.Engine {
	e.Keys = func() (engine.Keys, error) {
		k, err := m.Keyring()
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	e.LookupEnv = func(name string) (string, bool) {
		v := m.Getenv(name)
		return v, v != ""
	}
	return e
}
