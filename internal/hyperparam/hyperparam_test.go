package hyperparam

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	var p struct {
		N    int     `json:"n"`
		X    float64 `json:"x"`
		On   bool    `json:"on"`
		Name string  `json:"name"`
	}
	names := []string{"n", "x", "on", "name"}
	if err := Decode("demo", names, map[string]string{"n": "3", "x": " 0.5 ", "on": "true", "name": "12abc"}, &p); err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || p.X != 0.5 || !p.On || p.Name != "12abc" {
		t.Errorf("decoded %+v", p)
	}
	err := Decode("demo", names, map[string]string{"bogus": "1"}, &p)
	if err == nil || !strings.Contains(err.Error(), `unknown demo hyperparameter "bogus" (known: n, x, on, name)`) {
		t.Errorf("unknown name: %v", err)
	}
	err = Decode("demo", names, map[string]string{"n": "many"}, &p)
	if err == nil || !strings.HasPrefix(err.Error(), "demo hyperparameters: ") {
		t.Errorf("wrong type: %v", err)
	}
}
