package main

import (
	"os"
	"strings"

	"github.com/ferryml/ferry/internal/engine"
)

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

// stepEnviron is the environment command steps inherit: Ferry's, without
// FERRY_SECRET_KEY (the home's master key, from which every token's secret
// access key derives). A step that needs a secret takes it explicitly, with
// {from_env: NAME}.
func stepEnviron() []string { return withoutSecretKey(os.Environ()) }

func withoutSecretKey(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "FERRY_SECRET_KEY=") {
			out = append(out, kv)
		}
	}
	return out
}
