# Run: apt-get install python3-torch python3-torchvision; /usr/bin/python3 scripts/make_fixtures.py
"""Writes the small, committed test fixtures that let Go tests check against PyTorch
without needing PyTorch in CI.

Into weights/testdata/:

  tiny_vgg19.pth          a tiny VGG19-shaped state dict (zip format, torch >= 1.6)
  tiny_vgg19_legacy.pth   the same state dict in the legacy format (_use_new_zipfile_serialization=False)
  tiny_vgg19_features.safetensors
                          "input": a seeded 1x3x32x32 image, values in [0, 1], fed to the network
                                   AS IS (no ImageNet normalization);
                          "out.<j>": the output of features[j] for each ReLU j that follows one of
                                   the 16 convolutions (j = conv index + 1), i.e. the post-ReLU
                                   activation of conv <j-1>, shape 1xCxhxw.
  tiny_vgg19_expected.json
                          for every tensor of the state dict: shape, the SHA-256 of its values as
                          contiguous little-endian float32, and a few values; and the same for
                          tiny_dtypes*.pth (values listed in full).
  tiny_dtypes.pth, tiny_dtypes_legacy.pth
                          float16, bfloat16, float64 and 0-d tensors, to test dtype conversion.
  malicious.pth           a zip checkpoint whose pickle calls posix.system (never load it with
                          torch.load; the Go reader must refuse it).

The tiny network has torchvision vgg19().features' exact module structure (same indices: convs
3x3 padding 1, in-place ReLU, MaxPool 2x2 at 4, 9, 18, 27, 36) but 4 or 8 channels per conv. Its
weights are He-normal with small random biases (seeded), so activations neither vanish nor blow
up across 16 layers. Some tensors of the saved state dict are deliberately non-contiguous views
(permuted strides, a storage offset, a strided slice, two tensors sharing one storage) holding
the same values, so that readers must honour size/stride/offset.

If scripts/fixtures_lbfgs.py exists, its main(outdir) is called with outdir = optim/testdata.
"""

import hashlib
import json
import os
import struct
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "weights", "testdata")

# torchvision vgg19 "E" configuration with tiny channel counts.
CHANNELS = [4, 4, "M", 8, 8, "M", 8, 8, 8, 8, "M", 8, 8, 8, 8, "M", 8, 8, 8, 8, "M"]
SIZE = 32  # input height and width


def tiny_features():
    layers, c_in = [], 3
    for v in CHANNELS:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c_in, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c_in = v
    return nn.Sequential(*layers)


def write_safetensors(path, tensors, metadata):
    """A minimal safetensors writer (float32 only), so no extra package is needed."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().to(torch.float32)
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def describe(t, full=False):
    c = t.detach().contiguous().to(torch.float32)
    d = {
        "shape": list(c.shape),
        "sha256": hashlib.sha256(c.numpy().astype("<f4").tobytes()).hexdigest(),
        "first": [float(v) for v in c.flatten()[:4]],
        "sum": float(c.double().sum()),
    }
    if full:
        d["values"] = [float(v) for v in c.flatten()]
    return d


def non_contiguous(sd):
    """Replaces a few entries by views with the same values but unusual strides/offsets."""
    sd = dict(sd)
    # Permuted strides: [out, in, 3, 3] seen through a [3, 3, in, out] storage.
    w = sd["features.2.weight"]
    sd["features.2.weight"] = w.permute(2, 3, 1, 0).contiguous().permute(3, 2, 0, 1)
    assert not sd["features.2.weight"].is_contiguous()
    # Storage offset: a slice in the middle of a bigger storage.
    b = sd["features.2.bias"]
    big = torch.full((b.numel() + 7,), 99.0)
    big[5 : 5 + b.numel()] = b
    sd["features.2.bias"] = big[5 : 5 + b.numel()]
    # Strided slice: every other input channel of a wider tensor.
    w = sd["features.5.weight"]
    wide = torch.full((w.shape[0], 2 * w.shape[1], 3, 3), -99.0)
    wide[:, ::2] = w
    sd["features.5.weight"] = wide[:, ::2]
    assert not sd["features.5.weight"].is_contiguous()
    # Two tensors sharing one storage.
    w, b = sd["features.7.weight"], sd["features.7.bias"]
    flat = torch.cat([w.flatten(), b])
    sd["features.7.weight"] = flat[: w.numel()].view(w.shape)
    sd["features.7.bias"] = flat[w.numel() :]
    return sd


class Evil:
    def __reduce__(self):
        return (os.system, ("echo estil fixture: this pickle runs code",))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261129)
    features = tiny_features()
    for m in features:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.normal_(m.bias, std=0.1)
    features.eval()

    sd = {"features." + k: v.detach().clone() for k, v in features.state_dict().items()}
    saved = non_contiguous(sd)
    for k in sd:
        assert torch.equal(sd[k], saved[k]), k
    torch.save(saved, os.path.join(OUT, "tiny_vgg19.pth"))
    torch.save(saved, os.path.join(OUT, "tiny_vgg19_legacy.pth"), _use_new_zipfile_serialization=False)

    x = torch.rand(1, 3, SIZE, SIZE)
    outs = {"input": x.clone()}
    with torch.no_grad():
        h = x
        for j, m in enumerate(features):
            h = m(h)
            if isinstance(m, nn.ReLU):
                outs["out.%d" % j] = h.clone()  # in-place ReLU: this is also what the conv's output becomes
    assert len(outs) == 17
    write_safetensors(
        os.path.join(OUT, "tiny_vgg19_features.safetensors"),
        outs,
        {
            "input": "seeded torch.rand 1x3x%dx%d in [0,1], NOT normalized" % (SIZE, SIZE),
            "out.j": "output of features[j] (the ReLU after conv j-1), NCHW",
            "torch": torch.__version__,
        },
    )

    dtypes = {
        "f16": torch.randn(2, 3).half(),
        "bf16": torch.randn(5).bfloat16(),
        "f64": torch.randn(3, 2, dtype=torch.float64),
        "scalar": torch.tensor(1.5),
        "f16_t": torch.randn(3, 2).half().t(),  # non-contiguous half
    }
    torch.save(dtypes, os.path.join(OUT, "tiny_dtypes.pth"))
    torch.save(dtypes, os.path.join(OUT, "tiny_dtypes_legacy.pth"), _use_new_zipfile_serialization=False)

    expected = {
        "channels": [v for v in CHANNELS if v != "M"],
        "tensors": {k: describe(v) for k, v in sd.items()},
        "dtypes": {k: describe(v, full=True) for k, v in dtypes.items()},
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "tiny_vgg19_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")

    torch.save({"features.0.weight": Evil()}, os.path.join(OUT, "malicious.pth"))

    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("wrote %s (%d bytes in all)" % (OUT, total))

    lbfgs = os.path.join(HERE, "fixtures_lbfgs.py")
    if os.path.exists(lbfgs):
        sys.path.insert(0, HERE)
        import fixtures_lbfgs

        outdir = os.path.join(ROOT, "optim", "testdata")
        os.makedirs(outdir, exist_ok=True)
        fixtures_lbfgs.main(outdir)


if __name__ == "__main__":
    main()
