// Package serving serves registered models over HTTP: the runtime API
// (POST /endpoints/{name}/invocations) for every endpoint of a registry,
// and the SageMaker container contract (GET /ping, POST /invocations) for
// one model.
//
// # Payloads
//
// Requests are text/csv (one record per line, no header, features in
// training order), application/json ({"instances": [[...]]},
// {"instances": [{"features": [...]}]}, {"features": [...]}, a list of
// lists, or named records {"instances": [{"col": v}]} when the model can
// encode them) or application/jsonlines. The Accept header picks the
// response type. The decoders ([DecodeCSV], [DecodeJSON],
// [DecodeJSONLines]) name the record and column of any bad value.
//
// # Updates
//
// A [Server] holds an immutable snapshot of its endpoints behind an atomic
// pointer. [Server.Apply] loads the models of a changed endpoint config and
// swaps the snapshot in one store, so a request in flight finishes on the
// model it started with and no request fails during an update. A model that
// does not load leaves the previous config serving, and the update is
// reported as Failed.
package serving
