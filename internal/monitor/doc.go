// Package monitor watches live models, as SageMaker Model Monitor does:
// it makes baselines from a training data set (statistics.json and
// constraints.json in Model Monitor's format: per-feature inferred type,
// completeness, a KLL quantile sketch of numeric features, value counts
// of String features), checks windows of an endpoint's captured traffic
// against them (data type, completeness, baseline drift, missing and
// extra columns, categorical values), joins captured predictions with
// ground truth uploaded later to check model quality, compares
// post-training bias and feature attributions on captured data with the
// registered Clarify baselines, and runs monitors on cron-style schedules
// that survive restarts.
//
// # Drift
//
// The drift distance of a numeric feature is the L-infinity distance
// between the baseline's and the window's empirical CDFs, that is the
// two-sample Kolmogorov-Smirnov statistic; of a String feature, the
// largest difference of a value's frequency. The "Simple" comparison
// flags a distance above comparison_threshold; "Robust" (the default)
// also requires it to exceed the KS critical value at significance 0.05
// for the two sample sizes, so that a small window's sampling noise is
// not reported as drift.
package monitor
