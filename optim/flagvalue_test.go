package optim

import "testing"

func TestNameSet(t *testing.T) {
	n := LBFGSName
	if err := n.Set("adam"); err != nil || n != AdamName || n.String() != "adam" {
		t.Errorf("Set(adam): %q, %v", n, err)
	}
	err := n.Set("sgd")
	if want := `unknown optimizer "sgd": must be one of lbfgs, adam or gd`; err == nil || err.Error() != want || n != AdamName {
		t.Errorf("Set(sgd): %q, %v; want adam kept and %q", n, err, want)
	}
}
