package exercises

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"unicode/utf8"
)

// text is a message in both languages.
type text struct{ en, ca string }

// Exercise is one implement-and-check exercise as a notebook shows it: a cell where the student
// writes a GoMLX function (Stub in the student's copy, Solution in the teacher's), followed by a
// check cell (Check) that says whether it is right and, if not, what the usual mistake is.
type Exercise struct {
	// ID names the exercise, notebook first: "03-gram". Cell ids (nbgrader's) can start with it.
	ID string
	// Notebook is the notebook the exercise belongs to, as notebooks/src names it: "03_gram".
	Notebook string
	// Func is the function the student writes, e.g. "gramMatrix".
	Func string
	// Uses lists functions of earlier exercises of the same notebook that the solution calls
	// (GoNB keeps a notebook's declarations from cell to cell).
	Uses []string
	// Check is the check cell's statement (it goes after GoNB's %%), e.g.
	// "nbkit.CheckGram(nst.GramNormNone, gramMatrix)".
	Check string
	// Points is what the check is worth to an autograder (nbgrader's points).
	Points int

	doc  text // the function's doc comment, without the "// "
	todo text // what the stub's // TODO says
}

//go:embed solutions.go
var solutionsSource string

// Solutions are the teacher's solutions compiled, by function name (Exercise.Func): the checks'
// tests (package nbkit) plant mistakes into them.
var Solutions = map[string]any{
	"gramMatrix":     gramMatrix,
	"gramHW":         gramHW,
	"contentLoss":    contentLoss,
	"styleLayerLoss": styleLayerLoss,
	"totalVariation": totalVariation,
	"mmdLinear":      mmdLinear,
	"guidedGram":     guidedGram,
}

