// Package tuning is hyperparameter search: a [Space] of typed ranges with
// SageMaker's scalings, the strategies that propose configurations
// (random, grid, bayesian (TPE) and hyperband), the successive-halving
// [Stopper] that ends poor trials early from their per-round metrics, and
// the ordering of finished [Trial]s by their objective.
//
// It is pure: no I/O, no goroutines, no clock. Every random draw comes from
// a generator seeded by the tuning seed and the trial's index, so a tuning
// run is reproducible and a resumed run proposes the trials it proposed
// before.
//
// # Unit space
//
// Each range maps its values onto [0, 1) by its scaling: Linear as is,
// Logarithmic through log(x), ReverseLogarithmic through log(1-x) (for
// values in [0, 1) that matter most near 1). Strategies work in that unit
// space, which makes a log-scaled learning rate as easy to search as a
// linear fraction.
//
// # Batches
//
// Proposals come in batches of at most the parallelism: a batch is
// proposed from every trial finished before it, and run as a whole. With
// a fixed seed the sequence of batches, and so every trial, depends only
// on the configuration and on the trials' results, never on timing.
package tuning
