// Package examples embeds the example pipelines and their data, so that
// `ferry quickstart` runs from any directory with nothing but the binary.
package examples

import "embed"

// FS holds fraud-detection/ and abalone-clarify/.
//
//go:embed fraud-detection abalone-clarify
var FS embed.FS
