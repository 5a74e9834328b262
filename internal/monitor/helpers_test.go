package monitor

import (
	"strconv"
	"strings"
)

func itoa(i int) string              { return strconv.Itoa(i) }
func strconvFormat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
