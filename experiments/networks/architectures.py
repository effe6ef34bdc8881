"""CPU-sized versions of the thesis's network families (§2.5.2), built by name.

Every model is a plain :class:`torch.nn.Module` mapping ``(B, *in_shape)`` float32 inputs to
``(B, C)`` logits, with PyTorch's default initialisation, no dropout, a batch-norm layer after
every hidden fully connected / convolutional layer (layer norm in the ViT), and nothing that
draws random numbers in ``forward`` (so many copies can be trained together under
``torch.func.vmap``). Inputs may be images ``(channels, H, W)`` (8×8×1 digits, 32×32×3 CIFAR-10,
28×28×1 MNIST) or vectors ``(d,)`` (fully connected families only).

=============  =====================================================  ========================
name           family (thesis size → default here)                     ``width`` means
=============  =====================================================  ========================
``fc``         ReLU MLP, 4 hidden layers [1024,512,256,128] → [w,w/2,   first hidden width (128)
               w/4,w/8]
``fc1``/``fc2`` 1 or 2 hidden layers of equal width (§2.5.5: 512)      hidden width (512)
``allcnn``     All-CNN: 5 convolutions (96,96,96,144,144) + average      first channels (16)
               pooling → (w,w,w,1.5w,1.5w)
``wrn``        wide ResNet, 3 stages of basic pre-activation blocks,  base channels (8)
               channels (w, 2w, 4w)·widen(4); ``wrn-small`` w=4,
               ``wrn-large`` w=16
``convmixer``  ConvMixer: patch embedding, depth-wise + point-wise   hidden dimension (32)
               mixing blocks, GELU
``vit``        ViT: patches, class token, pre-norm transformer blocks  embedding dimension (32)
               (layer norm), 4 heads
=============  =====================================================  ========================

Seeded construction: :func:`build_model` draws the default initialisation from
``torch.manual_seed(seed)`` inside a forked RNG (under a lock, so threads building models at the
same time do not interleave their draws), so ``build_model(..., seed=s)`` is reproducible and
leaves the global RNG untouched.
"""
from __future__ import annotations

import math
import threading
from typing import Callable

import torch
from torch import nn

from hyperribbon.theory import InvalidArgument

__all__ = ["build_model", "ARCHITECTURES", "init_batchnorm", "corner_init", "count_parameters",
           "FC", "AllCNN", "WideResNet", "ConvMixer", "ViT"]


_INIT_LOCK = threading.Lock()     # default init draws from torch's global RNG, shared by threads


