package main

import (
	"context"
	"errors"
)

func cmdValidate(ctx context.Context, m *Main, args []string) error {
	return errors.New("not built yet")
}

func cmdRun(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdExecutions(ctx context.Context, m *Main, args []string) error {
	return errors.New("not built yet")
}

func cmdSteps(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdLogs(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdStop(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }

func cmdResume(ctx context.Context, m *Main, args []string) error { return errors.New("not built yet") }
