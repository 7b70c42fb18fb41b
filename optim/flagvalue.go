package optim

import "github.com/estil-nst/estil/internal/enum"

// This file makes Name a flag.Value, parsed when the flag is read; Set takes exactly the names
// ParseName takes, and fails with its error.

func (n Name) String() string { return string(n) }

// Set parses an optimizer's name (flag.Value).
func (n *Name) Set(s string) error { return enum.SetParsed(n, ParseName, s) }
