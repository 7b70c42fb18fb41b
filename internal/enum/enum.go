// Package enum parses the string enums that estil's packages define (nst.StyleLoss,
// optim.Name, images.ColorMatch, …) and lists their values, all in one style: their Parse
// functions and their flag.Value Set methods call Parse, so that every bad value gets the same
// error, "unknown style loss "x": must be one of gram, mmd-linear … or sliced".
package enum

import (
	"fmt"
	"strings"
)

// Parse returns the value of values spelled s, or an error that names what (e.g. "style
// loss"), quotes s and lists values.
func Parse[T ~string](what, s string, values []T) (T, error) {
	for _, v := range values {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown %s %q: must be one of %s", what, s, List(values))
}

// List is values as a reader says them: "a", "a or b", "a, b or c".
func List[T ~string](values []T) string {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Set parses s into *p (for a flag.Value's Set method): *p is left as it was on an error.
func Set[T ~string](p *T, what, s string, values []T) error {
	return SetParsed(p, func(s string) (T, error) { return Parse(what, s, values) }, s)
}

// SetParsed is Set for an enum with a Parse function of its own (one that also trims, or maps
// names to numbers): *p = parse(s), unless parse fails.
func SetParsed[T any](p *T, parse func(string) (T, error), s string) error {
	v, err := parse(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
