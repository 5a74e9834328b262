package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

const modelsUsage = `models groups [--output json]
       ferry models groups set-endpoint GROUP ENDPOINT   (ENDPOINT "" turns auto-deploy off)
       ferry models list GROUP [--output json]
       ferry models show GROUP/VERSION [--output json]
       ferry models approve|reject GROUP/VERSION --reason TEXT [--by NAME]
       ferry models register GROUP MODEL_DIR [--status S] [--description D]
       ferry models events [--since ID] [--output json]`

// cmdModels is `ferry models`: the model registry.
func cmdModels(ctx context.Context, m *Main, args []string) error {
	approval := func(status registry.ApprovalStatus) subcommand {
		return func(ctx context.Context, m *Main, args []string) error { return modelsApproval(ctx, m, status, args) }
	}
	return runSubcommand(ctx, m, modelsUsage, map[string]subcommand{
		"groups":   modelsGroups,
		"list":     modelsList,
		"show":     modelsShow,
		"approve":  approval(registry.Approved),
		"reject":   approval(registry.Rejected),
		"register": modelsRegister,
		"events":   modelsEvents,
	}, args)
}

// subcommand is one subcommand of a command with several.
type subcommand func(ctx context.Context, m *Main, args []string) error

// runSubcommand runs the subcommand args[0] names. With none it prints the
// command's usage and exits 2; with -h or --help it prints it and exits 0.
func runSubcommand(ctx context.Context, m *Main, usage string, subs map[string]subcommand, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(m.Stderr, "Usage: ferry "+usage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, m, args[1:])
	}
	return usageError("unknown subcommand %q\nUsage: ferry %s", args[0], usage)
}

// registryArgs parses a registry command's flags and its n positional
// arguments (see parseArgs), then opens what the command acts on.
func (m *Main) registryArgs(ctx context.Context, fs *flag.FlagSet, args []string, output *string, n int, wrong func([]string) error) (ops, []string, error) {
	pos, err := parseArgs(fs, args, output, n, wrong)
	if err != nil {
		return nil, nil, err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return nil, nil, err
	}
	return o, pos, nil
}

func fmtWhen(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func modelsGroups(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "set-endpoint" {
		return modelsSetEndpoint(ctx, m, args[1:])
	}
	fs := m.newFlagSet("models groups", "[--output json]")
	out := outputFlag(fs)
	reg, _, err := m.registryArgs(ctx, fs, args, out, 0, unexpectedArg)
	if err != nil {
		return err
	}
	gs, err := reg.Groups(ctx)
	if err != nil {
		return err
	}
	return m.emit(*out, nonNil(gs), func() error {
		return writeTable(m.Stdout, "GROUP\tVERSIONS\tAUTO-DEPLOY ENDPOINT\tCREATED", func(tw io.Writer) {
			for _, g := range gs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", g.Name, g.LatestVersion, dash(g.Endpoint), fmtWhen(g.CreatedAt))
			}
		})
	})
}

func modelsSetEndpoint(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models groups set-endpoint", `GROUP ENDPOINT   (ENDPOINT "" turns auto-deploy off)`)
	reg, pos, err := m.registryArgs(ctx, fs, args, nil, 2, usageLine("usage: ferry models groups set-endpoint GROUP ENDPOINT"))
	if err != nil {
		return err
	}
	group, endpoint := pos[0], pos[1]
	if err := reg.SetGroupEndpoint(ctx, group, endpoint); err != nil {
		return err
	}
	if endpoint == "" {
		fmt.Fprintf(m.Stdout, "%s: auto-deploy off\n", group)
	} else {
		fmt.Fprintf(m.Stdout, "%s: approved versions deploy to endpoint %s\n", group, endpoint)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func modelsList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models list", "GROUP [--output json]")
	out := outputFlag(fs)
	reg, pos, err := m.registryArgs(ctx, fs, args, out, 1, usageLine("usage: ferry models list GROUP"))
	if err != nil {
		return err
	}
	vs, err := reg.Versions(ctx, pos[0])
	if err != nil {
		return err
	}
	return m.emit(*out, nonNil(vs), func() error {
		return writeTable(m.Stdout, "VERSION\tSTATUS\tMODEL\tCREATED\tEXECUTION\tDESCRIPTION", func(tw io.Writer) {
			for _, v := range vs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Version, v.Status, v.Model.Short(), fmtWhen(v.CreatedAt),
					dash(v.Lineage.ExecutionID), v.Description)
			}
		})
	})
}

func modelsShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models show", "GROUP/VERSION [--output json]")
	out := outputFlag(fs)
	ref, err := packageArg(fs, args, out, "usage: ferry models show GROUP/VERSION")
	if err != nil {
		return err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	v, err := o.Version(ctx, ref)
	if err != nil {
		return err
	}
	return m.emit(*out, v, func() error { return writeVersion(m.Stdout, v) })
}

// packageArg parses the flags of a command that takes one GROUP/VERSION.
func packageArg(fs *flag.FlagSet, args []string, output *string, usage string) (registry.PackageRef, error) {
	pos, err := parseArgs(fs, args, output, 1, usageLine("%s", usage))
	if err != nil {
		return registry.PackageRef{}, err
	}
	ref, err := registry.ParsePackageRef(pos[0])
	if err != nil {
		return registry.PackageRef{}, usageError("%v", err)
	}
	return ref, nil
}

// writeVersion writes the text form of `models show`.
func writeVersion(w io.Writer, v registry.Version) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Model package:    %s\n", v.Ref())
	fmt.Fprintf(&b, "Approval status:  %s\n", v.Status)
	fmt.Fprintf(&b, "Model artifact:   %s\n", v.Model)
	if v.Description != "" {
		fmt.Fprintf(&b, "Description:      %s\n", v.Description)
	}
	fmt.Fprintf(&b, "Created:          %s\n", fmtWhen(v.CreatedAt))
	if len(v.Inference.ContentTypes)+len(v.Inference.ResponseTypes) > 0 {
		fmt.Fprintf(&b, "Content types:    %s -> %s\n", strings.Join(v.Inference.ContentTypes, ", "), strings.Join(v.Inference.ResponseTypes, ", "))
	}
	writeRefs(&b, "Model metrics", v.Metrics)
	writeRefs(&b, "Drift-check baselines", v.DriftBaselines)
	if len(v.Metadata) > 0 {
		b.WriteString("Customer metadata:\n")
		for _, k := range slices.Sorted(maps.Keys(v.Metadata)) {
			fmt.Fprintf(&b, "  %s = %s\n", k, v.Metadata[k])
		}
	}
	l := v.Lineage
	if l.ExecutionID != "" || l.PipelineName != "" {
		pipe := dash(l.PipelineName)
		if l.PipelineDigest != "" {
			pipe += fmt.Sprintf(" (version %.12s)", l.PipelineDigest)
		}
		fmt.Fprintf(&b, "Lineage:          pipeline %s, execution %s, step %s\n", pipe, dash(l.ExecutionID), dash(l.Step))
		writeRefs(&b, "  Inputs", l.Inputs)
	}
	b.WriteString("Approval history:\n")
	for _, a := range v.History {
		fmt.Fprintf(&b, "  %s  %-22s by %s", fmtWhen(a.At), a.Status, a.By)
		if a.Reason != "" {
			fmt.Fprintf(&b, ": %s", a.Reason)
		}
		b.WriteString("\n")
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}

func writeRefs(b *strings.Builder, title string, refs map[string]artifact.Ref) {
	if len(refs) == 0 {
		return
	}
	b.WriteString(title + ":\n")
	for _, k := range slices.Sorted(maps.Keys(refs)) {
		fmt.Fprintf(b, "  %-32s %s\n", k, refs[k])
	}
}

