package nst

import (
	"slices"

	"github.com/estil-nst/estil/internal/enum"
)

// This file makes the enums of package nst flag.Values (and lists their values), so that a
// command line parses them once, when the flag is read: e.g.
//
//	loss := nst.StyleLossGram
//	fs.Var(&loss, "style-loss", "how the style is compared: "+enum.List(nst.StyleLosses()))
//
// Set takes exactly the names the Parse functions take, and fails with their error.

func (l StyleLoss) String() string { return string(l) }

// Set parses a style loss's name (flag.Value).
func (l *StyleLoss) Set(s string) error { return enum.SetParsed(l, ParseStyleLoss, s) }

// GramNorms lists the Gram normalisations, the original's (none) first.
func GramNorms() []GramNorm { return []GramNorm{GramNormNone, GramNormHW, GramNormCHW} }

func (n GramNorm) String() string { return string(n) }

// Set parses a Gram normalisation's name (flag.Value).
func (n *GramNorm) Set(s string) error { return enum.SetParsed(n, ParseGramNorm, s) }

// StyleSizes lists the ways of sizing a style picture, the original's (content) first.
func StyleSizes() []StyleSize { return []StyleSize{StyleSizeContent, StyleSizeLongSide} }

func (m StyleSize) String() string { return string(m) }

// Set parses a style sizing's name (flag.Value).
func (m *StyleSize) Set(s string) error { return enum.SetParsed(m, ParseStyleSize, s) }

// Inits lists the built-in starting pictures, the original's (content) first. (The CLI's --init
// also takes a picture file, Transfer.InitImage.)
func Inits() []Init { return []Init{InitContent, InitNoise, InitStyle} }

// ParseInit reads a built-in starting picture's name.
func ParseInit(s string) (Init, error) { return enum.Parse("init", s, Inits()) }

func (i Init) String() string { return string(i) }

// Set parses a built-in starting picture's name (flag.Value).
func (i *Init) Set(s string) error { return enum.SetParsed(i, ParseInit, s) }

// poolings are the pools' names, in Pooling's order.
var poolings = []string{MaxPooling: "max", AveragePooling: "avg"}

// Poolings lists the poolings' names, VGG19's (max) first.
func Poolings() []string { return append([]string(nil), poolings...) }

// ParsePooling reads a pooling's name: max or avg (Pooling.String).
func ParsePooling(s string) (Pooling, error) {
	name, err := enum.Parse("pooling", s, poolings)
	if err != nil {
		return 0, err
	}
	return Pooling(slices.Index(poolings, name)), nil
}

// Set parses a pooling's name (flag.Value).
func (p *Pooling) Set(s string) error { return enum.SetParsed(p, ParsePooling, s) }
