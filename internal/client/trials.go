package client

import (
	"context"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
)

// Trials returns a tuning step's trials.
func (c *Client) Trials(ctx context.Context, id, step string) (app.StepTrials, error) {
	var ts app.StepTrials
	err := c.call(ctx, http.MethodGet, path("executions", id, "steps", step, "trials"), nil, nil, &ts)
	return ts, err
}
