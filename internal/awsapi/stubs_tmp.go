package awsapi

import "net/http"

// LambdaRunner runs a Lambda function's handler.
type LambdaRunner interface{}
type lambdaStore struct{}

func newLambdaStore() *lambdaStore { return &lambdaStore{} }
func (h *Handler) serveSageMaker(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, 400, "UnknownOperationException", "not yet")
}
func (h *Handler) serveRuntime(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, 400, "UnknownOperationException", "not yet")
}
func (h *Handler) serveLambda(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, 400, "UnknownOperationException", "not yet")
}
