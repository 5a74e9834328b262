package app

import (
	"context"
	"fmt"
)

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
	// Artifacts is the server's artifact store when it is on an
	// S3-compatible service (s3://BUCKET/PREFIX), with the service's
	// endpoint and region; never credentials (each worker has its own).
	Artifacts         string `json:"artifacts,omitempty"`
	ArtifactsEndpoint string `json:"artifacts_endpoint,omitempty"`
	ArtifactsRegion   string `json:"artifacts_region,omitempty"`
}

// Engine returns where the app's executions run their steps.
func (a *App) Engine(ctx context.Context) (EngineInfo, error) {
	info := a.cfg.Engine
	if info.Engine == "" {
		info.Engine = "local"
	}
	return info, nil
}

// AttemptReporter takes a worker's report that it starts attempt n of a
// running step; the Temporal engine's runner implements it.
type AttemptReporter interface {
	ReportAttempt(ctx context.Context, executionID, step string, attempt int) error
}

// ReportAttempt records that a worker starts attempt n of a running step
// (ErrConflict when the step is not running on a worker here).
func (a *App) ReportAttempt(ctx context.Context, executionID, step string, attempt int) error {
	if attempt < 1 {
		return fmt.Errorf("attempt %d: attempts count from 1: %w", attempt, ErrInvalid)
	}
	if a.cfg.Attempts == nil {
		return fmt.Errorf("this server runs its steps itself: %w", ErrConflict)
	}
	ex, err := a.cfg.Executions.ResolveExecution(ctx, executionID)
	if err != nil {
		return fmt.Errorf("execution %s: %w", executionID, err)
	}
	if err := a.cfg.Attempts.ReportAttempt(ctx, ex.ID, step, attempt); err != nil {
		return fmt.Errorf("step %s of execution %s: %v: %w", step, ex.ID, err, ErrConflict)
	}
	return nil
}
