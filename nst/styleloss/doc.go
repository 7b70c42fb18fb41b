// Package styleloss holds the style losses of neural style transfer as graph functions of one
// layer's features: what each compares between the target picture and the style picture, and
// how.
//
// Gatys et al. compare Gram matrices. Li et al. (2017, "Demystifying Neural Style Transfer")
// showed that this is one choice among many: matching Gram matrices is minimising the maximum
// mean discrepancy (MMD) between the two images' feature vectors with the kernel k(x,y) = (xᵀy)²,
// so other kernels, and other ways of comparing two distributions of feature vectors, are style
// losses too. One file per loss:
//
//	gram.go      Gatys et al.: ‖G_F − G_S‖², G = F·Fᵀ (GramLayerLoss)
//	mmdlinear.go MMD, linear kernel xᵀy: the mean feature vectors (MMDLinearLayerLoss)
//	mmdpoly.go   MMD, polynomial kernel (xᵀy + c)²: the Gram loss again for c = 0 (MMDPolyLayerLoss)
//	mmdgauss.go  MMD, Gaussian kernel exp(−‖x−y‖²/(2σ²)) (MMDGaussLayerLoss)
//	meanstd.go   each channel's mean and standard deviation (MeanStdLayerLoss)
//	w2.go        Wasserstein-2 between fitted Gaussians (W2LayerLoss; sqrtm.go: the matrix roots)
//	sliced.go    Heitz et al.'s sliced Wasserstein (SlicedLayerLoss; sort.go: the sort it needs)
//
// Notation, at one style layer: F is the target's feature map [d, h, w] seen as N = d channels
// × M = h·w positions; S is the style's (M_S positions); f_i and s_j are the feature vectors at
// positions i and j (columns of F and S); μ_F = (1/M)·Σ_i f_i; Ĝ_F = F·Fᵀ/M (the second raw
// moment; G_F = F·Fᵀ is Gatys et al.'s Gram matrix). Each loss is one layer's term E_l; package
// nst adds β·w_l·balance·E_l over the style layers (nst.StyleLoss picks the loss and its
// balance).
//
// Each loss also comes as Parts, what a transfer needs to compute its style targets once and
// E_l at every evaluation.
package styleloss
