package clarify

import (
	"github.com/ferryml/ferry/bias"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/shap"
)

// Version is the version of the Clarify job's results: its own code and
// the learners it uses. Steps that run it put it in their cache key.
const Version = "bias/" + bias.Version + "+shap/" + shap.Version + "+" + model.Version
