package awsapi

import (
	"fmt"
	"net/http"
	"sync"
)

// LambdaRunner runs a Lambda function's handler locally with the Lambda
// contract (event, context). The local runner of the SageMaker-jobs work
// implements it.
type LambdaRunner interface {
	Invoke(fn LambdaFunction, event []byte) (result []byte, functionError string, err error)
}

// LambdaFunction is a function created through the Lambda API.
type LambdaFunction struct {
	Name    string
	Runtime string
	Handler string
	Role    string
	// Code is the deployment package (a zip).
	Code        []byte
	Timeout     int
	MemorySize  int
	Environment map[string]string
}

// lambdaStore keeps the functions of this listener.
type lambdaStore struct {
	mu  sync.Mutex
	fns map[string]LambdaFunction
}

func newLambdaStore() *lambdaStore { return &lambdaStore{fns: map[string]LambdaFunction{}} }

// serveLambda answers the Lambda REST-JSON API under /2015-03-31/functions.
func (h *Handler) serveLambda(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, http.StatusBadRequest, "UnknownOperationException",
		fmt.Sprintf("Lambda operation %s %s is not supported by Ferry yet", r.Method, short(r.URL.Path)))
}
