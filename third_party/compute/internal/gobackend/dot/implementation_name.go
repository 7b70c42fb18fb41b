// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package dot

// Name is the implementation's human-readable identifier, e.g. "simd:avx512" (estil patch: lets a
// program tell its users which kernel their matrix products run on).
func (r *ImplementationRegistration) Name() string {
	if r == nil {
		return ""
	}
	return r.name
}
