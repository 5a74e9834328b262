package main

import (
	"context"
	"errors"
)

func cmdModels(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdEndpoints(ctx context.Context, m *Main, args []string) error {
	return errors.New("not built yet")
}

func cmdServer(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdServeModel(ctx context.Context, m *Main, args []string) error {
	return errors.New("not built yet")
}
