// Package shap explains models by their inputs: Kernel SHAP as SageMaker
// Clarify runs it (the shap library's KernelExplainer), baselines by
// k-means and k-prototypes, partial dependence, and an exact brute-force
// interventional Shapley value for checks. It imports nothing of the
// platform: a model comes in as a [PredictFunc].
//
// TreeSHAP, the exact and fast explanation of tree models, is a method
// of the models themselves: gbdt.Model.Contribs and forest.Model.Contribs
// (and their interventional forms). This package is for any model, or
// for reproducing what SageMaker Clarify's explainability report
// computes. It reads and writes nothing.
//
// # Kernel SHAP
//
// For a row x with M features that differ from the baseline, a coalition
// z ⊆ {1..M} builds hybrid rows h(z, b)_j = x_j if j ∈ z else b_j for each
// baseline row b; the coalition's value is v(z) = Σ_b w_b f(h(z, b)) / Σ w_b
// (logit of that with UseLogit). Coalitions are chosen as shap does: whole
// coalition sizes, s and M−s together from s = 1 up, are enumerated while
// the budget allows, the rest sampled in proportion to the Shapley kernel
// weight. The values φ solve the kernel-weighted least squares with
// v(∅) and v(all) as hard constraints, so Σφ = v(all) − v(∅) = f(x) − E.
// With NumSamples ≥ 2^M − 2 every coalition is used and φ is the exact
// interventional Shapley value ([ExactInterventional]).
//
// Differences from shap 0.41: a feature counts as varying when x's value
// differs from some baseline row's exactly (shap uses numpy.isclose), and
// no L1 feature selection is applied when few coalitions are evaluated
// (shap's l1_reg="auto" applies LassoLarsIC when under 20% of them are).
package shap
