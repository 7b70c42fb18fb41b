package main

// The commands' long texts: what each does, examples, and its flags explained in groups, as
// `go help build` does. The flags' own help (settings.go) is one line each.

const stylizeLong = `
Paints the content of image C in the style of image S by optimizing the pixels of a new
image (L-BFGS by default) against VGG19's features: the content loss at conv4_2 and the
style loss on the Gram matrices of conv1_1 … conv5_1, as in the original notebook.
Images: JPEG, PNG, WebP or GIF in; PNG out.

Examples:
  estil stylize --content photo.jpg --style starry_night.jpg --out result.png
  estil stylize --content photo.jpg --style a.jpg --style b.jpg --style-blend 0.7,0.3 \
      --size 256 --iters 100 --color-control luminance --report run.json --out result.png
  estil stylize --content photo.jpg --style a.jpg --scales 256,512,1024 --checkpoint run.ckpt --out big.png
      (Ctrl-C or a crash: run the same command with --resume run.ckpt to go on where it stopped)
  estil stylize --content photo.jpg --style sky.jpg --style-mask sky-mask.png \
      --style ground.jpg --style-mask ground-mask.png --out regions.png
  estil stylize --content photo.jpg --style-coarse a.jpg --style-fine b.jpg --out scales.png
  estil stylize --weights random --size 64 --iters 20 ...   (offline; NOT a real style transfer)
  estil stylize --content frames/ --style a.jpg --init previous --size 256 --out styled/
      (a batch of frames: each stylized in turn, graphs compiled once; run it again to go on)

Pictures:
  --content, --style and --out are required. Several styles are blended by averaging their
  Gram matrices, with --style-blend's weights. --style-size content (the original's) gives
  each style the content's width and height; long-side keeps its shape and makes its long
  side --style-scale × --size (then use --gram-norm hw or chw: the original's sums over the
  positions differ with the size). --init is where the picture starts: the content (the
  original's), noise (Gatys et al.), the style, or a picture file. --max-megapixels refuses
  bigger inputs (a decompression-bomb guard).
` + controlHelp + batchHelp + sizeHelp + lossHelp + optimizerHelp + outputsHelp + modelHelp + colourHelp

// controlHelp explains spatial and scale control (Gatys et al. 2017, §4 and §6).
const controlHelp = `
Spatial and scale control (Gatys et al. 2017):
  --style-mask gives each --style, in the same order, the region of the result it takes: a
  black-and-white picture of the content's size, white inside, or LABELS.png:#RRGGBB, the
  pixels of that colour in a label image painted in flat colours, one per region. Masks may
  not overlap; pixels in no mask keep the content. Each region is matched to its own style's
  guided Gram matrices (gram style loss only), with --style-blend's weights as the regions'
  weights. --style-guide, in either form, likewise gives each style picture the region its
  style is taken from (default: all of it).
  --style-coarse A --style-fine B make the style picture first: starting from A, B's Gram
  matrices are matched at conv1_1 and conv2_1 and A's at the other style layers, each layer
  weighed by how far A and B differ there, so it keeps A's large structure with B's fine
  strokes (--iters iterations at the result's size); it replaces --style, and works with
  --scales and --style-mask.
`

// batchHelp explains a batch of frames (stylize only).
const batchHelp = `
Batches of frames:
  --content may be a folder (its .png, .jpg and .jpeg pictures, sorted by name) or a .txt
  list (one picture a line, relative to the list; # comments). --out is then a folder, made
  if needed, and frame NAME.EXT is written to OUT/NAME.png; two frames of one NAME, or an
  output that is an input, are refused. The frames are stylized one after the other on one
  network, compiled once for their size: every frame must have the first's size at --size
  (a video's frames do); one that does not, or that fails otherwise, is reported and the
  batch goes on, ending with a non-zero exit status that names the failed frames.
  --init previous starts each frame from the previous frame's result (the first, and one
  after a failed frame, from its content): the simple temporal coherence of Ruder et al.
  2016, without their optical flow, so a moving scene drags the previous strokes along;
  warping the previous result along the flow is the next step, not done here. Run the same
  command again to go on after a stop: a frame whose output decodes and records this
  batch's settings, styles, weights and frame (a digest in the PNG) is skipped; any other
  is redone. --style-mask and --style-guide apply to every frame; --style-coarse and
  --style-fine make the batch's style picture once. --checkpoint, --resume, --save-every,
  --preview, --report and --scales are for one picture.
`

