// Package definition is Ferry's second front end: it reads a SageMaker
// pipeline definition (the JSON that pipeline.definition() of the SageMaker
// Python SDK v2 emits, "Version": "2020-12-01") and translates it into the
// same validated [pipeline.Pipeline] that Ferry's own YAML format gives, so
// the one engine runs it with its cache, retries, resume and records.
//
// # What it maps
//
// Parameters become typed pipeline parameters. Every step becomes a
// pipeline step whose kind is chosen by its Type (Processing ->
// sagemaker_processing, Training -> sagemaker_training, Transform ->
// sagemaker_transform, Model -> sagemaker_model, RegisterModel ->
// sagemaker_register_model, Lambda -> sagemaker_lambda, Callback ->
// sagemaker_callback, ClarifyCheck -> clarify_check) and whose arguments are
// the step's JSON object without the envelope keys, with every expression
// (Get, Std:Join, Std:JsonGet) rewritten into a ${{ }} template that the
// engine resolves. Condition steps become condition steps gating the steps of
// their IfSteps and ElseSteps; Fail steps become fail steps. CacheConfig,
// RetryPolicies, DependsOn, PropertyFiles and ParallelismConfiguration map to
// the pipeline's own fields.
//
// The contract with the SageMaker job kinds (argument shapes, output and
// property names) is written down in docs/sagemaker-pipelines.md and in
// [Properties].
//
// # Errors
//
// Problems are *pipeline.ValidationErrors located by line and column in the
// JSON file and by a JSON path such as Steps[3].Arguments.ProcessingInputs[0].
package definition
