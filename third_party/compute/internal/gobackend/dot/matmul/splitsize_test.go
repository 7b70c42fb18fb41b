// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package matmul

import "testing"

// TestSplitSize checks the work split (estil patch): the slices cover the axis, are whole panels
// where every item still gets one and whole tiles otherwise, and give every worker work where the
// axis has at least that many tiles.
func TestSplitSize(t *testing.T) {
	const panel, tile = 512, 32
	for _, c := range []struct{ size, split, want int }{
		{16384, 2, 8192}, // long axis: whole panels, even
		{1024, 2, 512},
		{1536, 2, 1024}, // 768 rounded up to 2 panels: items of 1024 and 512
		{256, 2, 128},   // shorter than 2 panels: tiles (it was 1 item of 512)
		{100, 2, 64},
		{20, 2, 32}, // less than a tile per worker: one tile
	} {
		got := splitSize(c.size, c.split, panel, tile)
		if got != c.want {
			t.Errorf("splitSize(%d, %d, %d, %d) = %d, want %d", c.size, c.split, panel, tile, got, c.want)
		}
		items := (c.size + got - 1) / got
		if c.size >= c.split*tile && items < c.split {
			t.Errorf("size %d split %d: %d items of %d, fewer than the workers", c.size, c.split, items, got)
		}
	}
}
