#!/usr/bin/env python3
"""PyTorch reference for `estil bench`: the original notebook's style transfer, timed.

This follows the notebook "Neural Style Transfer amb VGG19" step by step:

  * the network is torchvision's ``vgg19().features``, truncated after conv5_1's ReLU
    (``features[:30]``), with its in-place ReLUs, frozen (``requires_grad_(False)``);
  * features are read with the notebook's ``get_features`` loop (layer '0' → conv1_1, '5' →
    conv2_1, '10' → conv3_1, '19' → conv4_1, '21' → conv4_2, '28' → conv5_1); since the ReLUs
    are in-place, what is stored as "conv4_2" is the output of relu4_2;
  * ``gram_matrix`` is ``torch.mm(F, F.t())`` with F = the layer's maps as d rows of h·w;
  * content_loss = mean((T − C)²) at conv4_2;
    style_loss = Σ_l w_l·mean((G_T − G_S)²)/(d·h·w), w = 1, .75, .2, .2, .2;
    total = α·content_loss + β·style_loss, α = 1, β = 1e6 (estil's nst.DefaultLoss);
  * ``target = content.clone().requires_grad_(True)`` and ``torch.optim.LBFGS([target], lr=1,
    history_size=100, line_search_fn="strong_wolfe", max_iter=N, max_eval=N*5//4)``: the settings
    of estil's nst/optimize.go.

The run stops after exactly N evaluations of the loss (the closure raises on the (N+1)-th call),
which estil does too, so both do the same work. Two sub-commands:

  save-weights --out W.pth [--seed S]
      torch.manual_seed(S); torchvision's vgg19() (its own random initialization: Kaiming-normal
      convolutions, zero biases); writes the ``features.*`` tensors of the full network as a state
      dict that estil reads with ``--weights W.pth``. RANDOM weights: for timing and agreement
      checks only, not for art.
  run --weights W.pth --content C.png --style S.png --evals N [--device cpu|cuda] [--threads T]
  run ... [--eval-image R.png] [--float64]
      prints one JSON object: the loss of every evaluation, seconds, peak memory, and with
      --eval-image the loss of that picture (estil passes a probe, half content and half style),
      to check that both compute the same function away from the start; --float64 runs the same
      in float64, the control that shows how far float rounding alone moves L-BFGS's trajectory.

Why `estil bench` compares losses at the same points and not after N evaluations: the first
L-BFGS iteration starts with a tiny step (lr/‖g‖₁) on a nearly linear loss, and the strong-Wolfe
line search extrapolates with cubic fits through nearly equal losses, which amplifies float
rounding. This script itself, run in float64 instead of float32 (``vgg.double()`` and a double
input), gives losses 0.4 % apart at the third evaluation and 29 % apart at the fifth (32 px).

Images are read as estil reads them: 8-bit RGB times float32(1/255), then normalized with the
ImageNet mean and standard deviation. estil writes them as binary PPM (P6, read here with torch
alone); PNG and JPEG files are read with PIL when given. No resizing happens here: estil writes
the pictures at the size to be measured. Only torch is required: without torchvision, the same
network is built here with torchvision's initialization scheme (Kaiming-normal, fan_out, zero
biases).
"""
import argparse
import collections
import ctypes
import json
import os
import re
import resource
import statistics
import sys
import time

import torch
from torch import nn

try:
    import torchvision
except ImportError:  # e.g. a CUDA environment with torch alone
    torchvision = None