// Exercises lists the implement-and-check exercises, in the order of the notebooks.
func Exercises() []Exercise {
	return []Exercise{{
		ID: "03-gram", Notebook: "03_gram", Func: "gramMatrix", Points: 2,
		Check: "nbkit.CheckGram(nst.GramNormNone, gramMatrix)",
		doc: text{"gramMatrix returns the Gram matrix G = F·Fᵀ [d, d] of a layer's feature map f [d, h, w], F being f viewed as [d, h·w]: one row per channel.",
			"gramMatrix retorna la matriu de Gram G = F·Fᵀ [d, d] del mapa de característiques f [d, h, w] d'una capa, on F és f vista com a [d, h·w]: una fila per canal."},
		todo: text{"view f as F [d, h·w] (graph.Reshape), then multiply F by its transpose (graph.MatMul, graph.Transpose).",
			"vegeu f com a F [d, h·w] (graph.Reshape) i multipliqueu F per la seva transposada (graph.MatMul, graph.Transpose)."},
	}, {
		ID: "03-gram-hw", Notebook: "03_gram", Func: "gramHW", Uses: []string{"gramMatrix"}, Points: 1,
		Check: "nbkit.CheckGram(nst.GramNormHW, gramHW)",
		doc: text{"gramHW returns Ĝ = F·Fᵀ/(h·w), the Gram matrix divided by the number of positions (--gram-norm hw): the mean of f_i·f_iᵀ over the positions i, the same for a picture of any size.",
			"gramHW retorna Ĝ = F·Fᵀ/(h·w), la matriu de Gram dividida pel nombre de posicions (--gram-norm hw): la mitjana de f_i·f_iᵀ sobre les posicions i, la mateixa per a una imatge de qualsevol mida."},
		todo: text{"use your gramMatrix, and graph.DivScalar.", "feu servir la vostra gramMatrix, i graph.DivScalar."},
	}, {
		ID: "04-content-loss", Notebook: "04_losses", Func: "contentLoss", Points: 2,
		Check: "nbkit.CheckContentLoss(contentLoss)",
		doc: text{"contentLoss returns the original's content loss, mean((T − C)²) over the d·h·w elements of the target's and the content's feature maps [d, h, w].",
			"contentLoss retorna la pèrdua de contingut de l'original, mean((T − C)²) sobre els d·h·w elements dels mapes de l'objectiu (target) i del contingut [d, h, w]."},
		todo: text{"graph.Sub, graph.Square and a mean over all elements (graph.ReduceAllMean).",
			"graph.Sub, graph.Square i una mitjana sobre tots els elements (graph.ReduceAllMean)."},
	}, {
		ID: "04-style-layer-loss", Notebook: "04_losses", Func: "styleLayerLoss", Points: 3,
		Check: "nbkit.CheckStyleLayerLoss(styleLayerLoss)",
		doc: text{"styleLayerLoss returns one layer's style term, the original's E_l = mean((G_T − G_S)²)/(d·h·w), for the target's feature map [d, h, w] and the style's Gram matrix [d, d]. nst.GramMatrix computes G = F·Fᵀ as you did in 03.",
			"styleLayerLoss retorna el terme d'estil d'una capa, l'E_l de l'original, mean((G_T − G_S)²)/(d·h·w), per al mapa de l'objectiu (target) [d, h, w] i la matriu de Gram de l'estil [d, d]. nst.GramMatrix calcula G = F·Fᵀ com vau fer al 03."},
		todo: text{"G_T = nst.GramMatrix(target); then the mean of the squared differences, divided by d·h·w.",
			"G_T = nst.GramMatrix(target); després, la mitjana de les diferències al quadrat, dividida per d·h·w."},
	}, {
		ID: "06-total-variation", Notebook: "06_transfer", Func: "totalVariation", Points: 2,
		Check: "nbkit.CheckTotalVariation(totalVariation)",
		doc: text{"totalVariation returns the sum of the squared differences between neighbouring pixels of x [H, W, C], vertical and horizontal, over every channel.",
			"totalVariation retorna la suma de les diferències al quadrat entre píxels veïns de x [H, W, C], verticals i horitzontals, en tots els canals."},
		todo: text{"graph.Slice(x, graph.AxisRange(1, h)) is x without its first row; subtract neighbours, square, sum.",
			"graph.Slice(x, graph.AxisRange(1, h)) és x sense la primera fila; resteu veïns, eleveu al quadrat, sumeu."},
	}, {
		ID: "07-mmd-linear", Notebook: "07_beyond_gram", Func: "mmdLinear", Points: 3,
		Check: "nbkit.CheckMMDLinear(mmdLinear)",
		doc: text{"mmdLinear returns Li et al.'s MMD with the linear kernel k(x, y) = xᵀy, as its formula says: (1/(N·M))·Σ_ij [k(f_i, f_j) + k(s_i, s_j) − 2·k(f_i, s_j)] over all pairs of positions, f_i and s_j being the columns of F and S, the feature maps [N, h, w] viewed as [N, M].",
			"mmdLinear retorna l'MMD de Li et al. amb el nucli lineal k(x, y) = xᵀy, tal com diu la fórmula: (1/(N·M))·Σ_ij [k(f_i, f_j) + k(s_i, s_j) − 2·k(f_i, s_j)] sobre tots els parells de posicions, on f_i i s_j són les columnes d'F i d'S, els mapes [N, h, w] vistos com a [N, M]."},
		todo: text{"k(f_i, s_j) for every pair is the [M, M] matrix Fᵀ·S; sum the three kernel matrices as the formula says.",
			"k(f_i, s_j) per a tots els parells és la matriu [M, M] Fᵀ·S; sumeu les tres matrius de nucli com diu la fórmula."},
	}, {
		ID: "08-guided-gram", Notebook: "08_control", Func: "guidedGram", Points: 2,
		Check: "nbkit.CheckGuidedGram(guidedGram)",
		doc: text{"guidedGram returns Gatys et al.'s (2017) guided Gram matrix [d, d] of one region: G^r = (h·w / Σ_p t_p²)·(F∘T)(F∘T)ᵀ, for a layer's feature map f [d, h, w] and the region's guidance channel t [h, w] at the layer's resolution (1 inside, 0 outside), F being f viewed as [d, h·w] and F∘T each of its rows multiplied by t.",
			"guidedGram retorna la matriu de Gram guiada [d, d] d'una regió (Gatys et al. 2017): G^r = (h·w / Σ_p t_p²)·(F∘T)(F∘T)ᵀ, per al mapa de característiques f [d, h, w] d'una capa i el canal guia t [h, w] de la regió a la resolució de la capa (1 a dins, 0 a fora), on F és f vista com a [d, h·w] i F∘T, cadascuna de les seves files multiplicada per t."},
		todo: text{"multiply f by t (graph.Reshape t to [1, h, w], graph.BroadcastToDims to [d, h, w], graph.Mul), take its Gram matrix as in 03, and scale it by h·w / Σ_p t_p² (graph.ReduceAllSum, graph.Square, graph.Div).",
			"multipliqueu f per t (graph.Reshape de t a [1, h, w], graph.BroadcastToDims a [d, h, w], graph.Mul), preneu-ne la matriu de Gram com al 03 i escaleu-la per h·w / Σ_p t_p² (graph.ReduceAllSum, graph.Square, graph.Div)."},
	}}
}

