package main

import "github.com/ferryml/ferry/internal/engine"

// secretKeys opens the home's keyring for an engine (engine.Engine.Keys),
// which calls it only for an execution with secret values.
func (m *Main) secretKeys() func() (engine.Keys, error) {
	return func() (engine.Keys, error) {
		k, err := m.Keyring()
		if err != nil {
			return nil, err
		}
		return k, nil
	}
}

// lookupEnv reads Ferry's environment for {from_env: NAME} arguments
// (engine.Engine.LookupEnv); an empty variable counts as unset.
func (m *Main) lookupEnv(name string) (string, bool) {
	v := m.Getenv(name)
	return v, v != ""
}
