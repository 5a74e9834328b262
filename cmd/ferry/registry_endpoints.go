package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

const endpointsUsage = `endpoints list [--output json]
       ferry endpoints show NAME [--output json]
       ferry endpoints delete NAME
       ferry endpoints deploy NAME GROUP/VERSION [--variant V] [--instance-count N] [--weight W]
       ferry endpoints invoke NAME --csv FILE | --json FILE | --jsonlines FILE [--accept TYPE] [--variant V] [--explain]`

// cmdEndpoints is `ferry endpoints`.
func cmdEndpoints(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(m.Stderr, "Usage: ferry "+endpointsUsage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	switch args[0] {
	case "list":
		return endpointsList(ctx, m, args[1:])
	case "show":
		return endpointsShow(ctx, m, args[1:])
	case "delete":
		return endpointsDelete(ctx, m, args[1:])
	case "deploy":
		return endpointsDeploy(ctx, m, args[1:])
	case "invoke":
		return endpointsInvoke(ctx, m, args[1:])
	}
	return registryUsageError("unknown subcommand %q\nUsage: ferry %s", args[0], endpointsUsage)
}

func variantsSummary(ep registry.Endpoint) string {
	var parts []string
	for _, v := range ep.Config.Variants {
		parts = append(parts, fmt.Sprintf("%s=%s/%d(w%g,x%d)", v.Name, v.Group, v.Version, v.Weight, v.InstanceCount))
	}
	return strings.Join(parts, " ")
}

func endpointsList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints list", "[--output json]")
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
	eps, err := reg.Endpoints(ctx)
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(nonNil(eps))
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tSTATUS\tCONFIG\tVARIANTS\tUPDATED")
	for _, ep := range eps {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", ep.Name, ep.Status, ep.ConfigVersion, variantsSummary(ep), fmtWhen(ep.UpdatedAt))
	}
	return tw.Flush()
}

func endpointsShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints show", "NAME [--output json]")
	out := outputFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*out); err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry endpoints show NAME")
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	ep, err := reg.Endpoint(ctx, pos[0])
	if err != nil {
		return err
	}
	if *out == "json" {
		return m.writeJSONOut(ep)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Endpoint:        %s\nStatus:          %s\nConfig version:  %d\nCreated:         %s\nUpdated:         %s\n",
		ep.Name, ep.Status, ep.ConfigVersion, fmtWhen(ep.CreatedAt), fmtWhen(ep.UpdatedAt))
	if ep.FailureReason != "" {
		fmt.Fprintf(&b, "Failure reason:  %s\n", ep.FailureReason)
	}
	b.WriteString("Variants:\n")
	for _, v := range ep.Config.Variants {
		fmt.Fprintf(&b, "  %-16s %s/%d  weight %g  instances %d  model %s\n", v.Name, v.Group, v.Version, v.Weight, v.InstanceCount, v.Model.Short())
	}
	if dc := ep.Config.DataCapture; dc.Enabled {
		fmt.Fprintf(&b, "Data capture:    %g%% to %s\n", dc.SamplingPercentage, dc.Destination)
	} else {
		b.WriteString("Data capture:    off\n")
	}
	_, err = fmt.Fprint(m.Stdout, b.String())
	return err
}

func endpointsDelete(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints delete", "NAME")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry endpoints delete NAME")
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	if err := reg.DeleteEndpoint(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "deleted endpoint %s\n", pos[0])
	return nil
}

func endpointsDeploy(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints deploy", "NAME GROUP/VERSION [--variant V] [--instance-count N] [--weight W]")
	variant := fs.String("variant", registry.DefaultVariant, "the production variant to create or update")
	count := fs.Int("instance-count", 1, "replicas")
	weight := fs.Float64("weight", 0, "the variant's traffic weight (default: 1 for a new variant, unchanged otherwise)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return registryUsageError("usage: ferry endpoints deploy NAME GROUP/VERSION")
	}
	pkg, err := registry.ParsePackageRef(pos[1])
	if err != nil {
		return registryUsageError("%v", err)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	ep, changed, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: pos[0], Package: pkg, Variant: *variant,
		InstanceCount: *count, Weight: *weight})
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(m.Stdout, "endpoint %s already serves %s\n", ep.Name, pkg)
		return nil
	}
	fmt.Fprintf(m.Stdout, "endpoint %s config %d: %s (%s)\n", ep.Name, ep.ConfigVersion, variantsSummary(ep), ep.Status)
	return nil
}

func endpointsInvoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints invoke", "NAME --csv FILE | --json FILE | --jsonlines FILE [--accept TYPE]")
	csvFile := fs.String("csv", "", "a text/csv payload file (- for stdin)")
	jsonFile := fs.String("json", "", "an application/json payload file (- for stdin)")
	jlFile := fs.String("jsonlines", "", "an application/jsonlines payload file (- for stdin)")
	accept := fs.String("accept", "", "the response type (default: the request's)")
	variant := fs.String("variant", "", "target this production variant")
	explain := fs.Bool("explain", false, "add SHAP values per record")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return registryUsageError("usage: ferry endpoints invoke NAME --csv FILE")
	}
	var file, ctype string
	for _, c := range []struct{ file, ctype string }{{*csvFile, "text/csv"}, {*jsonFile, "application/json"}, {*jlFile, "application/jsonlines"}} {
		if c.file == "" {
			continue
		}
		if file != "" {
			return registryUsageError("give one of --csv, --json and --jsonlines")
		}
		file, ctype = c.file, c.ctype
	}
	if file == "" {
		return registryUsageError("give the payload with --csv FILE, --json FILE or --jsonlines FILE")
	}
	var body []byte
	if file == "-" {
		body, err = io.ReadAll(m.Stdin)
	} else {
		body, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("reading payload: %w", err)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	ep, err := reg.Endpoint(ctx, pos[0])
	if err != nil {
		return err
	}
	store, err := m.Store()
	if err != nil {
		return err
	}
	srv, err := serving.NewServer(servingLoader(store), serving.Options{Logger: m.Logger})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Apply(ctx, []registry.Endpoint{ep}, nil); err != nil {
		return err
	}
	resp, err := srv.Invoke(ctx, ep.Name, serving.Request{ContentType: ctype, Accept: *accept, Body: body,
		TargetVariant: *variant, Explain: *explain})
	if err != nil {
		var se *serving.StatusError
		if errors.As(err, &se) {
			return &exitError{code: 1, msg: fmt.Sprintf("%d %s", se.Status, se.Error())}
		}
		return err
	}
	fmt.Fprintf(m.Stderr, "variant %s answered (%s, %d records)\n", resp.Variant, resp.ContentType, resp.Records)
	_, err = m.Stdout.Write(resp.Body)
	return err
}
