// Package explain draws what happens inside a neural style transfer, for students: tables, grids
// of feature maps, heatmaps of Gram matrices and charts of the losses and of the optimizer, each
// with a caption that explains what to look at, in English or Catalan.
//
// Every view is a View: its HTML method returns a self-contained HTML fragment (figures inlined
// as data: URI PNGs, no scripts, no external resources) in the current language. In a GoNB
// notebook, Display shows it in the cell; elsewhere, WritePage puts views into one HTML file (as
// `estil explain` does for its handout). Each view also keeps the numbers it shows as exported
// fields, for tests and for notebooks that want to compute with them.
//
//	explain.SetLanguage("ca")                        // or "en", the default
//	table, _ := explain.LayerTable(64, 64, nst.DefaultLoss())
//	explain.Display(table)
//
// # Views
//
//   - LayerTable: the original's print(vgg19), richer: torchvision index, name, kind, output shape
//     for an input of width×height pixels, parameter count, receptive field, and which layers feed the content and
//     style losses of an nst.LossConfig.
//
//   - FeatureMaps (or FeatureMapsOf on a tensor): a grid of a layer's N most active channels (by
//     mean activation), each normalized to [0, 1] and coloured with viridis, titled with the channel
//     and its activity. ChannelMaps (ChannelMapsOf) shows given channels instead, so that two
//     pictures can be compared through the same filters.
//
//   - GramMatrices (or GramOf on [C, C] tensors): heat maps with colour bars of a layer's Gram
//     matrix for the style image and the generated one, side by side with their difference, with
//     the channels in the network's order or reordered (OrderEnergy, OrderGreedy) so that
//     structure shows; Matrix and HeatMap give the numbers drawn. GramView.Named names the two
//     pictures when neither is a generated image.
//
//   - LossHistory (from the []nst.Evaluation of a run) or LossHistoryFromReport (from the JSON of
//     `estil stylize --report`): line charts, log y, of the total, the content term and each style
//     layer's term over the evaluations of a run.
//
//   - LBFGSIterations (from the []optim.Iteration of nst.Transfer.OnIteration): L-BFGS from inside,
//     per iteration the loss, step length t, ‖g‖∞, curvature sᵀy, history pairs used and function
//     evaluations, as charts and a table.
//
//   - CompareOptimizers, RosenbrockRace and TransferRace: L-BFGS, Adam and plain gradient descent
//     (nst.GradientDescent) on the same budget of function evaluations, lowest loss so far (log y),
//     on the Rosenbrock function or on a small style transfer.
//
//   - LiveView (NewLiveView, attached to an nst.Transfer before Run): the picture and the loss
//     curve redrawn in place every few iterations while the transfer runs.
//
//   - MethodView: the loss's formulas with a run's α, β, layers and weights, the style loss used
//     (nst.LossConfig.StyleLoss), and the references.
//
//   - StyleRepresentationView: the style loss a run used (gram, Li et al.'s MMDs, mean-std, W2,
//     sliced Wasserstein): what it compares, its formula and paper, what it keeps and loses
//     against the Gram matrix, its balance weight, and Li et al.'s identity Gram loss = MMD² with
//     k(x, y) = (xᵀy)².
//
// Other helpers: HTMLText (a View of ready HTML), Handout (every view above for one pair of
// pictures, as `estil explain` writes it) and PipelineDiagram (the whole method as one SVG after
// Gatys et al. 2016's figure 2, for the teacher's guide: notebooks/guide/pipeline.{en,ca}.svg).
//
// Charts are drawn with gonum.org/v1/plot (its fonts are embedded, so nothing is downloaded) and
// pictures with the standard image packages.
package explain
