// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvReverseAbsorbed returns how many Reverse nodes ConvGeneral's builder has absorbed since the
// process started.
func ConvReverseAbsorbed() int64 { return convIm2colAbsorbed.Load() }
