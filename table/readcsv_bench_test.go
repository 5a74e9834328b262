package table

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadCSV reads 20000 rows of 20 numeric cells (some missing),
// the cell-parsing load of training and batch transform.
func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	for j := range 20 {
		if j > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "f%d", j)
	}
	buf.WriteByte('\n')
	for i := range 20000 {
		for j := range 20 {
			if j > 0 {
				buf.WriteByte(',')
			}
			switch (i + j) % 17 {
			case 0:
				buf.WriteString("NA")
			case 1:
			default:
				fmt.Fprintf(&buf, "%.4f", float64(i*j%1000)/7)
			}
		}
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadCSV(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
