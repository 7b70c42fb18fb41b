package images

import "testing"

func TestColorFlagValues(t *testing.T) {
	m, c := ColorMatchNone, ColorControlNone
	if err := m.Set(" PCA "); err != nil || m != ColorMatchPCA {
		t.Errorf("ColorMatch.Set(PCA): %q, %v", m, err)
	}
	if err := c.Set("luminance"); err != nil || c != ColorControlLuminance {
		t.Errorf("ColorControl.Set(luminance): %q, %v", c, err)
	}
	if err := m.Set("lab"); err == nil || err.Error() != `unknown colour match "lab": must be one of none, pca, chol or sym` || m != ColorMatchPCA {
		t.Errorf("ColorMatch.Set(lab): %q, %v", m, err)
	}
	if err := c.Set("yiq"); err == nil || err.Error() != `unknown colour control "yiq": must be one of none, luminance or original-colors` ||
		c != ColorControlLuminance {
		t.Errorf("ColorControl.Set(yiq): %q, %v", c, err)
	}
	if err := c.Set(""); err != nil || c != ColorControlNone || m.String() != "pca" {
		t.Errorf(`ColorControl.Set(""): %q, %v`, c, err)
	}
}
