// Package bias computes SageMaker Clarify's pre-training (CI, DPL, KL, JS,
// LP, TVD, KS, CDDL) and post-training (AD, CDDPL, DAR, DCA, DCR, DI,
// DPPL, DRR, FT, GE, RD, SD, TE) bias metrics exactly as smclarify does:
// the same categorical-or-continuous guess, facet and label binarisation,
// division rules and per-metric errors.
//
// The package works on a [Table] of typed columns ([NewColumn] infers a
// column's type from CSV cells as pandas does); [Compute] returns a
// [Report] whose JSON is Clarify's analysis.json sections.
//
// Pre-training metrics need the label and the facet (sensitive
// attribute) columns; post-training metrics also need the model's
// predicted labels (a column of the [Table]). The package reads and
// writes nothing itself: the caller builds the Table (from CSV cells
// with [NewColumn], or from numbers with [NumericColumn]) and encodes
// the Report.
package bias
