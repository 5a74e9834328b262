package serving

import (
	"encoding/json"
	"math"
	"strconv"
)

// encodeResponse appends the predictions (n×k) in outType to dst. With
// contribs (n×k×(nf+1)) the response is JSON with explanations.
func encodeResponse(dst []byte, outType string, out []float64, n, k int, contribs []float64, nf int, names []string) []byte {
	switch {
	case contribs != nil:
		return appendExplained(dst, out, n, k, contribs, nf, names)
	case outType == ctCSV:
		for i := range n {
			for j := range k {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendFloat(dst, out[i*k+j], false)
			}
			dst = append(dst, '\n')
		}
	case outType == ctJSONLines:
		for i := range n {
			dst = append(dst, `{"prediction":`...)
			dst = appendPrediction(dst, out[i*k:(i+1)*k])
			dst = append(dst, "}\n"...)
		}
	default:
		dst = append(dst, `{"predictions":[`...)
		for i := range n {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendPrediction(dst, out[i*k:(i+1)*k])
		}
		dst = append(dst, "]}\n"...)
	}
	return dst
}

// appendPrediction writes one value, or a list for multi-output models.
func appendPrediction(dst []byte, p []float64) []byte {
	if len(p) == 1 {
		return appendFloat(dst, p[0], true)
	}
	dst = append(dst, '[')
	for j, v := range p {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendFloat(dst, v, true)
	}
	return append(dst, ']')
}

// appendFloat writes the shortest representation; NaN and infinities are
// null in JSON.
func appendFloat(dst []byte, v float64, json bool) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if json {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// explanation is one record's SHAP values, in margin space.
type explanation struct {
	// BaseValue is the expected margin (one per output).
	BaseValue any `json:"base_value"`
	// ShapValues has one value per feature (a list per output for
	// multi-output models); with BaseValue they sum to the margin.
	ShapValues any `json:"shap_values"`
}

type explainedResponse struct {
	Predictions  []any         `json:"predictions"`
	FeatureNames []string      `json:"feature_names,omitempty"`
	Explanations []explanation `json:"explanations"`
}

func jsonFloat(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func appendExplained(dst []byte, out []float64, n, k int, contribs []float64, nf int, names []string) []byte {
	r := explainedResponse{FeatureNames: names}
	if len(names) != nf {
		r.FeatureNames = nil
	}
	stride := nf + 1
	for i := range n {
		block := contribs[i*k*stride : (i+1)*k*stride]
		if k == 1 {
			r.Predictions = append(r.Predictions, jsonFloat(out[i]))
			vals := make([]any, nf)
			for j := range nf {
				vals[j] = jsonFloat(block[j])
			}
			r.Explanations = append(r.Explanations, explanation{BaseValue: jsonFloat(block[nf]), ShapValues: vals})
			continue
		}
		preds := make([]any, k)
		bases := make([]any, k)
		vals := make([][]any, k)
		for c := range k {
			preds[c] = jsonFloat(out[i*k+c])
			bases[c] = jsonFloat(block[c*stride+nf])
			vals[c] = make([]any, nf)
			for j := range nf {
				vals[c][j] = jsonFloat(block[c*stride+j])
			}
		}
		r.Predictions = append(r.Predictions, preds)
		r.Explanations = append(r.Explanations, explanation{BaseValue: bases, ShapValues: vals})
	}
	b, _ := json.Marshal(r) // only numbers, nil, strings and slices
	dst = append(dst, b...)
	return append(dst, '\n')
}
