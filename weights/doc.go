// Package weights gets and reads the pretrained VGG19 weights that neural style transfer uses.
//
// # The two checkpoints
//
// Style transfer needs only VGG19's convolutional part (torchvision's `vgg19().features`: 16
// 3×3 convolutions with ReLUs and 5 max-pools); the classifier, three quarters of the file, is
// never used. Two trainings of that network are commonly used, and they see images differently:
//
//   - "vgg19" ([VGG19]) is torchvision's own, the one `torchvision.models.vgg19(pretrained=True)`
//     downloads. It takes RGB in [0, 1] normalized with the ImageNet mean (0.485, 0.456, 0.406)
//     and standard deviation (0.229, 0.224, 0.225).
//   - "vgg19-caffe" ([VGG19Caffe]) is the original VGG19 of Simonyan & Zisserman, trained with
//     Caffe, converted to PyTorch by Justin Johnson and used by neural-style and neural-style-pt.
//     It takes BGR in [0, 255] minus the per-channel means (103.939, 116.779, 123.68). Gatys et
//     al. used these weights, and many find its textures crisper.
//
// A [Model] records where each file lives, its SHA-256 and how input must be prepared
// ([Model.Input], [Model.BGR]).
//
// # Files, cache and conversion
//
// Both are PyTorch checkpoints (.pth, ~550 MB): Python pickles of a state dict, in the zip
// format (torch ≥ 1.6) or the older "legacy" one (the torchvision file, from 2017, is legacy;
// both are read). They are downloaded once, as torch.hub does, into the cache directory
// ([CacheDir]: $ESTIL_CACHE_DIR, or estil/ under [os.UserCacheDir]), checked against their full
// SHA-256 ([Model.SHA256]; where none is pinned, the prefix in their name), and renamed into place
// only when complete, so an interrupted download leaves nothing a later run would trust.
//
// Reading a pickle is slow-ish and, in general, unsafe (below), so the first run converts the
// `features.*` tensors to a compact safetensors file next to the .pth (e.g.
// vgg19-dcbb9e9d.features.safetensors, ~80 MB, with a SHA-256 of its content in its metadata).
// Safetensors is a JSON header followed by raw little-endian arrays: nothing to execute,
// trivially validated, and fast to read, one tensor at a time ([OpenSafetensors]). Later runs
// read only that. [Load] tries, in order: the compact file, the .pth (converting it), a download.
//
// # Security: pickles run code, ours does not
//
// A pickle is a little program: its GLOBAL opcode names any Python callable (`os.system`, say)
// and REDUCE calls it, which is why `torch.load` on an untrusted file is dangerous. Go cannot run
// Python, but a loader that accepts any class name still trusts the file's structure. This
// package unpickles with github.com/nlpodyssey/gopickle's low-level unpickler and its own
// FindClass, which resolves only what a state dict needs — torch's tensor rebuild functions
// (`torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`, `_rebuild_parameter`), typed storage
// classes (`torch.FloatStorage`, `torch.HalfStorage`, …) and `collections.OrderedDict` (also in
// the form Python 2 pickles it) — to inert Go values; gopickle itself resolves only the inert
// `copy_reg._reconstructor` and `__builtin__.object` besides. Any other name is an
// [UnsafeClassError] naming it, and nothing is called. Before gopickle runs, each pickle's
// opcodes are scanned so that no length or line in it exceeds the data actually there, and no
// integer is wider than 64 bits (gopickle converts wider ones in quadratic time).
//
// The small glue of gopickle's `pytorch.Load` (persistent storage ids, the zip and legacy
// layouts) is reimplemented here: for the allow-list, and also to read only the tensors wanted
// (80 of the 550 MB), to support the pre-2018 `_rebuild_tensor` and storage views, to bound every
// size by the file's real size (a storage is read only as far as its tensors reach), and to turn
// a damaged file into a one-line error (matching [ErrCorrupt]) rather than a panic or a huge
// allocation. Only regular files are read.
//
// # Offline
//
// [Random] builds a deterministic VGG19 with He-normal weights: useless for art, useful for
// tests, benchmarks and running without network ([Load] with spec "random").
//
// Tensors are float32, in PyTorch's layouts: a conv kernel is [out, in, 3, 3], a bias [out].
package weights
