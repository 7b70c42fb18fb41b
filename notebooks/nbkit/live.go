package nbkit

import (
	"fmt"
	"os"
	"time"
)

// Live runs build, which creates GoNB widgets (their Done methods), and reports whether a
// browser answered within wait.
//
// A widget's Done waits until the page's JavaScript reports the widget's first value. When a
// notebook runs headless (jupyter nbconvert --execute, as the tests do) there is no page and
// Done would wait forever; Live gives up after wait, says so, and lets the cell finish with
// what it already showed. (build keeps waiting in the background; the cell's program ends
// anyway.)
func Live(wait time.Duration, build func()) bool {
	done := make(chan struct{})
	go func() {
		build()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(wait):
		fmt.Fprintln(os.Stdout, say("(No browser is attached to this notebook, e.g. it runs headless: the sliders are not live. The result above used the default values.)",
			"(Aquest quadern no té cap navegador connectat, per exemple perquè s'executa sense navegador (en mode headless): els controls lliscants no funcionen. El resultat d'aquí dalt fa servir els valors per defecte.)"))
		return false
	}
}
