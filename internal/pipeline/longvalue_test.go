package pipeline

import (
	"strings"
	"testing"
)

// A huge parameter value is quoted in the error cut to about 100 bytes.
func TestCoerceQuotesALongValueShort(t *testing.T) {
	t.Parallel()
	for _, typ := range []ParamType{ParamInteger, ParamFloat, ParamBoolean} {
		pr := &Parameter{Name: "p", Type: typ}
		_, err := pr.Coerce(strings.Repeat("9x", 1<<20))
		if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "(2097152 bytes)") {
			t.Errorf("%s: error %.300v", typ, err)
		}
	}
}
