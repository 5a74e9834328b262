package client

import (
	"context"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
)

// Engine returns where the server's executions run their steps.
func (c *Client) Engine(ctx context.Context) (app.EngineInfo, error) {
	var info app.EngineInfo
	err := c.call(ctx, http.MethodGet, path("engine"), nil, nil, &info)
	return info, err
}
