package main

import (
	"flag"
	"strings"
	"testing"
)

// TestCommandTable: `estil help` lists every command of the table, `estil help CMD` and `estil
// CMD --help` print the same help, and every flag's help is one short line (the explanations
// are in the long texts).
func TestCommandTable(t *testing.T) {
	_, list, _ := estil(t, "help")
	for _, c := range commands {
		if !strings.Contains(list, "\n  "+c.Name()+" ") || !strings.Contains(list, c.Short) {
			t.Errorf("estil help does not list %s: %q", c.Name(), list)
		}
		code, help, _ := estil(t, "help", c.Name())
		code2, help2, _ := estil(t, c.Name(), "--help")
		if code != 0 || code2 != 0 || help != help2 || !strings.HasPrefix(help, "Usage: estil "+c.Name()) {
			t.Errorf("%s: help CMD (exit %d) and CMD --help (exit %d) differ or lack the usage:\n%s\n---\n%s", c.Name(), code, code2, help, help2)
		}
		fs, _ := c.flagSet()
		fs.VisitAll(func(f *flag.Flag) {
			if strings.Contains(f.Usage, "\n") || len([]rune(f.Usage)) > 90 {
				t.Errorf("%s --%s: the flag's help is %d characters; keep it to one short line and explain in Long",
					c.Name(), f.Name, len([]rune(f.Usage)))
			}
		})
	}
	if code, _, stderr := estil(t, "help", "paint"); code != 2 || !strings.Contains(stderr, "paint") {
		t.Errorf("help of an unknown command: exit %d, %q", code, stderr)
	}
}

// TestSharedFlagsHaveOneHelp: a flag stylize, demo and explain share reads the same in each.
func TestSharedFlagsHaveOneHelp(t *testing.T) {
	usage := map[string]string{}
	for _, c := range []*command{stylizeCmd, demoCmd, explainCmd} {
		fs, _ := c.flagSet()
		fs.VisitAll(func(f *flag.Flag) {
			if u, ok := usage[f.Name]; ok && u != f.Usage {
				t.Errorf("--%s: %s says %q, another command %q", f.Name, c.Name(), f.Usage, u)
			}
			usage[f.Name] = f.Usage
		})
	}
}
