package main

import (
	"errors"
	"fmt"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/sagemaker/lambda"
)

// withFlagHint adds the command-line flag that fixes err, for the typed
// errors of internal packages (which never name flags themselves).
func withFlagHint(err error) error {
	var unsel *engine.UnselectedError
	switch {
	case errors.As(err, &unsel):
		return fmt.Errorf("%w (--from EXECUTION)", err)
	case errors.Is(err, engine.ErrSourceWithoutSelection):
		return fmt.Errorf("%w (--from needs --steps)", err)
	case errors.Is(err, app.ErrConflict):
		return errors.New(conflictMessage(err))
	case errors.Is(err, lambda.ErrNotFound):
		return fmt.Errorf("%w (ferry lambda register NAME --code DIR_OR_ZIP --handler module.function)", err)
	case errors.Is(err, auth.ErrUnauthenticated):
		return fmt.Errorf("%w (set FERRY_TOKEN to a token made with ferry tokens create on the server's home)", err)
	}
	return err
}