class FC(nn.Module):
    """Fully connected ReLU network: (Linear → BatchNorm → ReLU) × len(hidden) → Linear."""

    def __init__(self, in_features: int, classes: int, hidden: tuple):
        super().__init__()
        layers, d = [], in_features
        for h in hidden:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU()]
            d = h
        self.features = nn.Sequential(nn.Flatten(), *layers)
        self.classifier = nn.Linear(d, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


class AllCNN(nn.Module):
    """All-CNN (Springenberg et al. 2015), CPU size: five 3×3 convolutions (stride 2 at the 2nd
    and 4th) with batch norm and ReLU, global average pooling, a linear classifier."""

    def __init__(self, in_channels: int, classes: int, width: int):
        super().__init__()
        w1, w2 = width, int(round(1.5 * width))
        spec = [(in_channels, w1, 1), (w1, w1, 2), (w1, w1, 1), (w1, w2, 2), (w2, w2, 1)]
        layers = []
        for cin, cout, stride in spec:
            layers += [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout),
                       nn.ReLU()]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(w2, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


class _Block(nn.Module):
    """Pre-activation wide-ResNet basic block (BN-ReLU-conv-BN-ReLU-conv + shortcut)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = (nn.Conv2d(cin, cout, 1, stride) if (cin != cout or stride != 1)
                         else nn.Identity())

    def forward(self, x):
        out = self.conv1(torch.relu(self.bn1(x)))
        out = self.conv2(torch.relu(self.bn2(out)))
        return out + self.shortcut(x)


class WideResNet(nn.Module):
    """Wide ResNet (Zagoruyko & Komodakis 2016), CPU size: a 3×3 stem with ``width`` channels,
    three stages of ``blocks`` basic blocks with ``(width, 2·width, 4·width)·widen`` channels
    (strides 1, 2, 2), BN-ReLU, global average pooling, a linear classifier."""

    def __init__(self, in_channels: int, classes: int, width: int, widen: int = 4,
                 blocks: int = 1):
        super().__init__()
        chans = [width * widen, 2 * width * widen, 4 * width * widen]
        layers = [nn.Conv2d(in_channels, width, 3, 1, 1)]
        cin = width
        for i, c in enumerate(chans):
            for b in range(blocks):
                layers.append(_Block(cin, c, 2 if (i > 0 and b == 0) else 1))
                cin = c
        layers += [nn.BatchNorm2d(cin), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


class _Residual(nn.Module):
    def __init__(self, fn: nn.Module):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x) + x


class ConvMixer(nn.Module):
    """ConvMixer (Trockman & Kolter 2022): patch embedding (conv, stride = patch), then
    ``depth`` × [residual(depth-wise k×k conv, GELU, BN), point-wise conv, GELU, BN]."""

    def __init__(self, in_channels: int, classes: int, dim: int, depth: int = 4,
                 kernel: int = 3, patch: int = 2):
        super().__init__()
        layers = [nn.Conv2d(in_channels, dim, patch, stride=patch), nn.GELU(), nn.BatchNorm2d(dim)]
        for _ in range(depth):
            layers += [_Residual(nn.Sequential(
                           nn.Conv2d(dim, dim, kernel, groups=dim, padding=kernel // 2),
                           nn.GELU(), nn.BatchNorm2d(dim))),
                       nn.Conv2d(dim, dim, 1), nn.GELU(), nn.BatchNorm2d(dim)]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(dim, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        return self.out((att @ v).transpose(1, 2).reshape(b, t, d))


class _TransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """Vision transformer (Dosovitskiy et al. 2021), CPU size: disjoint ``patch``×``patch``
    patches, a linear embedding, a class token and learned position embeddings
    (``torch.randn``, as in lucidrains/vit-pytorch), ``depth`` pre-norm blocks, layer norm."""

    def __init__(self, in_shape: tuple, classes: int, dim: int, depth: int = 2, heads: int = 4,
                 patch: int = 2):
        super().__init__()
        c, h, w = in_shape
        self.patch = patch
        tokens = (h // patch) * (w // patch)
        self.embed = nn.Linear(c * patch * patch, dim)
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, tokens + 1, dim))
        self.blocks = nn.Sequential(*[_TransformerBlock(dim, heads, 2 * dim)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, x):
        b, c, h, w = x.shape
        p = self.patch
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        x = self.embed(x.reshape(b, (h // p) * (w // p), c * p * p))
        x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1) + self.pos
        return self.classifier(self.norm(self.blocks(x))[:, 0])


def _image(in_shape, arch):
    if len(in_shape) != 3:
        raise InvalidArgument("in_shape", "build_model",
                              f"be (channels, H, W) for the convolutional/attention family "
                              f"{arch!r}", in_shape)
    return in_shape


def _fc(in_shape, classes, width, depth=4):
    width = width or 128
    hidden = tuple(max(width // 2 ** k, 1) for k in range(depth))
    return FC(math.prod(in_shape), classes, hidden)


def _patch(in_shape):
    return 2 if in_shape[1] <= 16 else 4


ARCHITECTURES: dict[str, Callable] = {
    "fc": _fc,
    "fc1": lambda s, c, w: FC(math.prod(s), c, (w or 512,)),
    "fc2": lambda s, c, w: FC(math.prod(s), c, (w or 512, w or 512)),
    "allcnn": lambda s, c, w: AllCNN(_image(s, "allcnn")[0], c, w or 16),
    "wrn": lambda s, c, w: WideResNet(_image(s, "wrn")[0], c, w or 8),
    "wrn-small": lambda s, c, w: WideResNet(_image(s, "wrn-small")[0], c, w or 4),
    "wrn-large": lambda s, c, w: WideResNet(_image(s, "wrn-large")[0], c, w or 16),
    "convmixer": lambda s, c, w: ConvMixer(_image(s, "convmixer")[0], c, w or 32,
                                           kernel=3 if s[1] <= 16 else 5, patch=_patch(s)),
    "vit": lambda s, c, w: ViT(_image(s, "vit"), c, w or 32, patch=_patch(s)),
}


def build_model(arch: str, in_shape, num_classes: int, width: int | None = None,
                seed: int = 0) -> nn.Module:
    """Build a freshly initialised network by name.

    Parameters
    ----------
    arch : str
        One of :data:`ARCHITECTURES` (``fc``, ``fc1``, ``fc2``, ``allcnn``, ``wrn``,
        ``wrn-small``, ``wrn-large``, ``convmixer``, ``vit``).
    in_shape : tuple of int
        Shape of one input: ``(channels, H, W)`` or ``(d,)`` (fully connected only).
    num_classes : int
        Output width C ≥ 2.
    width : int, optional
        The family's width parameter (see the module table); ``None`` gives its default.
    seed : int
        Seed of PyTorch's default initialisation (global RNG state is restored afterwards).

    Returns
    -------
    torch.nn.Module in training mode, float32.

    Examples
    --------
    >>> import torch
    >>> m = build_model("allcnn", (1, 8, 8), 10, seed=0)
    >>> m(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    >>> a, b = build_model("fc", (64,), 10, seed=1), build_model("fc", (64,), 10, seed=1)
    >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    True
    """
    owner = "build_model"
    if arch not in ARCHITECTURES:
        raise InvalidArgument("arch", owner, f"be one of {sorted(ARCHITECTURES)}", arch)
    in_shape = tuple(int(s) for s in in_shape) if hasattr(in_shape, "__iter__") else in_shape
    if not isinstance(in_shape, tuple) or len(in_shape) not in (1, 3) or min(in_shape) < 1:
        raise InvalidArgument("in_shape", owner, "be (d,) or (channels, H, W) of positive ints",
                              in_shape)
    if len(in_shape) == 3 and arch in ("vit", "convmixer") and (
            in_shape[1] % _patch(in_shape) or in_shape[2] % _patch(in_shape)):
        raise InvalidArgument("in_shape", owner,
                              f"have H, W divisible by the patch size {_patch(in_shape)}",
                              in_shape)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise InvalidArgument("num_classes", owner, "be an integer ≥ 2", num_classes)
    if width is not None and (not isinstance(width, int) or isinstance(width, bool)
                              or width < 1):
        raise InvalidArgument("width", owner, "be a positive integer or None", width)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument("seed", owner, "be a non-negative integer", seed)
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)                      # the global generator: one thread at a time
        model = ARCHITECTURES[arch](in_shape, num_classes, width)
    return model.float().train()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def init_batchnorm(model: nn.Module, x: torch.Tensor, batch_size: int = 256,
                   batches: int = 4) -> nn.Module:
    """Initialise batch-norm running statistics by forward passes before training (§2.5.2).

    PyTorch starts every running mean at 0 and variance at 1, so an untrained network evaluated
    in eval mode can be far from ignorance :math:`P_0` (thesis Fig. 2.12). This resets the running
    statistics and sets them to the cumulative average over the first ``batches`` mini-batches
    of ``x`` (in order), leaving the weights and the momentum untouched.

    Examples
    --------
    >>> import torch
    >>> m = build_model("fc", (8,), 3, width=8, seed=0)
    >>> x = 5 + 3 * torch.randn(64, 8, generator=torch.Generator().manual_seed(0))
    >>> _ = init_batchnorm(m, x, batch_size=64, batches=1)
    >>> h = m.features[1](x)                      # first Linear layer's output
    >>> bool(torch.allclose(m.features[2].running_mean, h.mean(0), atol=1e-5))
    True
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return model
    was_training = model.training
    moms = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None                       # cumulative moving average
    model.train()
    for i in range(batches):
        xb = x[i * batch_size:(i + 1) * batch_size]
        if xb.shape[0] < 2:
            break
        model(xb)
    for m, mom in zip(bns, moms):
        m.momentum = mom
    model.train(was_training)
    return model


@torch.no_grad()
def corner_init(model: nn.Module, corner: int) -> nn.Module:
    """Move a network to a "corner" of the probability simplex (§2.5.5, Fig. 2.27).

    Adds to every fully connected weight matrix a standard Gaussian matrix (variance 1, *not*
    scaled by the fan-in) drawn from ``corner``'s own generator, so that all networks sharing a
    corner start from nearly the same confident prediction (largest probability ≈ 1) while their
    PyTorch-default part (from ``build_model``'s seed) gives the different weight initialisations
    near that corner. (The thesis samples "10 corners and 50 weight initializations using the
    standard initialization for each corner"; this sum is our reading of that sentence.)

    Examples
    --------
    >>> import torch
    >>> m = corner_init(build_model("fc1", (20,), 5, width=64, seed=0), corner=3).eval()
    >>> p = torch.softmax(m(torch.randn(100, 20, generator=torch.Generator().manual_seed(1))).detach(), 1)
    >>> float(p.max(1).values.mean()) > 0.8
    True
    """
    if not isinstance(corner, int) or isinstance(corner, bool) or corner < 0:
        raise InvalidArgument("corner", "corner_init", "be a non-negative integer", corner)
    gen = torch.Generator().manual_seed(1_000_003 * (corner + 1))
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight.add_(torch.randn(m.weight.shape, generator=gen))
    return model
