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

// TestFeedWorkItemsSplitsTiesOnLHS checks which side a single product is split on (estil patch 25):
// the longer one, and the LHS on a tie (a channels-first convolution's kernel, which every item
// would otherwise pack whole), with the items covering the split side exactly.
func TestFeedWorkItemsSplitsTiesOnLHS(t *testing.T) {
	params := CacheParams{ // AVX-512 float32's (avx512.go is amd64 only)
		LHSL1KernelRows: 4, RHSL1KernelCols: 32, PanelContractingSize: 128, LHSPanelCrossSize: 24, RHSPanelCrossSize: 512,
	}
	for _, c := range []struct {
		m, n    int
		wantLHS bool
	}{
		{256, 256, true}, // VGG19's conv3_2 at 64 px: a tie
		{512, 64, true},
		{64, 4096, false},
		{255, 256, false},
	} {
		ch := make(chan workItem, workChannelSize(1, 2))
		feedWorkItems(1, c.m, c.n, &params, 2, ch)
		covered, items := 0, 0
		for item := range ch {
			items++
			lhs := item.lhsRowEnd-item.lhsRowStart < c.m
			rhs := item.rhsColEnd-item.rhsColStart < c.n
			if lhs != c.wantLHS || rhs == c.wantLHS {
				t.Errorf("[%d×K]·[K×%d]: item %+v, want the split on the LHS: %v", c.m, c.n, item, c.wantLHS)
			}
			if c.wantLHS {
				covered += item.lhsRowEnd - item.lhsRowStart
			} else {
				covered += item.rhsColEnd - item.rhsColStart
			}
		}
		if want := map[bool]int{true: c.m, false: c.n}[c.wantLHS]; covered != want || items < 2 {
			t.Errorf("[%d×K]·[K×%d]: %d items covering %d, want ≥ 2 covering %d", c.m, c.n, items, covered, want)
		}
	}
}
