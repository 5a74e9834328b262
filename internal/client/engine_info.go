package client

import (
	"context"
	"net/http"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/run"
)

// Engine returns where the server's executions run their steps.
func (c *Client) Engine(ctx context.Context) (app.EngineInfo, error) {
	var info app.EngineInfo
	err := c.call(ctx, http.MethodGet, path("engine"), nil, nil, &info)
	return info, err
}

// ReportAttempt tells the server that this worker starts attempt n of a
// running step.
func (c *Client) ReportAttempt(ctx context.Context, executionID, step string, attempt int) error {
	return c.call(ctx, http.MethodPost, path("executions", executionID, "steps", step, "attempts"), nil, api.StepAttemptRequest{Attempt: attempt}, nil)
}

// SaveTrial records a finished trial of a tuning step this worker runs in
// the server's database.
func (c *Client) SaveTrial(ctx context.Context, executionID, step string, t *run.Trial) error {
	return c.call(ctx, http.MethodPost, path("executions", executionID, "steps", step, "trials"), nil, t, nil)
}