LAYERS = {"0": "conv1_1", "5": "conv2_1", "10": "conv3_1", "19": "conv4_1", "21": "conv4_2", "28": "conv5_1"}
STYLE_WEIGHTS = {"conv1_1": 1.0, "conv2_1": 0.75, "conv3_1": 0.2, "conv4_1": 0.2, "conv5_1": 0.2}
CONTENT_WEIGHT, STYLE_WEIGHT = 1.0, 1e6
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# torchvision's vgg19 ("E") configuration: 3×3 convolutions and "M" for 2×2 max pooling.
VGG19_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def vgg19_features():
    if torchvision is not None:
        try:  # torchvision >= 0.13
            return torchvision.models.vgg19(weights=None).features
        except TypeError:  # older torchvision
            return torchvision.models.vgg19(pretrained=False).features
    layers, cin = [], 3
    for v in VGG19_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            conv = nn.Conv2d(cin, v, kernel_size=3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(conv.bias, 0)
            layers += [conv, nn.ReLU(inplace=True)]
            cin = v
    return nn.Sequential(*layers)


def save_weights(args):
    torch.manual_seed(args.seed)
    features = vgg19_features()
    state = collections.OrderedDict(("features." + k, v.detach().clone()) for k, v in features.state_dict().items())
    torch.save(state, args.out)
    print(json.dumps({"out": args.out, "seed": args.seed, "tensors": len(state), "torch": torch.__version__}))


def read_ppm(path):
    """Reads a binary PPM (P6, maxval 255) as a uint8 tensor [H, W, 3]."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P6" or maxval != 255:
        raise ValueError(f"{path}: not a binary 8-bit PPM")
    pixels = data[pos + 1:pos + 1 + w * h * 3]
    if len(pixels) != w * h * 3:
        raise ValueError(f"{path}: truncated")
    return torch.frombuffer(bytearray(pixels), dtype=torch.uint8).view(h, w, 3)


def load_image(path, device, dtype=torch.float32):
    if path.endswith(".ppm"):
        rgb8 = read_ppm(path)
    else:
        from PIL import Image
        import numpy as np
        rgb8 = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy())
    # float32(v) · float32(1/255), as estil's images.ToHWC computes it.
    x = (rgb8.to(torch.float32) * torch.tensor(1.0 / 255, dtype=torch.float32)).permute(2, 0, 1)  # [3, H, W]
    mean = torch.tensor(MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(3, 1, 1)
    # The same float32 pixels in both precisions: a float64 run differs only in its arithmetic.
    return ((x - mean) / std).unsqueeze(0).contiguous().to(device=device, dtype=dtype)


def get_features(image, model):
    features = {}
    x = image
    for name, layer in model._modules.items():
        x = layer(x)
        if name in LAYERS:
            features[LAYERS[name]] = x
    return features


def gram_matrix(tensor):
    _, d, h, w = tensor.size()
    tensor = tensor.view(d, h * w)
    return torch.mm(tensor, tensor.t())


def peak_rss_bytes():
    """This process's peak resident set size. VmHWM, not getrusage's ru_maxrss: a process started
    by Go's os/exec (vfork-style, sharing the parent's memory until exec) inherits the parent's
    peak in ru_maxrss, while VmHWM belongs to this program's own address space."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def symbol_library(library, symbol):
    """The file that provides `symbol` to `library`, as the dynamic linker finds it (dlsym on the
    library's handle searches it and its dependencies in load order), or None."""
    try:
        fn = getattr(ctypes.CDLL(library), symbol)
        libc = ctypes.CDLL(None)
        libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
        info = DlInfo()
        if libc.dladdr(ctypes.cast(fn, ctypes.c_void_p), ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode())
    except (OSError, AttributeError):
        pass
    return None


def conv_backend(size, dtype):
    """The backend PyTorch picks for a VGG19 convolution (64 → 64 channels, 3×3) at this size and
    dtype: with oneDNN built in (Debian's torch: USE_MKLDNN=ON) float32 convolutions go to its
    kernels, not through im2col and the BLAS; float64 ones (the control) to im2col + BLAS."""
    try:
        x = torch.zeros(1, 64, size, size, dtype=dtype)
        w = torch.zeros(64, 64, 3, 3, dtype=dtype)
        return str(torch._C._select_conv_backend(x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)).split(".")[-1]
    except (AttributeError, RuntimeError, TypeError):
        return "unknown"


