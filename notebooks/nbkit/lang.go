package nbkit

import "github.com/estil-nst/estil/explain"

// say picks the message in the notebook's language (explain.SetLanguage): the Catalan notebooks
// print Catalan. Each GoNB cell is a program of its own, so a cell that prints through nbkit must
// set the language itself (the generated check cells do), or a GoNB init_ function declared in
// an earlier cell must (GoNB runs those before every later cell).
func say(en, ca string) string {
	if explain.Language() == explain.Catalan {
		return ca
	}
	return en
}
