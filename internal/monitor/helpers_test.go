package monitor

import "strconv"

func itoa(i int) string               { return strconv.Itoa(i) }
func strconvFormat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
