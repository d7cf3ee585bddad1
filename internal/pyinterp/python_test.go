package pyinterp

import (
	"os"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestCandidates(t *testing.T) {
	if c := Candidates("/opt/py", env(map[string]string{Env: "/env/py"})); len(c) != 1 || c[0].Path != "/opt/py" || c[0].Source != "--python" {
		t.Errorf("flag: %v", c)
	}
	if c := Candidates("", env(map[string]string{Env: "/env/py"})); len(c) != 1 || c[0].Path != "/env/py" || c[0].Source != Env {
		t.Errorf("variable: %v", c)
	}
	c := Candidates("", env(nil))
	if _, err := os.Stat(System); err == nil && (len(c) == 0 || c[0].Path != System) {
		t.Errorf("default: %v, want %s first", c, System)
	}
	for _, x := range c[min(1, len(c)):] {
		if x.Path == System {
			t.Errorf("default lists %s twice: %v", System, c)
		}
	}
}
