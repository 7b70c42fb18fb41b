package nst_test

import (
	"context"
	"fmt"
	"log"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
)

// Open VGG19 (here with random weights, which need no download), look at a picture's feature
// maps and the Gram matrix of one layer, and evaluate the original's loss for a target picture.
// Real runs leave Weights empty: the torchvision weights are downloaded on first use.
func Example() {
	model, err := nst.LoadModel(context.Background(), nst.LoadOptions{Weights: "random", Backend: backend.Go})
	if err != nil {
		log.Fatal(err)
	}
	content, style := images.Lighthouse(64, 48), images.Swirls(64, 64)

	// Feature maps are channels first, [C, H, W], as the original's PyTorch tensors.
	feats, err := model.Features(nst.ImageTensor(content), "conv1_1", "conv4_2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("conv1_1:", feats["conv1_1"].Shape().Dimensions)
	fmt.Println("conv4_2:", feats["conv4_2"].Shape().Dimensions)

	// The style of a layer: which of its filters fire together.
	gram, err := model.Gram(feats["conv1_1"])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Gram of conv1_1:", gram.Shape().Dimensions)

	// The loss of the original for a target picture (here the content itself): the content term
	// is 0, and there is one style term per style layer.
	transfer := nst.NewTransfer(model)
	e, err := transfer.Evaluate(content, content, []nst.Style{{Image: style, Weight: 1}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("content loss:", e.Content, "style terms:", len(e.Style))
	// Output:
	// conv1_1: [64 48 64]
	// conv4_2: [512 6 8]
	// Gram of conv1_1: [64 64]
	// content loss: 0 style terms: 5
}
