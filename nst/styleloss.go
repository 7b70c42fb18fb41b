package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck

	"github.com/estil-nst/estil/internal/enum"
	"github.com/estil-nst/estil/nst/styleloss"
)

// Style losses.
//
// Gatys et al. compare Gram matrices; Li et al. (2017) showed that this is one of many ways to
// compare the distributions of the target's and the style's feature vectors. Package styleloss
// holds the losses as graph functions, one per file, with their formulas; this file names them
// (StyleLoss, what LossConfig.StyleLoss and --style-loss take) and gives each its balance.

// StyleLoss names a style loss (LossConfig.StyleLoss; empty means StyleLossGram).
type StyleLoss string

const (
	// StyleLossGram is Gatys et al.'s (the original's): Gram matrices, with GramNorm.
	StyleLossGram StyleLoss = "gram"
	// StyleLossMMDLinear is Li et al.'s MMD with the linear kernel k(x,y) = xᵀy: it matches the
	// mean feature vector only.
	StyleLossMMDLinear StyleLoss = "mmd-linear"
	// StyleLossMMDPoly is Li et al.'s MMD with the polynomial kernel k(x,y) = (xᵀy + c)²; with
	// c = 0 (theirs, and estil's) it is the Gram loss up to a constant.
	StyleLossMMDPoly StyleLoss = "mmd-poly"
	// StyleLossMMDGauss is Li et al.'s MMD with the Gaussian kernel exp(−‖x−y‖²/(2σ²)).
	StyleLossMMDGauss StyleLoss = "mmd-gauss"
	// StyleLossMeanStd is Li et al.'s batch-normalisation statistics: each channel's mean and
	// standard deviation.
	StyleLossMeanStd StyleLoss = "mean-std"
	// StyleLossW2 is the Wasserstein-2 distance between Gaussians fitted to the two feature
	// distributions (means and covariance matrices).
	StyleLossW2 StyleLoss = "w2"
	// StyleLossSliced is Heitz et al.'s (2021) sliced Wasserstein distance: the feature vectors
	// projected on fixed random directions, each projection's sorted values compared.
	StyleLossSliced StyleLoss = "sliced"
)

// StyleLosses lists the style losses, the default (gram) first.
func StyleLosses() []StyleLoss {
	return []StyleLoss{StyleLossGram, StyleLossMMDLinear, StyleLossMMDPoly, StyleLossMMDGauss, StyleLossMeanStd, StyleLossW2, StyleLossSliced}
}

// ParseStyleLoss checks a --style-loss value.
func ParseStyleLoss(s string) (StyleLoss, error) {
	return enum.Parse("style loss", s, StyleLosses())
}

// OrGram is l, the empty name (LossConfig's default) meaning StyleLossGram.
func (l StyleLoss) OrGram() StyleLoss {
	if l == "" {
		return StyleLossGram
	}
	return l
}

// Balance is the factor by which the objective multiplies E_l of this loss, on top of β·w_l:
// each loss's E_l has its own scale, and the balance brings them to the Gram loss's, so that one
// β serves all (Li et al. do the same with their "balance weights": poly 0.1, linear 2·10³,
// Gaussian 3·10¹⁴, BN 10³, against their own Gram normalisation).
//
// How estil's were chosen: with the default layers and β = 10⁶, the built-in pictures
// (images.Lighthouse at 64×48 as the content, images.Swirls given the content's size as the
// style), the content as the starting image and VGG19 with random weights (seed 1, what
// --weights random gives: the real weights could not be downloaded where this was measured, so
// these balances are for random features and deserve a rerun with the real ones, whose feature
// magnitudes differ), each balance makes Σ_l β·w_l·balance·E_l at the first evaluation about
// equal to the Gram loss's (3.06·10⁷ there; the content term starts at 0), rounded to one
// significant digit. Σ_l w_l·E_l at balance 1, and the balance it gave (30.6 divided by it):
//
//	gram        30.6       → 1
//	mmd-linear  1.75·10³   → 0.02
//	mmd-poly    2.16·10³   → 0.01   (each layer's E_l is N times the Gram one's, N = 64…512)
//	mmd-gauss   3.82·10⁻³  → 8·10³
//	mean-std    1.07       → 30
//	w2          1.31       → 20
//	sliced      1.06       → 30
//
// TestStyleLossBalances prints these sums (go test ./nst -run StyleLossBalances -v) and fails if
// a balance leaves a loss's start more than 2× from the Gram loss's.
func (l StyleLoss) Balance() float64 {
	switch l.OrGram() {
	case StyleLossMMDLinear:
		return 0.02
	case StyleLossMMDPoly:
		return 0.01
	case StyleLossMMDGauss:
		return 8e3
	case StyleLossMeanStd:
		return 30
	case StyleLossW2:
		return 20
	case StyleLossSliced:
		return 30
	}
	return 1
}

// impl returns the loss's parts; norm applies to the Gram loss only.
func (l StyleLoss) impl(norm GramNorm) styleloss.Parts {
	switch l.OrGram() {
	case StyleLossMMDLinear:
		return styleloss.MMDLinear()
	case StyleLossMMDPoly:
		return styleloss.MMDPoly()
	case StyleLossMMDGauss:
		return styleloss.MMDGauss(mmdGaussSizes)
	case StyleLossMeanStd:
		return styleloss.MeanStd()
	case StyleLossW2:
		return styleloss.W2()
	case StyleLossSliced:
		return styleloss.Sliced()
	}
	return styleloss.Parts{
		NumStats: 1, NumTargets: 1,
		Stats:     func(f *Node, _ styleloss.Layer) []*Node { return []*Node{norm.Gram(f)} },
		LayerLoss: func(f *Node, t []*Node, _ styleloss.Layer) *Node { return norm.StyleLayerLoss(f, t[0]) },
	}
}

// mmdGaussSizes are the Gaussian MMD's: the default, which white-box tests lower to reach the
// linear-time form on small pictures.
var mmdGaussSizes = styleloss.DefaultMMDGaussSizes()
