package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// TestRoutes sends every route a request as an admin and checks the
// status and a part of the answer.
func TestRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	badRef := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name, method, path, body string
		want                     int
		contains                 string // in the body
		code                     string // the error code, for errors
	}{
		{name: "ListExecutions", method: "GET", path: "/api/v1/executions", want: 200, contains: f.exec},
		{name: "ListExecutionsFiltered", method: "GET", path: "/api/v1/executions?pipeline=apitest&status=Succeeded&limit=1", want: 200, contains: f.exec},
		{name: "ListExecutionsOtherPipeline", method: "GET", path: "/api/v1/executions?pipeline=nope", want: 200, contains: `"executions":[]`},
		{name: "ListExecutionsBadStatus", method: "GET", path: "/api/v1/executions?status=Sleeping", want: 400, code: "invalid_argument"},
		{name: "ListExecutionsBadLimit", method: "GET", path: "/api/v1/executions?limit=x", want: 400, code: "invalid_argument"},
		{name: "ListExecutionsLimitTooBig", method: "GET", path: "/api/v1/executions?limit=100000", want: 400, code: "invalid_argument"},
		{name: "ListExecutionsBadToken", method: "GET", path: "/api/v1/executions?page_token=zz", want: 400, code: "invalid_argument"},
		{name: "GetExecution", method: "GET", path: "/api/v1/executions/" + f.exec, want: 200, contains: `"steps":[`},
		{name: "GetExecutionByPrefix", method: "GET", path: "/api/v1/executions/" + f.exec[:20], want: 200, contains: f.exec},
		{name: "GetExecutionUnknown", method: "GET", path: "/api/v1/executions/nope", want: 404, code: "not_found"},
		{name: "StartInvalidPipeline", method: "POST", path: "/api/v1/executions", body: `{"source": "version: 1\nname: x\nsteps: [{name: a, kind: nope}]"}`, want: 400, code: "invalid_pipeline"},
		{name: "StartNoSource", method: "POST", path: "/api/v1/executions", body: `{}`, want: 400, code: "invalid_argument"},
		{name: "StartUnknownField", method: "POST", path: "/api/v1/executions", body: `{"sauce": "x"}`, want: 400, code: "invalid_argument"},
		{name: "StartBadParameter", method: "POST", path: "/api/v1/executions", body: `{"pipeline_digest": "nope", "parameters": {"x": [1]}}`, want: 400, code: "invalid_argument"},
		{name: "StartUnknownDigest", method: "POST", path: "/api/v1/executions", body: `{"pipeline_digest": "nope"}`, want: 404, code: "not_found"},
		{name: "StopFinished", method: "POST", path: "/api/v1/executions/" + f.exec + "/stop", want: 409, code: "conflict"},
		{name: "ResumeSucceeded", method: "POST", path: "/api/v1/executions/" + f.exec + "/resume", want: 409, code: "conflict"},
		{name: "Events", method: "GET", path: "/api/v1/executions/" + f.exec + "/events", want: 200, contains: "event: end"},
		{name: "EventsUnknown", method: "GET", path: "/api/v1/executions/nope/events", want: 404, code: "not_found"},
		{name: "ListSteps", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps", want: 200, contains: `"name":"write"`},
		{name: "GetStep", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps/write", want: 200, contains: `"status":"Succeeded"`},
		{name: "GetStepUnknown", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps/nope", want: 404, code: "not_found"},
		{name: "Log", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps/write/logs", want: 200, contains: "wrote hello"},
		{name: "LogFollow", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps/write/logs?follow=true", want: 200, contains: "event: log"},
		{name: "LogBadFollow", method: "GET", path: "/api/v1/executions/" + f.exec + "/steps/write/logs?follow=perhaps", want: 400, code: "invalid_argument"},
		{name: "Artifact", method: "GET", path: "/api/v1/artifacts/" + f.output, want: 200, contains: `"path":"sub/deep.txt"`},
		{name: "ArtifactMalformed", method: "GET", path: "/api/v1/artifacts/sha256:xyz", want: 400, code: "invalid_argument"},
		{name: "ArtifactUnknown", method: "GET", path: "/api/v1/artifacts/" + badRef, want: 404, code: "not_found"},
		{name: "ArtifactFile", method: "GET", path: "/api/v1/artifacts/" + f.output + "/files/word.txt", want: 200, contains: "hello"},
		{name: "ArtifactFileNested", method: "GET", path: "/api/v1/artifacts/" + f.output + "/files/sub/deep.txt", want: 200, contains: "deep"},
		{name: "ArtifactFileMissing", method: "GET", path: "/api/v1/artifacts/" + f.output + "/files/nope.txt", want: 404, code: "not_found"},
		{name: "ArtifactFileDirectory", method: "GET", path: "/api/v1/artifacts/" + f.output + "/files/sub", want: 400, code: "invalid_argument"},
		{name: "ArtifactFileTraversal", method: "GET", path: "/api/v1/artifacts/" + f.output + "/files/sub/..%2F..%2F..%2Fferry.db", want: 400, code: "invalid_argument"},
		{name: "Pipelines", method: "GET", path: "/api/v1/pipelines", want: 200, contains: `"name":"apitest"`},
		{name: "ValidateOK", method: "POST", path: "/api/v1/pipelines/validate", body: `{"source": "version: 1\nname: x\nsteps: [{name: a, kind: fail}]"}`, want: 200, contains: `"valid":true`},
		{name: "ValidateProblems", method: "POST", path: "/api/v1/pipelines/validate", body: `{"source": "version: 1\nname: x\nsteps: [{name: a, kind: nope}]"}`, want: 200, contains: `"valid":false`},
		{name: "ValidateNoBody", method: "POST", path: "/api/v1/pipelines/validate", want: 400, code: "invalid_argument"},
		{name: "PipelineVersions", method: "GET", path: "/api/v1/pipelines/apitest/versions", want: 200, contains: `"executions":1`},
		{name: "PipelineVersionsUnknown", method: "GET", path: "/api/v1/pipelines/nope/versions", want: 404, code: "not_found"},
		{name: "PipelineGraph", method: "GET", path: "/api/v1/pipelines/apitest/versions/" + f.digest, want: 200, contains: `"steps":[{"name":"write","kind":"command","depends_on":[]}]`},
		{name: "PipelineGraphUnknown", method: "GET", path: "/api/v1/pipelines/apitest/versions/nope", want: 404, code: "not_found"},
		{name: "PipelineSource", method: "GET", path: "/api/v1/pipelines/apitest/versions/" + f.digest + "/source", want: 200, contains: "name: apitest"},
		{name: "PipelineSourceUnknown", method: "GET", path: "/api/v1/pipelines/apitest/versions/nope/source", want: 404, code: "not_found"},
		{name: "Groups", method: "GET", path: "/api/v1/models", want: 200, contains: `"name":"fraud"`},
		{name: "Group", method: "GET", path: "/api/v1/models/fraud", want: 200, contains: `"versions":[`},
		{name: "GroupUnknown", method: "GET", path: "/api/v1/models/nope", want: 404, code: "not_found"},
		{name: "SetGroupEndpoint", method: "PUT", path: "/api/v1/models/fraud/endpoint", body: `{"endpoint": ""}`, want: 200, contains: `"name":"fraud"`},
		{name: "Versions", method: "GET", path: "/api/v1/models/fraud/versions", want: 200, contains: `"version":1`},
		{name: "Version", method: "GET", path: "/api/v1/models/fraud/versions/1", want: 200, contains: `"approval_status":"PendingManualApproval"`},
		{name: "VersionNotANumber", method: "GET", path: "/api/v1/models/fraud/versions/x", want: 400, code: "invalid_argument"},
		{name: "VersionUnknown", method: "GET", path: "/api/v1/models/fraud/versions/9", want: 404, code: "not_found"},
		{name: "ApproveNoReason", method: "POST", path: "/api/v1/models/fraud/versions/1/approve", body: `{"reason": ""}`, want: 400, code: "invalid_argument"},
		{name: "RejectUnknown", method: "POST", path: "/api/v1/models/fraud/versions/9/reject", body: `{"reason": "no"}`, want: 404, code: "not_found"},
		{name: "Lineage", method: "GET", path: "/api/v1/models/fraud/versions/1/lineage", want: 200, contains: `{`},
		{name: "Metrics", method: "GET", path: "/api/v1/models/fraud/versions/1/metrics", want: 200, contains: `"metrics":{}`},
		{name: "Events", method: "GET", path: "/api/v1/events?since=0&limit=2", want: 200, contains: `"next_since":2`},
		{name: "EventsBadSince", method: "GET", path: "/api/v1/events?since=x", want: 400, code: "invalid_argument"},
		{name: "Endpoints", method: "GET", path: "/api/v1/endpoints", want: 200, contains: `"name":"fraud-ep"`},
		{name: "Endpoint", method: "GET", path: "/api/v1/endpoints/fraud-ep", want: 200, contains: `"status":"InService"`},
		{name: "EndpointUnknown", method: "GET", path: "/api/v1/endpoints/nope", want: 404, code: "not_found"},
		{name: "DeployUnchanged", method: "PUT", path: "/api/v1/endpoints/fraud-ep", body: `{"model_package": "fraud/1"}`, want: 200, contains: `"changed":false`},
		{name: "DeployBadPackage", method: "PUT", path: "/api/v1/endpoints/fraud-ep", body: `{"model_package": "fraud"}`, want: 400, code: "invalid_argument"},
		{name: "Weights", method: "PUT", path: "/api/v1/endpoints/fraud-ep/weights", body: `{"weights": {"AllTraffic": 2}}`, want: 200, contains: `"weight":2`},
		{name: "WeightsUnknownVariant", method: "PUT", path: "/api/v1/endpoints/fraud-ep/weights", body: `{"weights": {"B": 1}}`, want: 404, code: "not_found"},
		{name: "DeleteUnknown", method: "DELETE", path: "/api/v1/endpoints/nope", want: 404, code: "not_found"},
		{name: "OpenAPI", method: "GET", path: "/api/v1/openapi.json", want: 200, contains: `"openapi": "3.1.0"`},
		{name: "NoRoute", method: "GET", path: "/api/v1/nope", want: 404, code: "not_found"},
		{name: "WrongMethod", method: "PATCH", path: "/api/v1/executions", want: 405, code: "method_not_allowed"},
		{name: "LegacyModels", method: "GET", path: "/api/models", want: 200, contains: `"groups"`},
		{name: "Invoke", method: "POST", path: "/endpoints/fraud-ep/invocations", body: strings.Repeat("1,", 47) + "1\n", want: 200},
		{name: "Ping", method: "GET", path: "/ping", want: 200},
		{name: "Metrics", method: "GET", path: "/metrics", want: 200, contains: "# metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.do(t, t.Context(), f.tokens[auth.Admin], tt.method, tt.path, tt.body)
			if r.status != tt.want {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.want)
			}
			if tt.contains != "" && !strings.Contains(string(r.body), tt.contains) {
				t.Errorf("%s %s: body %s, want it to contain %s", tt.method, tt.path, r.body, tt.contains)
			}
			if tt.code != "" {
				if got := errorCode(r.body); got != tt.code {
					t.Errorf("%s %s: error code %q (body %s), want %q", tt.method, tt.path, got, r.body, tt.code)
				}
			}
		})
	}
}

// TestApproveRecordsPrincipal: who approved is the token's name, whatever
// the body says.
func TestApproveRecordsPrincipal(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.do(t, t.Context(), f.tokens[auth.Approver], "POST", "/api/v1/models/fraud/versions/1/approve", `{"reason": "AUC fine", "by": "mallory"}`)
	if r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	var res struct {
		Version struct {
			Status  string                        `json:"approval_status"`
			History []struct{ By, Reason string } `json:"approval_history"`
		} `json:"version"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	last := res.Version.History[len(res.Version.History)-1]
	if res.Version.Status != "Approved" || last.By != "approver-token" || last.Reason != "AUC fine" {
		t.Errorf("after approve: %+v, want Approved by approver-token", res.Version)
	}
}

// TestStartStopResume starts an execution over the API, stops it, and
// resumes it.
func TestStartStopResume(t *testing.T) {
	t.Parallel()
	f := setup(t)
	src := "version: 1\nname: slow\nsteps:\n  - {name: wait, kind: command, command: [sleep, \"30\"]}\n"
	body, _ := json.Marshal(map[string]any{"name": f.home + "/slow.yaml", "source": src})
	r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", "/api/v1/executions", string(body))
	if r.status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var ex struct{ ID, Status string }
	if err := json.Unmarshal(r.body, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Status != "Executing" || r.header.Get("Location") != "/api/v1/executions/"+ex.ID {
		t.Fatalf("started: %s (Location %q)", r.body, r.header.Get("Location"))
	}
	if r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", "/api/v1/executions/"+ex.ID+"/stop", ""); r.status != http.StatusAccepted {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	done, err := f.app.Wait(t.Context(), ex.ID)
	if err != nil || done.Status != "Stopped" {
		t.Fatalf("after stop: %v %+v", err, done)
	}
	r = f.do(t, t.Context(), f.tokens[auth.Operator], "POST", "/api/v1/executions/"+ex.ID+"/resume", `{"parallelism": 1}`)
	if r.status != http.StatusAccepted || !strings.Contains(string(r.body), `"status":"Executing"`) {
		t.Fatalf("resume: %d %s", r.status, r.body)
	}
	if r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", "/api/v1/executions/"+ex.ID+"/stop", ""); r.status != http.StatusAccepted {
		t.Fatalf("stop after resume: %d %s", r.status, r.body)
	}
	if done, err := f.app.Wait(t.Context(), ex.ID); err != nil || done.Status != "Stopped" {
		t.Fatalf("after the second stop: %v %+v", err, done)
	}
}

// TestLogTail follows the log of a running step over server-sent events:
// lines written after the request arrive, then the stream ends.
func TestLogTail(t *testing.T) {
	t.Parallel()
	f := setup(t)
	src := "version: 1\nname: tail\nsteps:\n  - {name: s, kind: command, command: [/bin/sh, -c, 'echo ea\"\"rly; sleep 0.4; echo la\"\"te']}\n"
	body, _ := json.Marshal(map[string]any{"name": f.home + "/tail.yaml", "source": src})
	r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", "/api/v1/executions", string(body))
	if r.status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var ex struct{ ID string }
	if err := json.Unmarshal(r.body, &ex); err != nil {
		t.Fatal(err)
	}
	r = f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", "/api/v1/executions/"+ex.ID+"/steps/s/logs?follow=true", "")
	text := string(r.body)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("follow: %d %s %s", r.status, r.header.Get("Content-Type"), text)
	}
	// A chunk may hold the attempt header (which quotes the command, hence
	// the quotes that split the words there) and "early" together.
	early, late, end := strings.Index(text, `early\n`), strings.Index(text, `late\n`), strings.Index(text, "event: end")
	if early < 0 || late < early || end < late {
		t.Errorf("follow: want early, late, then end:\n%s", text)
	}
	// The execution's events end with its final status.
	r = f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", "/api/v1/executions/"+ex.ID+"/events", "")
	if !strings.Contains(string(r.body), `"status":"Succeeded"`) || !strings.HasSuffix(strings.TrimSpace(string(r.body)), "event: end\ndata: {}") {
		t.Errorf("events:\n%s", r.body)
	}
}
