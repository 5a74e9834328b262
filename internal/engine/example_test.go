package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/command"
)

// Example runs a two-step pipeline of command steps in-process, the way
// `ferry run` and the quickstart do, printing progress events.
func Example() {
	ctx := context.Background()
	home, _ := os.MkdirTemp("", "ferry-example-")
	defer os.RemoveAll(home)
	db, err := sqlite.Open(ctx, filepath.Join(home, "ferry.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	arts, _ := artifact.OpenDir(filepath.Join(home, "artifacts"))
	kinds := step.NewRegistry()
	kinds.MustRegister(&command.Kind{})

	src := []byte(`
version: 1
name: hello
steps:
  - name: greet
    kind: command
    command: [/bin/sh, -c, 'echo hello > "$FERRY_OUTPUT_TEXT/greeting.txt"; echo "{\"words\": 1}" > "$FERRY_PROPERTIES_FILE"']
    outputs: [text]
  - name: shout
    kind: command
    command: [/bin/sh, -c, 'tr a-z A-Z < "${FERRY_INPUT_GREETING}/greeting.txt"']
    inputs: {greeting: "${{ steps.greet.outputs.text }}"}
`)
	p, err := pipeline.Load(filepath.Join(home, "hello.yaml"), src, kinds)
	if err != nil {
		fmt.Println(err)
		return
	}
	eng := &engine.Engine{Kinds: kinds, Store: sqlite.NewExecutionStore(db), Artifacts: arts, Home: home}
	ex, err := eng.Run(ctx, p, engine.RunOptions{Source: src, OnEvent: func(ev engine.Event) {
		if ev.Step != "" && ev.StepStatus.Done() {
			fmt.Println(ev.Step, ev.StepStatus)
		}
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("execution", ex.Status == run.Succeeded)
	log, _ := os.ReadFile(eng.LogPath(ex.ID, "shout"))
	fmt.Println(string(log[len(log)-6:]))
	// Output:
	// greet Succeeded
	// shout Succeeded
	// execution true
	// HELLO
}
