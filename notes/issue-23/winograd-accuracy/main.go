//go:build ignore

// Measures the float32 error of Winograd F(2×2,3×3) and F(4×4,3×3) against a float64 direct
// convolution, relative to Σ|w·x| of each output, on VGG19-like data (post-ReLU inputs, He-scaled
// weights), with direct float32 summation (what im2col does) for comparison.
//
//	go run notes/issue-23/winograd-accuracy/main.go
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

type scheme struct {
	name      string
	m         int         // output tile
	bt, g, at [][]float64 // Bᵀ (n×n), G (n×3), Aᵀ (m×n), n = m+2
}

var f23 = scheme{"F(2x2,3x3)", 2,
	[][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
	[][]float64{{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}},
	[][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}}

var f43 = scheme{"F(4x4,3x3)", 4,
	[][]float64{{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}},
	[][]float64{{1. / 4, 0, 0}, {-1. / 6, -1. / 6, -1. / 6}, {-1. / 6, 1. / 6, -1. / 6}, {1. / 24, 1. / 12, 1. / 6}, {1. / 24, -1. / 12, 1. / 6}, {0, 0, 1}},
	[][]float64{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}}

// mul32 returns a·b·cᵀ in float32 (a: p×q, b: q×r, c: s×r).
func mul32(a [][]float64, b [][]float32, c [][]float64) [][]float32 {
	p, q, r, s := len(a), len(b), len(b[0]), len(c)
	t := make([][]float32, p)
	for i := range p {
		t[i] = make([]float32, r)
		for j := range r {
			var sum float32
			for k := range q {
				if a[i][k] != 0 {
					sum += float32(a[i][k]) * b[k][j]
				}
			}
			t[i][j] = sum
		}
	}
	out := make([][]float32, p)
	for i := range p {
		out[i] = make([]float32, s)
		for j := range s {
			var sum float32
			for k := range r {
				if c[j][k] != 0 {
					sum += t[i][k] * float32(c[j][k])
				}
			}
			out[i][j] = sum
		}
	}
	return out
}

func main() {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cin := range []int{3, 64, 256, 512} {
		const tile = 12 // 12×12 outputs: 36 F(2) tiles, 9 F(4) tiles
		const cout = 8
		x := make([][][]float32, cin) // [c][14][14]
		for c := range x {
			x[c] = make([][]float32, tile+2)
			for i := range x[c] {
				x[c][i] = make([]float32, tile+2)
				for j := range x[c][i] {
					x[c][i][j] = float32(math.Abs(r.NormFloat64())) // post-ReLU
				}
			}
		}
		std := math.Sqrt(2 / float64(9*cin))
		w := make([][][][]float32, cout)
		for o := range w {
			w[o] = make([][][]float32, cin)
			for c := range w[o] {
				w[o][c] = [][]float32{make([]float32, 3), make([]float32, 3), make([]float32, 3)}
				for i := range 3 {
					for j := range 3 {
						w[o][c][i][j] = float32(r.NormFloat64() * std)
					}
				}
			}
		}
		errs := map[string][]float64{}
		for o := range cout {
			// Reference (float64), scale, and direct float32 sum.
			ref, scale, direct := make([][]float64, tile), make([][]float64, tile), make([][]float32, tile)
			for i := range tile {
				ref[i], scale[i], direct[i] = make([]float64, tile), make([]float64, tile), make([]float32, tile)
				for j := range tile {
					for c := range cin {
						for ky := range 3 {
							for kx := range 3 {
								p := float64(w[o][c][ky][kx]) * float64(x[c][i+ky][j+kx])
								ref[i][j] += p
								scale[i][j] += math.Abs(p)
								direct[i][j] += w[o][c][ky][kx] * x[c][i+ky][j+kx]
							}
						}
					}
					errs["direct float32"] = append(errs["direct float32"], math.Abs(float64(direct[i][j])-ref[i][j])/scale[i][j])
				}
			}
			for _, s := range []scheme{f23, f43} {
				n := s.m + 2
				us := make([][][]float32, cin)
				for c := range cin {
					us[c] = mul32(s.g, w[o][c], s.g) // G·g·Gᵀ
				}
				for ty := 0; ty < tile; ty += s.m {
					for tx := 0; tx < tile; tx += s.m {
						acc := make([][]float32, n)
						for i := range acc {
							acc[i] = make([]float32, n)
						}
						for c := range cin {
							d := make([][]float32, n)
							for i := range n {
								d[i] = x[c][ty+i][tx : tx+n]
							}
							v := mul32(s.bt, d, s.bt) // Bᵀ·d·B
							for i := range n {
								for j := range n {
									acc[i][j] += us[c][i][j] * v[i][j]
								}
							}
						}
						y := mul32(s.at, acc, s.at)
						for i := range s.m {
							for j := range s.m {
								e := math.Abs(float64(y[i][j])-ref[ty+i][tx+j]) / scale[ty+i][tx+j]
								errs[s.name] = append(errs[s.name], e)
							}
						}
					}
				}
			}
		}
		for _, name := range []string{"direct float32", f23.name, f43.name} {
			e := errs[name]
			sort.Float64s(e)
			fmt.Printf("cin=%3d %-15s max %.3g  median %.3g  (|y - y64| / Σ|w·x|, %d outputs)\n", cin, name, e[len(e)-1], e[len(e)/2], len(e))
		}
	}
}