func modelsApproval(ctx context.Context, m *Main, status registry.ApprovalStatus, args []string) error {
	verb := map[registry.ApprovalStatus]string{registry.Approved: "approve", registry.Rejected: "reject"}[status]
	fs := m.newFlagSet("models "+verb, "GROUP/VERSION --reason TEXT [--by NAME]")
	reason := fs.String("reason", "", "why (required)")
	by := fs.String("by", "", "who decides (default $USER)")
	ref, err := packageArg(fs, args, nil, "usage: ferry models "+verb+" GROUP/VERSION --reason TEXT")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usageError("--reason is required: say why")
	}
	who := *by
	if who == "" {
		who = m.Getenv("USER")
	}
	if who == "" {
		who = "cli"
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	res, err := o.SetApproval(ctx, app.ApprovalRequest{Ref: ref, Status: status, By: who, Reason: *reason})
	if v := res.Version; res.Unchanged {
		fmt.Fprintf(m.Stdout, "%s is already %s; nothing changed\n", v.Ref(), v.Status)
		return nil
	} else if v.Version > 0 {
		fmt.Fprintf(m.Stdout, "%s is now %s\n", v.Ref(), v.Status)
	}
	if err != nil {
		return err
	}
	if res.DeployedTo != "" {
		fmt.Fprintf(m.Stdout, "deployed to endpoint %s\n", res.DeployedTo)
	}
	return nil
}

func modelsRegister(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models register", "GROUP MODEL_DIR [--status S] [--description D]")
	status := fs.String("status", string(registry.PendingManualApproval), "initial approval status: PendingManualApproval, Approved or Rejected")
	desc := fs.String("description", "", "the version's description")
	pos, err := parseArgs(fs, args, nil, 2, usageLine("usage: ferry models register GROUP MODEL_DIR"))
	if err != nil {
		return err
	}
	if err := m.localOnly("models register"); err != nil {
		return err
	}
	if st := registry.ApprovalStatus(*status); !st.Valid() {
		return usageError("--status %q: want %s, %s or %s", *status, registry.PendingManualApproval, registry.Approved, registry.Rejected)
	}
	a, err := m.App(ctx)
	if err != nil {
		return err
	}
	v, err := a.Register(ctx, app.RegisterRequest{Group: pos[0], ModelDir: pos[1], Description: *desc,
		Status: registry.ApprovalStatus(*status), By: m.Getenv("USER")})
	if errors.Is(err, app.ErrInvalid) {
		return usageError("MODEL_DIR %s", strings.TrimSuffix(err.Error(), ": "+app.ErrInvalid.Error()))
	}
	if v.Version > 0 {
		fmt.Fprintf(m.Stdout, "registered %s (%s)\n", v.Ref(), v.Status)
	}
	return err
}

func modelsEvents(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models events", "[--since ID] [--output json]")
	since := fs.Int64("since", 0, "list events after this ID")
	out := outputFlag(fs)
	reg, _, err := m.registryArgs(ctx, fs, args, out, 0, unexpectedArg)
	if err != nil {
		return err
	}
	var evs []registry.Event
	for {
		page, err := reg.Events(ctx, *since, app.MaxPageSize)
		if err != nil {
			return err
		}
		evs = append(evs, page.Events...)
		if len(page.Events) < app.MaxPageSize {
			break
		}
		*since = page.NextSince
	}
	return m.emit(*out, nonNil(evs), func() error {
		return writeTable(m.Stdout, "ID\tTIME\tTYPE\tSUBJECT\tDETAIL", func(tw io.Writer) {
			for _, e := range evs {
				subject := e.Endpoint
				switch {
				case e.Version > 0:
					subject = e.Group + "/" + strconv.Itoa(e.Version)
				case e.Group != "":
					subject = e.Group
				case e.Model != "":
					subject = e.Model
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.ID, fmtWhen(e.Time), e.Type, subject, truncateDetail(string(e.Detail)))
			}
		})
	})
}

func truncateDetail(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