// Stub is the function as the student's copy shows it, in lang ("en" or "ca"): its doc comment,
// its signature and a body that only says // TODO and returns nil (which the check reports as
// not written yet).
func (e Exercise) Stub(lang string) string {
	sig, _ := e.parts()
	return e.comment(lang) + sig + " {\n\t// TODO: " + e.pick(e.todo, lang) + "\n\treturn nil\n}\n"
}

// Solution is the function as the teacher's copy shows it, in lang: the stub's doc comment and
// signature, and the body between nbgrader's // BEGIN SOLUTION and // END SOLUTION, which
// nbgrader replaces with its code stub when it releases the assignment.
func (e Exercise) Solution(lang string) string {
	sig, body := e.parts()
	return e.comment(lang) + sig + " {\n\t// BEGIN SOLUTION\n" + body + "\t// END SOLUTION\n}\n"
}

// comment is the doc comment in lang, wrapped at 100 columns, never inside brackets (a formula
// stays on one line).
func (e Exercise) comment(lang string) string {
	var chunks []string
	depth := 0
	for _, word := range strings.Fields(e.pick(e.doc, lang)) {
		if depth > 0 {
			chunks[len(chunks)-1] += " " + word
		} else {
			chunks = append(chunks, word)
		}
		depth += strings.Count(word, "(") + strings.Count(word, "[") - strings.Count(word, ")") - strings.Count(word, "]")
	}
	var b, line strings.Builder
	for _, chunk := range chunks {
		if line.Len() > 0 && utf8.RuneCountInString(line.String())+1+utf8.RuneCountInString(chunk) > 97 {
			b.WriteString("// " + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(chunk)
	}
	b.WriteString("// " + line.String() + "\n")
	return b.String()
}

func (e Exercise) pick(t text, lang string) string {
	if lang == "ca" {
		return t.ca
	}
	return t.en
}

// parts cuts the solution out of solutions.go: its signature ("func gramMatrix(f *graph.Node)
// *graph.Node") and its body's lines, without the braces.
func (e Exercise) parts() (signature, body string) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "solutions.go", solutionsSource, parser.ParseComments)
	if err != nil {
		panic(err)
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != e.Func {
			continue
		}
		open := fset.Position(fn.Body.Lbrace).Offset
		end := fset.Position(fn.Body.Rbrace).Offset
		signature = strings.TrimSpace(solutionsSource[fset.Position(fn.Pos()).Offset:open])
		return signature, strings.TrimLeft(solutionsSource[open+1:end], "\n")
	}
	panic(fmt.Sprintf("nbkit: no solution %s in solutions.go", e.Func))
}
