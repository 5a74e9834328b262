package main

import (
	"context"
	"errors"
)

func cmdTrain(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdPredict(ctx context.Context, m *Main, args []string) error {
	return errors.New("not built yet")
}
