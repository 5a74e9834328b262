package app

import "context"

// EngineInfo says where an app's executions run their steps: what a
// `ferry worker` needs to join them.
type EngineInfo struct {
	// Engine is "local" (steps run in the server) or "temporal".
	Engine string `json:"engine"`
	// TemporalAddress and Namespace locate Temporal (engine temporal).
	TemporalAddress string `json:"temporal_address,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	// ArtifactsDir is the server's artifact store, when it is a directory
	// (a worker on the same machine or a shared file system uses it).
	ArtifactsDir string `json:"artifacts_dir,omitempty"`
}

// Engine returns where the app's executions run their steps.
func (a *App) Engine(ctx context.Context) (EngineInfo, error) {
	info := a.cfg.Engine
	if info.Engine == "" {
		info.Engine = "local"
	}
	return info, nil
}