// sizeHelp explains --size and --scales.
const sizeHelp = `
Size:
  --size is the result's long side; the content is resized to it. --scales 256,512,1024 runs
  coarse to fine instead: increasing long sides, each scale starting from the previous
  result upsampled, --iters at each; the last is the result's size (it replaces --size).
`

// lossHelp explains the loss's flags (stylize, demo; explain has most of them).
const lossHelp = `
Loss:
  --content-weight α and --style-weight β weigh the content and the style terms; --tv-weight
  adds total-variation smoothing (0, off, as in the original). --content-layers and
  --style-layers (layer:weight,…) choose VGG19's layers.
  --style-loss is how the style is compared: gram (Gatys et al.'s Gram matrices, the
  original's), mmd-linear, mmd-poly, mmd-gauss (Li et al.'s MMD with a linear, quadratic or
  Gaussian kernel; mmd-gauss takes one style), mean-std (channel means and deviations), w2
  (Wasserstein-2 between fitted Gaussians) or sliced (sliced Wasserstein, Heitz et al.); each
  is balanced to start near the Gram loss at the same --style-weight.
  --gram-norm divides the Gram matrices by: none (the original's; the style term then grows
  with the picture's size), hw (positions) or chw (channels × positions, PyTorch's
  tutorial's). hw and chw make the style terms far smaller (chw by d·h·w per layer), so
  choose --style-weight anew, far larger.
`

// optimizerHelp explains the optimizer's flags.
const optimizerHelp = `
Optimizer:
  --optimizer lbfgs (the original's), adam or gd (plain gradient descent), for --iters
  iterations (L-BFGS iterations or Adam steps). --line-search is L-BFGS's: strong_wolfe, or
  none (fixed steps of lr, torch's default). --lr defaults to 1 for lbfgs, 0.02 for adam and
  1e-3 for gd. --seed seeds --init noise and --weights random.
`

// outputsHelp explains the outputs' flags.
const outputsHelp = `
Outputs:
  --out is the result, a PNG. --save-every N also writes OUT-N.png every N iterations (not
  with --scales). --preview rewrites a PNG with the current picture every --preview-every
  iterations, atomically: an image viewer that reloads it shows the run's progress.
  --report writes a JSON report of every loss evaluation. --quiet hides the progress bar.
  --checkpoint writes the run's whole state (picture, optimizer, settings) every
  --checkpoint-every iterations and on Ctrl-C; it is removed once the result is written,
  unless --keep-checkpoint keeps it, holding the finished run. --resume continues the run
  saved in a checkpoint: give the same flags as the run that wrote it (--iters may be larger,
  to go on after a finished run kept with --keep-checkpoint); it goes on checkpointing into
  the same file unless --checkpoint says otherwise.
`

// modelHelp explains the network's flags.
const modelHelp = `
Model and backend:
  --model is the network (vgg19, torchvision's, or vgg19-caffe). --weights empty downloads
  them once into the cache; a .pth or .safetensors file is used as it is; random runs offline
  with a random network, whose results are meaningless. --backend auto takes XLA when a PJRT
  plugin loads, else the pure-Go backend; go, xla:cpu, xla:cuda or xla:/path/to/plugin.so
  choose. --pooling max is VGG19's; avg averages instead (Gatys et al.'s smoother results).
`

