package nbkit

import "github.com/estil-nst/estil/explain"

// say picks the message in the notebook's language (explain.SetLanguage, which every notebook
// sets in its first code cell): the Catalan notebooks print Catalan.
func say(en, ca string) string {
	if explain.Language() == explain.Catalan {
		return ca
	}
	return en
}
