package api

import (
	"github.com/ferryml/ferry/internal/auth"
)

// Route is one route of /api/v1: what the OpenAPI document describes, and
// the action a token's role must allow.
type Route struct {
	Method  string
	Pattern string // net/http pattern path: {name} segments, {path...} rest
	Action  auth.Action
	Handler handlerFunc
}

// Routes lists the API's routes (method, path pattern and action; the
// handlers are left out): for documentation and tests.
func Routes() []Route {
	rs := (&Server{}).routes()
	for i := range rs {
		rs[i].Handler = nil
	}
	return rs
}

// routes is the route table. GET routes are Read; starting, stopping and
// resuming executions, changing endpoints and creating, deleting and
// running monitors (and uploading their ground truth) is Operate; approving and
// rejecting is Approve.
func (s *Server) routes() []Route {
	const v1 = "/api/v1"
	return []Route{
		{"GET", v1 + "/executions", auth.Read, s.listExecutions},
		{"POST", v1 + "/executions", auth.Operate, s.startExecution},
		{"GET", v1 + "/executions/{id}", auth.Read, s.getExecution},
		{"POST", v1 + "/executions/{id}/stop", auth.Operate, s.stopExecution},
		{"POST", v1 + "/executions/{id}/resume", auth.Operate, s.resumeExecution},
		{"GET", v1 + "/executions/{id}/events", auth.Read, s.executionEvents},
		{"GET", v1 + "/executions/{id}/steps", auth.Read, s.listSteps},
		{"GET", v1 + "/executions/{id}/steps/{step}", auth.Read, s.getStep},
		{"GET", v1 + "/executions/{id}/steps/{step}/logs", auth.Read, s.stepLog},
		{"GET", v1 + "/executions/{id}/steps/{step}/trials", auth.Read, s.listTrials},
		{"POST", v1 + "/executions/{id}/steps/{step}/trials", auth.Operate, s.saveTrial},
		{"GET", v1 + "/executions/{id}/steps/{step}/trials/{trial}/logs", auth.Read, s.trialLog},
		{"PUT", v1 + "/executions/{id}/steps/{step}/trials/{trial}/logs", auth.Operate, s.saveTrialLog},
		{"GET", v1 + "/trial-cache/{key}", auth.Read, s.cachedTrial},

		{"GET", v1 + "/artifacts/{ref}", auth.Read, s.getArtifact},
		{"GET", v1 + "/artifacts/{ref}/files/{path...}", auth.Read, s.artifactFile},

		{"GET", v1 + "/pipelines", auth.Read, s.listPipelines},
		{"POST", v1 + "/pipelines/validate", auth.Read, s.validatePipeline},
		{"GET", v1 + "/pipelines/{name}/versions", auth.Read, s.pipelineVersions},
		{"GET", v1 + "/pipelines/{name}/versions/{digest}", auth.Read, s.pipelineGraph},
		{"GET", v1 + "/pipelines/{name}/versions/{digest}/source", auth.Read, s.pipelineSource},

		{"GET", v1 + "/models", auth.Read, s.listGroups},
		{"GET", v1 + "/models/{group}", auth.Read, s.getGroup},
		{"PUT", v1 + "/models/{group}/endpoint", auth.Operate, s.setGroupEndpoint},
		{"GET", v1 + "/models/{group}/versions", auth.Read, s.listVersions},
		{"GET", v1 + "/models/{group}/versions/{version}", auth.Read, s.getVersion},
		{"POST", v1 + "/models/{group}/versions/{version}/approve", auth.Approve, s.approve},
		{"POST", v1 + "/models/{group}/versions/{version}/reject", auth.Approve, s.reject},
		{"GET", v1 + "/models/{group}/versions/{version}/lineage", auth.Read, s.lineage},
		{"GET", v1 + "/models/{group}/versions/{version}/metrics", auth.Read, s.metrics},
		{"GET", v1 + "/events", auth.Read, s.events},

		{"GET", v1 + "/endpoints", auth.Read, s.listEndpoints},
		{"GET", v1 + "/endpoints/{name}", auth.Read, s.getEndpoint},
		{"PUT", v1 + "/endpoints/{name}", auth.Operate, s.deploy},
		{"DELETE", v1 + "/endpoints/{name}", auth.Operate, s.deleteEndpoint},
		{"PUT", v1 + "/endpoints/{name}/weights", auth.Operate, s.setWeights},

		{"GET", v1 + "/monitors", auth.Read, s.listMonitors},
		{"POST", v1 + "/monitors", auth.Operate, s.createMonitor},
		{"GET", v1 + "/monitors/{name}", auth.Read, s.getMonitor},
		{"DELETE", v1 + "/monitors/{name}", auth.Operate, s.deleteMonitor},
		{"POST", v1 + "/monitors/{name}/runs", auth.Operate, s.runMonitor},
		{"POST", v1 + "/monitors/{name}/ground-truth", auth.Operate, s.uploadGroundTruth},
		{"GET", v1 + "/engine", auth.Read, s.getEngine},
		{"POST", v1 + "/executions/{id}/steps/{step}/attempts", auth.Operate, s.reportAttempt},
	}
}
