// Package notebooks holds estil's tutorial notebooks for GoNB (the Go kernel for Jupyter), in
// English and Catalan, in a student's copy (en/, ca/) and a teacher's (teacher/en/, teacher/ca/,
// with the answers, the teacher's notes and the exercises' solutions), and the tests that keep
// them working.
//
// Every notebook is generated, in both languages, from one bilingual source in src/ by the
// generator in internal/nbgen (run `go generate ./notebooks` after editing a source): the two
// languages share every line of code and differ only in their prose. The notebooks use the
// repository's own packages (nst, explain, and nbkit, their shared toolbox) through a Go
// workspace set up by their first cell.
//
// The tests here check that
//   - the committed notebooks are exactly what the generator makes (drift_test.go);
//   - the students' copies hold no answer, teacher's note or solution line, and every expected
//     outcome is folded (copies_test.go);
//   - every notebook, in both languages and both copies, runs top to bottom headless (jupyter
//     nbconvert --execute with the GoNB kernel and ESTIL_NOTEBOOK_TINY=1) without a cell error,
//     and shows its figures; the teachers' copies run as nbgrader's autograder runs them, and
//     every check cell earns its points (execute_test.go); an exercise's stub, a planted mistake
//     and the solution get the points nbgrader would give them (checkcells_test.go);
//   - the executed notebooks exported to HTML, and the handout of `estil explain`, render in
//     headless Chromium with every picture loaded (browser_test.go), leaving screenshots in
//     notebooks/out/ (or $ESTIL_NOTEBOOK_OUT).
//
// Those that need Jupyter, GoNB's kernel or Chromium skip without them, except under CI=1,
// where a missing tool is a failure. `go test -short` skips them too.
package notebooks

//go:generate go run ./gen
//go:generate go run ./guide