// colourHelp explains the colour flags.
const colourHelp = `
Colour:
  --color-control keeps the content's colours: none (the result takes the style's colours),
  luminance (Gatys et al. 2017's luminance-only transfer: the style's luminance is matched to
  the content's mean and variance, the network sees luminance only, and the content's YIQ
  chroma I, Q is put back on the result's luminance) or original-colors (neural-style's
  -original_colors: the transfer runs in colour, then the result's chroma is swapped for the
  content's). --original-colors is --color-control original-colors.
  --color-match recolours the style pictures before the transfer so that their colours' mean
  and covariance are the content's (an affine map, not full histogram matching): none, pca
  (Image Analogies' Σc^½·Σs^-½), chol (Cholesky factors) or sym (the symmetric map, moving
  colours least). With --color-control original-colors too, the chroma swap comes after; not
  with --color-control luminance, which discards the style's colours.
`

const demoLong = `
Stylizes a built-in pair of pictures drawn by estil itself: a lighthouse by the sea (content)
in a style of swirling brush strokes, with the real VGG19 weights (downloaded on first use;
if that is impossible, the demo says so and runs with random weights).
The size and iteration count are chosen to finish in a few minutes: 512 px and 300
iterations with XLA; on the pure-Go backend (CPU) 256 px and 120 iterations (about two minutes
on 2 cores), or 128 px and 40 in a build without GOEXPERIMENT=simd; --size and --iters
choose. Writes demo.png (--out), plus demo-content.png and demo-style.png to compare.
It takes stylize's flags but the pictures'.
` + sizeHelp + lossHelp + optimizerHelp + outputsHelp + modelHelp + colourHelp

const explainLong = `
Runs a small style transfer of C in the style of S and writes ONE self-contained HTML handout
that explains it, for students: VGG19's layers, feature maps and Gram matrices of the chosen
layers, the losses over the run, L-BFGS from inside, and L-BFGS against Adam and gradient
descent. It states the style loss used; with a --style-loss other than gram, a section explains
that style representation: its formula, its paper, what it keeps and loses against the Gram
matrix. Pictures are inlined: the file can be mailed or opened offline. English or Catalan.
The default size runs in a minute or two on the pure-Go backend (CPU) with the gram loss;
w2, sliced and mmd-gauss cost over ten times more per evaluation and take several minutes.

Examples:
  estil explain --content photo.jpg --style painting.jpg --out handout.html
  estil explain --content photo.jpg --style painting.jpg --lang ca --layer conv2_1,conv4_1 --out full.html
  estil explain --content photo.jpg --style painting.jpg --style-loss w2 --out w2.html   (another style representation, explained)
  estil explain --content photo.jpg --style painting.jpg --color-control luminance --out lum.html   (Gatys et al.'s luminance-only transfer)
  estil explain --weights random ...   (offline; the handout says loudly that the network is random)

The handout:
  --content, --style (one picture) and --out (.html or .htm) are required. --size is the
  pictures' long side, --iters the transfer's L-BFGS iterations. --layer chooses the layers
  whose feature maps and Gram matrices are shown (default conv1_1,conv3_1,conv5_1), --channels
  how many of the most active feature maps each shows, --order how the Gram matrices' channels
  are ordered (none, energy or greedy), --race-evals the loss evaluations each optimizer gets
  in the race. --lang is en or ca. --style-mask (one black-and-white picture of the
  content's size) gives the style one region of the result, and --style-guide one region of
  the style picture, as stylize's do; the handout then has a section on Gatys et al.'s
  guided Gram matrices, with the mask at each style layer's resolution.

The transfer:
  --content-weight, --style-weight, --content-layers, --style-layers and --style-loss are
  stylize's (estil help stylize); the handout states the style loss, and explains any but
  gram in a section of its own. --color-control is stylize's too: the handout says which was
  used, and shows the network's own picture beside the result. --model, --weights, --backend
  and --seed choose the network as stylize's do, but with the default weights and no network,
  the handout is made with random weights, saying so.
`
