package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

var stylizeCmd = &command{
	UsageLine: "stylize --content C --style S [--style S2 ...] --out O.png [flags]",
	Short:     "paint the content of picture C in the style of picture S",
	Long:      stylizeLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		s := defaultSettings()
		s.register(fs)
		return func(ctx context.Context, stdout, stderr io.Writer) error { return stylize(ctx, s, stdout, stderr) }
	},
}

// stylizeCommand is `estil stylize args`.
func stylizeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return stylizeCmd.Run(ctx, args, stdout, stderr)
}

// stylize plans the run the flags s ask for, checks its outputs, reads its pictures and runs it.
func stylize(ctx context.Context, s settings, stdout, stderr io.Writer) error {
	p, err := newPlan(s)
	if err != nil {
		return err
	}
	for _, w := range p.warnings() {
		fmt.Fprintln(stderr, "estil: warning: "+w)
	}
	// Check the outputs before reading or computing anything.
	if err := checkOutputs(&p); err != nil {
		return err
	}
	if p.batch != nil {
		return runBatch(ctx, &p, stdout, stderr)
	}
	var j job
	if err := unlessCancelled(ctx, func() (err error) { j, err = loadJob(&p); return err }); err != nil {
		return err
	}
	return runTransfer(ctx, &p, j, stdout, stderr)
}

// job is what the plan reads: the pictures and --resume's checkpoint, read once.
type job struct {
	content     image.Image
	styles      []image.Image
	initImage   image.Image
	masks       []image.Image   // --style-mask's, at the content's size as read; nil: none
	guides      []image.Image   // --style-guide's, at their style pictures' sizes; nil: none
	coarse      image.Image     // --style-coarse's and --style-fine's pictures: scale control makes
	fine        image.Image     // styles[0] from them once the network is open (withScaleControl)
	resumed     *nst.Checkpoint // --resume's checkpoint; nil: a new run
	description string
}

// loadJob reads the plan's pictures (the content, the styles, --init's picture if it is a file)
// and --resume's checkpoint.
func loadJob(p *plan) (job, error) {
	pics := &p.pictures
	j := job{description: pics.content}
	var err error
	if j.content, err = images.Load(pics.content, pics.pixelLimit()); err != nil {
		return j, err
	}
	for _, path := range pics.styles {
		img, err := images.Load(path, pics.pixelLimit())
		if err != nil {
			return j, err
		}
		j.styles = append(j.styles, img)
	}
	if err := loadControl(p, &j); err != nil {
		return j, err
	}
	if j.initImage, err = loadInit(p); err != nil {
		return j, err
	}
	j.resumed, err = loadResume(p)
	return j, err
}

// loadControl reads the pictures of spatial and scale control (--style-mask, --style-guide,
// --style-coarse, --style-fine) and refuses bad masks (nst.CheckMasks) before anything is
// computed. With scale control a guide belongs to the --style-coarse picture, whose shape the
// style made from it keeps.
func loadControl(p *plan, j *job) error {
	pics := &p.pictures
	load := func(flag, path string) (image.Image, error) {
		img, err := images.Load(path, pics.pixelLimit())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return img, nil
	}
	var err error
	if pics.coarse != "" {
		if j.coarse, err = load("--style-coarse", pics.coarse); err != nil {
			return err
		}
		if j.fine, err = load("--style-fine", pics.fine); err != nil {
			return err
		}
	}
	for _, m := range pics.masks {
		img, err := m.load(pics.pixelLimit())
		if err != nil {
			return fmt.Errorf("--style-mask: %w", err)
		}
		j.masks = append(j.masks, img)
	}
	for _, m := range pics.guides {
		img, err := m.load(pics.pixelLimit())
		if err != nil {
			return fmt.Errorf("--style-guide: %w", err)
		}
		j.guides = append(j.guides, img)
	}
	if len(j.masks) == 0 && len(j.guides) == 0 {
		return nil
	}
	styles := j.styles
	if j.coarse != nil {
		styles = []image.Image{j.coarse}
	}
	b := j.content.Bounds()
	return nst.CheckMasks(maskedStyles(styles, j.masks, j.guides), b.Dx(), b.Dy())
}

// load reads the mask: the file, or with a colour its pixels of that colour (nst.LabelMask).
func (m maskSpec) load(limit images.LoadOption) (image.Image, error) {
	img, err := images.Load(m.path, limit)
	if err != nil || m.label == nil {
		return img, err
	}
	return nst.LabelMask(img, m.label), nil
}

// maskedStyles are the style pictures with their masks and guides (any of which may be nil), as
// nst takes them, with no weight.
func maskedStyles(styles, masks, guides []image.Image) []nst.Style {
	out := make([]nst.Style, len(styles))
	for i, img := range styles {
		out[i].Image = img
		if masks != nil {
			out[i].Mask = masks[i]
		}
		if guides != nil {
			out[i].Guide = guides[i]
		}
	}
	return out
}

// loadInit reads --init's picture, if it is a file.
func loadInit(p *plan) (image.Image, error) {
	if p.pictures.initFile == "" {
		return nil, nil
	}
	img, err := images.Load(p.pictures.initFile, p.pictures.pixelLimit())
	if err != nil {
		return nil, fmt.Errorf("--init: %w", err)
	}
	return img, nil
}

// loadResume reads --resume's checkpoint, if any.
func loadResume(p *plan) (*nst.Checkpoint, error) {
	if p.outputs.resume == "" {
		return nil, nil
	}
	c, err := nst.LoadCheckpoint(p.outputs.resume)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	return c, nil
}
