// Package nst performs neural style transfer the way the original notebook ("Neural Style
// Transfer amb VGG19", after Gatys et al., 2016) does, on GoMLX.
//
// The method, and where each step lives:
//
//  1. The network (vgg.go, model.go). VGG19's `features`, 16 convolutions in five blocks, with
//     frozen pretrained weights (package weights). It is only used to look at images: nothing in
//     it is trained.
//  2. Features (features.go). What the image looks like at each depth: early layers (conv1_1)
//     respond to colours and edges, deep ones (conv4_2, conv5_1) to parts of objects.
//  3. Style as a Gram matrix (gram.go). G = F·Fᵀ of a layer's feature maps: which filters fire
//     together, with where they fire summed away.
//  4. The loss (loss.go). content = mean((T − C)²) at conv4_2; style = Σ_l w_l·mean((G_T − G_S)²)/(d·h·w)
//     over conv1_1 … conv5_1 with w = 1, .75, .2, .2, .2; total = α·content + β·style. The
//     Gram matrices are one style loss among seven (LossConfig.StyleLoss, styleloss.go): gram
//     (the original's), mmd-linear, mmd-poly and mmd-gauss (Li et al.'s maximum mean
//     discrepancies), mean-std, w2 (Wasserstein-2 between fitted Gaussians) and sliced (Heitz et
//     al.'s sliced Wasserstein). Their graph functions and formulas are package nst/styleloss.
//  5. The optimization (transfer.go, optimize.go). L-BFGS (package optim) changes the pixels of
//     the target image, starting from the content image, until it keeps the content and takes
//     the style. Long runs go coarse to fine (scales.go), and a checkpoint (checkpoint.go) keeps
//     the optimizer's whole state so that a stopped run resumes on the very same path.
//  6. Control (Gatys et al. 2017). Spatial control (mask.go): each style takes a region of the
//     result (Style.Mask) and draws its statistics from a region of its picture (Style.Guide),
//     through guided Gram matrices (GuidedGram, gram.go). Scale control (scalecontrol.go): a new
//     style picture with one picture's coarse structure and another's fine strokes
//     (Transfer.SynthesizeStyle).
//
// A notebook uses it in a few lines: LoadModel opens VGG19 on the best backend (package
// nst/backend chooses it), Model.Features and Model.Gram show what it sees, Transfer.Evaluate
// gives the original's loss term by term and Transfer.Run does the whole transfer. The package's Example is a compiled, runnable version
// (go doc -all ./nst, or pkg.go.dev).
//
// # Many frames, one graph
//
// GoMLX compiles a graph for each new shape of its inputs. A Model keeps its graphs, those of
// the optimizers included (optim.Graphs, keyed by the loss's settings), so that Transfers with
// one loss on pictures of one size compile only for the first: the frames of a video
// (`estil stylize --content frames/`). Model.Compilations counts the compilations. Starting
// each frame from the previous result (Transfer.InitImage; the CLI's --init previous) is the
// simple temporal coherence of Ruder et al. 2016 without their optical flow, which would warp
// the previous result along the motion first; that is the next step, not done here.
//
// # Two lowerings, one network
//
// The network is written once (Model.forward) over two operations, a 3×3 convolution and a 2×2
// pooling, with feature maps laid out channels first ([C, H, W]) as in PyTorch. How the
// convolutions become graph operations is a Lowering: GoMLX's native Convolve, which XLA compiles
// for CPU or GPU and which GoMLX's pure-Go backend runs as im2col plus its SIMD matrix product
// (estil's patch, third_party/PATCHES.md), gradient included; or the same im2col written in graph
// ops (Gather + matrix product), kept as an independent check. LoadModel uses the native one on
// every backend.
package nst
