package explain_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/nst"
)

// The layer table of VGG19 for a 128×96 picture with the original's loss: each view keeps its
// numbers as fields, and renders itself as a self-contained HTML fragment (explain.Display shows
// it in a notebook, WritePage saves it as a page).
func ExampleLayerTable() {
	loss := nst.DefaultLoss() // the original's layers and weights
	table, err := explain.LayerTable(128, 96, loss)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range table.Rows {
		if r.Content || r.StyleWeight > 0 {
			fmt.Printf("%-8s %3d×%-3d ×%3d  content %-5v style weight %.2f\n", r.Name, r.Width, r.Height, r.Channels, r.Content, r.StyleWeight)
		}
	}
	fmt.Println("parameters:", table.TotalParams)
	fmt.Println("HTML table:", strings.Contains(table.HTML(), "<table"))
	// Output:
	// conv1_1  128×96  × 64  content false style weight 1.00
	// conv2_1   64×48  ×128  content false style weight 0.75
	// conv3_1   32×24  ×256  content false style weight 0.20
	// conv4_1   16×12  ×512  content false style weight 0.20
	// conv4_2   16×12  ×512  content true  style weight 0.00
	// conv5_1    8×6   ×512  content false style weight 0.20
	// parameters: 20024384
	// HTML table: true
}
