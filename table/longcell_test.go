package table

import (
	"strings"
	"testing"
)

// A 50 MB field is quoted in the error cut to about 100 bytes, not whole.
func TestReadCSVQuotesALongCellShort(t *testing.T) {
	t.Parallel()
	_, err := ReadCSV(strings.NewReader("a,b\n1," + strings.Repeat("z", 50<<20) + "\n"))
	if err == nil {
		t.Fatal("no error for a non-numeric cell")
	}
	if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, "(52428800 bytes) is not a number") {
		t.Errorf("error is %d bytes: %.300s", len(msg), msg)
	}
}
