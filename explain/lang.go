package explain

import (
	"fmt"
	"sync/atomic"
)

// Languages of the explanatory texts.
const (
	English = "en"
	Catalan = "ca" // the language of the original notebook
)

var language atomic.Value // string

func init() { language.Store(English) }

// SetLanguage chooses the language of every text the views write from now on: "en" (the
// default) or "ca". A view renders its texts when its HTML method is called, so a view built
// before SetLanguage is shown in the new language.
func SetLanguage(lang string) error {
	switch lang {
	case English, Catalan:
		language.Store(lang)
		return nil
	}
	return fmt.Errorf("explain: unknown language %q: use %q or %q", lang, English, Catalan)
}

// Language returns the current language, "en" or "ca".
func Language() string { return language.Load().(string) }

// text is one explanatory text in both languages.
type text struct{ en, ca string }

// tr returns the text for key in the current language. A missing key shows up as [[key]] in the
// output (a test checks that every key used in the code exists, in both languages).
func tr(key string) string {
	t, ok := texts[key]
	if !ok {
		return "[[" + key + "]]"
	}
	if Language() == Catalan {
		return t.ca
	}
	return t.en
}

// trf is tr with fmt.Sprintf arguments.
func trf(key string, args ...any) string { return fmt.Sprintf(tr(key), args...) }
