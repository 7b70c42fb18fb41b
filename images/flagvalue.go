package images

import "github.com/estil-nst/estil/internal/enum"

// This file makes ColorMatch and ColorControl flag.Values, parsed when the flag is read, and
// lists their values. Set takes what the Parse functions take (any case, spaces around, ""
// meaning none), and fails with their error.

// ColorMatches lists the colour-matching methods, none first.
func ColorMatches() []ColorMatch {
	return []ColorMatch{ColorMatchNone, ColorMatchPCA, ColorMatchChol, ColorMatchSym}
}

func (m ColorMatch) String() string { return string(m) }

// Set parses a colour-matching method's name (flag.Value).
func (m *ColorMatch) Set(s string) error { return enum.SetParsed(m, ParseColorMatch, s) }

// ColorControls lists the colour controls, none first.
func ColorControls() []ColorControl {
	return []ColorControl{ColorControlNone, ColorControlLuminance, ColorControlOriginalColors}
}

func (c ColorControl) String() string { return string(c) }

// Set parses a colour control's name (flag.Value).
func (c *ColorControl) Set(s string) error { return enum.SetParsed(c, ParseColorControl, s) }
