package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

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
	return runSubcommand(ctx, m, endpointsUsage, map[string]subcommand{
		"list":   endpointsList,
		"show":   endpointsShow,
		"delete": endpointsDelete,
		"deploy": endpointsDeploy,
		"invoke": endpointsInvoke,
	}, args)
}

func variantsSummary(ep registry.Endpoint) string {
	var parts []string
	for _, v := range ep.Config.Variants {
		parts = append(parts, fmt.Sprintf("%s=%s(w%g,x%d)", v.Name, v.Source(), v.Weight, v.InstanceCount))
	}
	return strings.Join(parts, " ")
}

func endpointsList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints list", "[--output json]")
	out := outputFlag(fs)
	reg, _, err := m.registryArgs(ctx, fs, args, out, 0, unexpectedArg)
	if err != nil {
		return err
	}
	eps, err := reg.Endpoints(ctx)
	if err != nil {
		return err
	}
	return m.emit(*out, nonNil(eps), func() error {
		return writeTable(m.Stdout, "ENDPOINT\tSTATUS\tCONFIG\tVARIANTS\tUPDATED", func(tw io.Writer) {
			for _, ep := range eps {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", ep.Name, ep.Status, ep.ConfigVersion, variantsSummary(ep), fmtWhen(ep.UpdatedAt))
			}
		})
	})
}

func endpointsShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints show", "NAME [--output json]")
	out := outputFlag(fs)
	reg, pos, err := m.registryArgs(ctx, fs, args, out, 1, usageLine("usage: ferry endpoints show NAME"))
	if err != nil {
		return err
	}
	ep, err := reg.Endpoint(ctx, pos[0])
	if err != nil {
		return err
	}
	return m.emit(*out, ep, func() error { return writeEndpoint(m.Stdout, ep) })
}

// writeEndpoint writes the text form of `endpoints show`.
func writeEndpoint(w io.Writer, ep registry.Endpoint) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Endpoint:        %s\nStatus:          %s\nConfig version:  %d\nCreated:         %s\nUpdated:         %s\n",
		ep.Name, ep.Status, ep.ConfigVersion, fmtWhen(ep.CreatedAt), fmtWhen(ep.UpdatedAt))
	if ep.FailureReason != "" {
		fmt.Fprintf(&b, "Failure reason:  %s\n", ep.FailureReason)
	}
	b.WriteString("Variants:\n")
	for _, v := range ep.Config.Variants {
		fmt.Fprintf(&b, "  %-16s %s  weight %g  instances %d  model %s\n", v.Name, v.Source(), v.Weight, v.InstanceCount, v.Model.Short())
	}
	if dc := ep.Config.DataCapture; dc.Enabled {
		fmt.Fprintf(&b, "Data capture:    %g%% to %s\n", dc.SamplingPercentage, dc.Destination)
	} else {
		b.WriteString("Data capture:    off\n")
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}

func endpointsDelete(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints delete", "NAME")
	reg, pos, err := m.registryArgs(ctx, fs, args, nil, 1, usageLine("usage: ferry endpoints delete NAME"))
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
	pos, err := parseArgs(fs, args, nil, 2, usageLine("usage: ferry endpoints deploy NAME GROUP/VERSION"))
	if err != nil {
		return err
	}
	pkg, err := registry.ParsePackageRef(pos[1])
	if err != nil {
		return usageError("%v", err)
	}
	if *count < 1 {
		return usageError("--instance-count %d: want >= 1", *count)
	}
	if !(*weight >= 0) || math.IsInf(*weight, 0) {
		return usageError("--weight %v: want a finite number >= 0", *weight)
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	res, err := o.Deploy(ctx, registry.DeployRequest{Endpoint: pos[0], Package: pkg, Variant: *variant,
		InstanceCount: *count, Weight: *weight})
	if err != nil {
		return err
	}
	ep := res.Endpoint
	if !res.Changed {
		fmt.Fprintf(m.Stdout, "endpoint %s already serves %s\n", ep.Name, pkg)
		return nil
	}
	fmt.Fprintf(m.Stdout, "endpoint %s config %d: %s (%s)\n", ep.Name, ep.ConfigVersion, variantsSummary(ep), ep.Status)
	return nil
}

func endpointsInvoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("endpoints invoke", "NAME --csv FILE | --json FILE | --jsonlines FILE [--accept TYPE] [--variant V] [--explain]")
	csvFile := fs.String("csv", "", "a text/csv payload file (- for stdin)")
	jsonFile := fs.String("json", "", "an application/json payload file (- for stdin)")
	jlFile := fs.String("jsonlines", "", "an application/jsonlines payload file (- for stdin)")
	accept := fs.String("accept", "", "the response type (default: the request's)")
	variant := fs.String("variant", "", "target this production variant")
	explain := fs.Bool("explain", false, "add SHAP values per record")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry endpoints invoke NAME --csv FILE"))
	if err != nil {
		return err
	}
	var file, ctype string
	for _, c := range []struct{ file, ctype string }{{*csvFile, "text/csv"}, {*jsonFile, "application/json"}, {*jlFile, "application/jsonlines"}} {
		if c.file == "" {
			continue
		}
		if file != "" {
			return usageError("give one of --csv, --json and --jsonlines")
		}
		file, ctype = c.file, c.ctype
	}
	if file == "" {
		return usageError("give the payload with --csv FILE, --json FILE or --jsonlines FILE")
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
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	resp, err := o.Invoke(ctx, pos[0], serving.Request{ContentType: ctype, Accept: *accept, Body: body,
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
