package enum

import "testing"

type color string

var colors = []color{"red", "green", "blue"}

func TestParse(t *testing.T) {
	for _, c := range colors {
		if got, err := Parse("colour", string(c), colors); err != nil || got != c {
			t.Errorf("Parse(%q) = %q, %v", c, got, err)
		}
	}
	_, err := Parse("colour", "Red", colors)
	if want := `unknown colour "Red": must be one of red, green or blue`; err == nil || err.Error() != want {
		t.Errorf("Parse(Red) = %v, want %q", err, want)
	}
	if _, err := Parse("colour", "", colors); err == nil {
		t.Error(`Parse("") accepted the empty name`)
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		values []color
		want   string
	}{
		{nil, ""},
		{colors[:1], "red"},
		{colors[:2], "red or green"},
		{colors, "red, green or blue"},
	} {
		if got := List(c.values); got != c.want {
			t.Errorf("List(%v) = %q, want %q", c.values, got, c.want)
		}
	}
}

func TestSet(t *testing.T) {
	c := color("red")
	if err := Set(&c, "colour", "blue", colors); err != nil || c != "blue" {
		t.Errorf("Set(blue): %q, %v", c, err)
	}
	if err := Set(&c, "colour", "pink", colors); err == nil || c != "blue" {
		t.Errorf("Set(pink): %q, %v; want an error and blue kept", c, err)
	}
}
