//lint:file-ignore ST1005 the messages are smclarify's (and scikit-learn's), word for word, as Clarify reports them

package bias

import "errors"

// Errors with the texts smclarify reports in analysis.json, so that
// results compare equal to Clarify's.
var (
	errFacetEmpty          = errors.New("Facet set is empty")
	errNegatedEmpty        = errors.New("Negated facet set is empty")
	errNoCommon            = errors.New("No instance of common facet found, dataset may be too small")
	errNoGroup             = errors.New("Group variable is empty or not provided")
	errNoPositive          = errors.New("No positive labels in set")
	errNoNegative          = errors.New("No negative labels in set")
	errGEZero              = errors.New("Mean of the benefit vector is zero: every row is a false negative")
	errFTText              = errors.New("FlipTest does not support non-numeric columns")
	errFTNaN               = errors.New("Input contains NaN")
	errNoThreshold         = errors.New("Threshold values must be provided for continuous features")
	errTypeMismatch        = errors.New("Predicted Label Column series datatype is not the same as Label Column series")
	errNoPredictedPositive = errors.New("No Label values are present in the predicted Label Column, Positive Predicted Index Series contains all False values")
)
