package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(m.Stderr, "Usage: ferry "+modelsUsage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	switch args[0] {
	case "groups":
		return modelsGroups(ctx, m, args[1:])
	case "list":
		return modelsList(ctx, m, args[1:])
	case "show":
		return modelsShow(ctx, m, args[1:])
	case "approve":
		return modelsApproval(ctx, m, registry.Approved, args[1:])
	case "reject":
		return modelsApproval(ctx, m, registry.Rejected, args[1:])
	case "register":
		return modelsRegister(ctx, m, args[1:])
	case "events":
		return modelsEvents(ctx, m, args[1:])
	}
	return registryUsageError("unknown subcommand %q\nUsage: ferry %s", args[0], modelsUsage)
}

func fmtWhen(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func modelsGroups(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "set-endpoint" {
		if len(args) != 3 {
			return registryUsageError("usage: ferry models groups set-endpoint GROUP ENDPOINT")
		}
		reg, err := m.Registry(ctx)
		if err != nil {
			return err
		}
		if err := reg.SetGroupEndpoint(ctx, args[1], args[2]); err != nil {
			return err
		}
		if args[2] == "" {
			fmt.Fprintf(m.Stdout, "%s: auto-deploy off\n", args[1])
		} else {
			fmt.Fprintf(m.Stdout, "%s: approved versions deploy to endpoint %s\n", args[1], args[2])
		}
		return nil
	}
	fs := m.newFlagSet("models groups", "[--output json]")
	out := outputFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*out); err != nil {
		return err
	}
	if len(pos) > 0 {
		return registryUsageError("unexpected argument %q", pos[0])
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	gs, err := reg.Groups(ctx)
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(nonNil(gs))
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tVERSIONS\tAUTO-DEPLOY ENDPOINT\tCREATED")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", g.Name, g.LatestVersion, dash(g.Endpoint), fmtWhen(g.CreatedAt))
	}
	return tw.Flush()
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
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*out); err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry models list GROUP")
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	vs, err := reg.Versions(ctx, pos[0])
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(nonNil(vs))
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATUS\tMODEL\tCREATED\tEXECUTION\tDESCRIPTION")
	for _, v := range vs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Version, v.Status, v.Model.Short(), fmtWhen(v.CreatedAt),
			dash(v.Lineage.ExecutionID), v.Description)
	}
	return tw.Flush()
}

func modelsShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models show", "GROUP/VERSION [--output json]")
	out := outputFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*out); err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry models show GROUP/VERSION")
	}
	ref, err := registry.ParsePackageRef(pos[0])
	if err != nil {
		return registryUsageError("%v", err)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	v, err := reg.Version(ctx, ref)
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(v)
	}
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
		fmt.Fprintf(&b, "Lineage:          pipeline %s, execution %s, step %s\n", dash(l.PipelineName), dash(l.ExecutionID), dash(l.Step))
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
	_, err = fmt.Fprint(m.Stdout, b.String())
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
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry models %s GROUP/VERSION --reason TEXT", verb)
	}
	if strings.TrimSpace(*reason) == "" {
		return registryUsageError("--reason is required: say why")
	}
	ref, err := registry.ParsePackageRef(pos[0])
	if err != nil {
		return registryUsageError("%v", err)
	}
	who := *by
	if who == "" {
		who = m.Getenv("USER")
	}
	if who == "" {
		who = "cli"
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	v, err := reg.SetApproval(ctx, ref, status, who, *reason)
	if v.Version > 0 {
		fmt.Fprintf(m.Stdout, "%s is now %s\n", v.Ref(), v.Status)
	}
	if err != nil {
		return err
	}
	if status == registry.Approved {
		if g, err := reg.Group(ctx, ref.Group); err == nil && g.Endpoint != "" {
			fmt.Fprintf(m.Stdout, "deployed to endpoint %s\n", g.Endpoint)
		}
	}
	return nil
}

func modelsRegister(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models register", "GROUP MODEL_DIR [--status S] [--description D]")
	status := fs.String("status", string(registry.PendingManualApproval), "initial approval status")
	desc := fs.String("description", "", "the version's description")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return registryUsageError("usage: ferry models register GROUP MODEL_DIR")
	}
	store, err := m.Store()
	if err != nil {
		return err
	}
	if _, err := loadServingModel(pos[1]); err != nil {
		return err
	}
	ref, err := store.PutDir(ctx, pos[1])
	if err != nil {
		return fmt.Errorf("storing model %s: %w", pos[1], err)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	who := m.Getenv("USER")
	v, err := reg.Register(ctx, registry.RegisterRequest{Group: pos[0], Model: ref, Description: *desc,
		Status: registry.ApprovalStatus(*status), By: who})
	if v.Version > 0 {
		fmt.Fprintf(m.Stdout, "registered %s (%s)\n", v.Ref(), v.Status)
	}
	return err
}

func modelsEvents(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("models events", "[--since ID] [--output json]")
	since := fs.Int64("since", 0, "list events after this ID")
	out := outputFlag(fs)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*out); err != nil {
		return err
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	evs, err := reg.Events(ctx, *since)
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(nonNil(evs))
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tTYPE\tSUBJECT\tDETAIL")
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
	return tw.Flush()
}

func truncateDetail(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
