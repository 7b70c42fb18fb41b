package notebooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckExecuted makes sure the execution test's own checks catch what they are meant to:
// a failed cell, a Go panic, a cell compiled without GOEXPERIMENT=simd, a figure cell without a
// figure, and a notebook without figures.
func TestCheckExecuted(t *testing.T) {
	const fig = `{"output_type": "display_data", "data": {"text/html": ["<img src=\"data:image/png;base64,iVBOR\">"]}, "metadata": {}}`
	const text = `{"output_type": "stream", "name": "stdout", "text": ["hello\n"]}`
	for _, tc := range []struct {
		name, cells string
		want        []string // substrings of the problems, in order; none for a good notebook
	}{
		{"good", `{"cell_type": "code", "metadata": {"estil": {"figure": true}}, "outputs": [` + text + `,` + fig + `]}`, nil},
		{"svg counts", `{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}}]}`, nil},
		{"error", `{"cell_type": "code", "metadata": {}, "outputs": [` + fig + `, {"output_type": "error", "ename": "ERROR", "evalue": "failed to run go build", "traceback": []}]}`,
			[]string{"cell 1 failed: ERROR: failed to run go build"}},
		{"panic", `{"cell_type": "markdown", "source": "# x"}, {"cell_type": "code", "metadata": {}, "outputs": [` + fig + `, {"output_type": "stream", "name": "stderr", "text": ["panic: boom\n"]}]}`,
			[]string{"cell 2 panicked"}},
		{"no SIMD", `{"cell_type": "code", "metadata": {}, "outputs": [` + fig + `, {"output_type": "stream", "name": "stderr", "text": ["estil: built without GOEXPERIMENT=simd, so …\n"]}]}`,
			[]string{"cell 1 was compiled without GOEXPERIMENT=simd"}},
		{"missing figure", `{"cell_type": "code", "metadata": {}, "outputs": [` + fig + `]}, {"cell_type": "code", "metadata": {"estil": {"figure": true}}, "outputs": [` + text + `]}`,
			[]string{"cell 2 should show a figure"}},
		{"html without picture is no figure", `{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "display_data", "data": {"text/html": "<table></table>"}}]}`,
			[]string{"no figure at all"}},
		{"no code", `{"cell_type": "markdown", "source": "# x"}`, []string{"no code cells", "no figure at all"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nb.ipynb")
			if err := os.WriteFile(path, []byte(`{"cells": [`+tc.cells+`], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`), 0o644); err != nil {
				t.Fatal(err)
			}
			got := checkExecuted(path)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("problem %q does not mention %q", got[i], tc.want[i])
				}
			}
		})
	}
}