def blas_report():
    """Which BLAS this process runs its matrix products with, as far as it can tell.

    On a CPU, PyTorch's batch-1 3×3 convolutions go through im2col and the BLAS's sgemm, so the
    BLAS sets PyTorch's speed: Debian's python3-torch calls the system's libblas.so.3, which is
    the reference BLAS (plain loops) unless OpenBLAS is installed. Reported: the library whose
    sgemm_ libtorch_cpu calls, what it is (OpenBLAS with its build config, the core it chose and
    its threads; MKL; the reference BLAS), torch's own BLAS_INFO, every BLAS-like library mapped
    (after a matrix product, so a lazily loaded one counts) and the variables that were set."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    mapped = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and fields[5].startswith("/"):
                    mapped.append(fields[5])
    except OSError:
        pass
    libraries = list(dict.fromkeys(os.path.realpath(p) for p in mapped
                                   if re.search(r"blas|mkl|lapack|accelerate", os.path.basename(p).lower())))
    out = {"libraries": libraries, "kind": "unknown"}
    config = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", config)
    out["torch_blas_info"] = m.group(1) if m else ""
    out["torch_threads"] = torch.get_num_threads()
    m = re.search(r"(?:Intel\(R\) MKL-DNN|oneDNN) v[0-9.]+", config)
    out["onednn"] = m.group(0) if m and torch.backends.mkldnn.is_available() else ""
    out["env"] = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH")
                  if k in os.environ}
    torch_cpu = next((p for p in mapped if os.path.basename(p).startswith("libtorch_cpu.")), None)
    sgemm = symbol_library(torch_cpu, "sgemm_") if torch_cpu else None
    if sgemm is None:
        if "mkl" in out["torch_blas_info"].lower():
            out["kind"] = "MKL"
        return out
    out["library"] = sgemm
    lib = ctypes.CDLL(sgemm)
    if hasattr(lib, "openblas_get_config"):
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        out["kind"] = "OpenBLAS"
        out["config"] = lib.openblas_get_config().decode().strip()
        out["core"] = lib.openblas_get_corename().decode()
        out["blas_threads"] = lib.openblas_get_num_threads()
    elif "mkl" in os.path.basename(sgemm).lower() or hasattr(lib, "mkl_get_max_threads"):
        out["kind"] = "MKL"
    elif os.path.basename(os.path.dirname(sgemm)) == "blas" and os.path.basename(sgemm).startswith("libblas.so"):
        # Debian's reference BLAS (netlib's Fortran loops) lives in …/blas/libblas.so.3.
        out["kind"] = "reference"
    elif sgemm == os.path.realpath(torch_cpu):
        out["kind"] = "built into libtorch_cpu (" + (out["torch_blas_info"] or "unknown") + ")"
    return out


class Done(Exception):
    pass


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(args):
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    features = vgg19_features()
    state = torch.load(args.weights, map_location="cpu")
    features.load_state_dict(collections.OrderedDict((k[len("features."):], v) for k, v in state.items()))
    dtype = torch.float64 if args.float64 else torch.float32
    vgg = features[:30].to(device=device, dtype=dtype).eval()  # up to relu5_1
    for p in vgg.parameters():
        p.requires_grad_(False)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    content = load_image(args.content, device, dtype)
    style = load_image(args.style, device, dtype)
    sync(device)
    start = time.perf_counter()
    content_features = get_features(content, vgg)
    style_features = get_features(style, vgg)
    style_grams = {layer: gram_matrix(style_features[layer]) for layer in STYLE_WEIGHTS}
    target = content.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([target], lr=1, history_size=100, line_search_fn="strong_wolfe",
                                  max_iter=args.evals, max_eval=args.evals * 5 // 4)
    losses, stamps = [], []

    def loss_of(target):
        target_features = get_features(target, vgg)
        content_loss = torch.mean((target_features["conv4_2"] - content_features["conv4_2"]) ** 2)
        style_loss = 0
        for layer in STYLE_WEIGHTS:
            target_feature = target_features[layer]
            target_gram = gram_matrix(target_feature)
            _, d, h, w = target_feature.shape
            style_gram = style_grams[layer]
            layer_style_loss = STYLE_WEIGHTS[layer] * torch.mean((target_gram - style_gram) ** 2)
            style_loss += layer_style_loss / (d * h * w)
        return CONTENT_WEIGHT * content_loss + STYLE_WEIGHT * style_loss

    def closure():
        if len(losses) == args.evals:
            raise Done()
        optimizer.zero_grad()
        total_loss = loss_of(target)
        total_loss.backward()
        losses.append(total_loss.item())  # .item() synchronizes a GPU
        stamps.append(time.perf_counter())
        return total_loss

    try:
        optimizer.step(closure)
    except Done:
        pass
    sync(device)
    n = len(losses)
    intervals = [b - a for a, b in zip(stamps, stamps[1:])]
    out = {
        "implementation": "pytorch",
        "torch": torch.__version__,
        "device": str(device),
        "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "height": content.shape[2],
        "width": content.shape[3],
        "evaluations": n,
        "losses": losses,
        "first_seconds": stamps[0] - start,
        # Steady state, as estil bench reports it: the median interval between evaluations (and
        # the mean), from the end of the first evaluation to the end of the last.
        "seconds_per_evaluation": statistics.median(intervals) if intervals else stamps[0] - start,
        "mean_seconds_per_evaluation": statistics.mean(intervals) if intervals else stamps[0] - start,
        "peak_rss_bytes": peak_rss_bytes(),
        "blas": dict(blas_report(), conv_backend=conv_backend(content.shape[2], dtype)),
    }
    if args.eval_image:
        # The loss of another image (estil's result) with this implementation: the same function
        # at the same point must give the same number, up to float rounding.
        with torch.no_grad():
            out["loss_at_image"] = loss_of(load_image(args.eval_image, device, dtype)).item()
    if device.type == "cuda":
        out["peak_device_bytes"] = torch.cuda.max_memory_allocated()
        out["gpu"] = torch.cuda.get_device_name()
        out["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32
        out["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save-weights")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run")
    r.add_argument("--weights", required=True)
    r.add_argument("--content", required=True)
    r.add_argument("--style", required=True)
    r.add_argument("--evals", type=int, default=10)
    r.add_argument("--device", default="cpu")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--float64", action="store_true",
                   help="compute in float64 (the control run: how far float rounding alone moves the trajectory)")
    r.add_argument("--eval-image", help="also print the loss of this image (loss_at_image; estil passes its probe picture)")
    args = p.parse_args()
    if args.cmd == "run" and args.evals < 1:
        p.error("--evals must be ≥ 1")
    if args.cmd == "run" and args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("pytorch_reference.py: --device cuda but torch.cuda.is_available() is False")
    {"save-weights": save_weights, "run": run}[args.cmd](args)


if __name__ == "__main__":
    main()
