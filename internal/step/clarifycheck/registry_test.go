package clarifycheck

import "github.com/ferryml/ferry/internal/registry"

// The registry implements the baseline source the check needs.
var _ BaselineSource = (*registry.Registry)(nil)
