#!/usr/bin/python3
"""PyTorch reference for MiDistill's parity tests: small-width instances of every architecture.

For each architecture this builds a reduced-width (and for the ViT reduced-depth) instance with a
fixed seed, randomises the BatchNorm statistics so eval-mode BN is not the identity, and writes to
tests/MiDistill.Runtime.Tests/Fixtures/:
  <name>.safetensors      the state dict (safetensors written by hand: 8-byte LE header length,
                          JSON header, raw little-endian bytes)
  <name>.pth              the same state dict via torch.save (zip format), for some of them
  <name>.io.safetensors   the fixed input batch `input`, and `logits` / `features` (penultimate:
                          ViT CLS token after the final norm; CNNs the globally pooled map)
The C# tests load the weights by name and must match these outputs within 1e-4 (float32).

Regenerate (Debian 12; CI only needs the committed files):
  apt-get install -y python3-torch python3-torchvision libopenblas0-openmp
  /usr/bin/python3 tools/reference/make_fixtures.py

The ViT is written out here in plain PyTorch with timm's module names and math (timm is not in
Debian): pre-norm blocks, fused qkv, explicit softmax attention, exact GELU, LayerNorm eps 1e-6,
and the ReMem reweighting h+ = h' + alpha_l * MLP(LN2(h')) applied to the MLP branch. The CNNs are
torchvision's own classes (ResNet with BasicBlock, MobileNetV2), narrowed.

EfficientNetV2-B0 is likewise written out in plain PyTorch with timm's module names. It mirrors
timm/models/efficientnet.py `_gen_efficientnetv2_base` (arch_def 'cn_r1_k3_s1_e1_c16_skip',
'er_r2_k3_s2_e4_c32', 'er_r2_k3_s2_e4_c48', 'ir_r3_k3_s2_e4_c96_se0.25', 'ir_r5_k3_s1_e6_c112_se0.25',
'ir_r8_k3_s2_e6_c192_se0.25'; stem 32, head round_chs_fn(1280), SiLU, round_channels with
round_limit 0) and the blocks of timm/models/_efficientnet_blocks.py (ConvBnAct, EdgeResidual,
InvertedResidual, SqueezeExcite) as the EfficientNet class and EfficientNetBuilder assemble them:
non-tf defaults (symmetric padding, BatchNorm eps 1e-5, momentum 0.1), SE reduction from the block
input (se_from_exp False: rd = round(mid * 0.25 / exp)), drop rate and drop path 0. The fixture
keeps every block type but fewer repeats per stage (the C# model takes the same repeats).
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import ResNet, BasicBlock

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "MiDistill.Runtime.Tests", "Fixtures")
DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.float64: "F64"}


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # alignment, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


# ---- ViT (timm layout) ------------------------------------------------------------------------
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        x = attn.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)
        self.alpha = 1.0  # not a parameter: timm checkpoints do not carry it

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.alpha * self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(chans, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, image, patch, chans, dim, depth, heads, mlp_ratio, classes):
        super().__init__()
        n = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.patch_embed = PatchEmbed(patch, chans, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, int(dim * mlp_ratio)) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward_features(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.norm(x)[:, 0]

    def forward(self, x):
        return self.head(self.forward_features(x))


def resample_abs_pos_embed(posemb, new_grid, prefix=1):
    """timm's resample_abs_pos_embed defaults: bicubic, antialias, class token kept."""
    old = int(math.sqrt(posemb.shape[1] - prefix))
    head, grid = posemb[:, :prefix], posemb[:, prefix:]
    grid = grid.reshape(1, old, old, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_grid, new_grid), mode="bicubic", antialias=True, align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, new_grid * new_grid, -1)
    return torch.cat([head, grid], dim=1)


def randomise(model):
    """Non-trivial values everywhere: LayerNorm/BN affine and BN running statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)


def write(name, model, x, extra=None, pth=False):
    model.eval()
    sd = model.state_dict()
    save_safetensors(os.path.join(OUT, name + ".safetensors"), sd)
    if pth:
        torch.save(sd, os.path.join(OUT, name + ".pth"))
    with torch.no_grad():
        io = {"input": x, "logits": model(x), "features": model.forward_features(x)}
    io.update(extra or {})
    save_safetensors(os.path.join(OUT, name + ".io.safetensors"), io)
    print(f"{name}: {sum(p.numel() for p in sd.values())} values, logits {tuple(io['logits'].shape)}")


def vit():
    torch.manual_seed(1)
    model = VisionTransformer(image=32, patch=8, chans=3, dim=48, depth=3, heads=3, mlp_ratio=4, classes=10)
    randomise(model)
    model.eval()
    x = torch.randn(4, 3, 32, 32)
    extra = {}
    alphas = [1.0, 0.5, 0.25]
    for b, a in zip(model.blocks, alphas):
        b.alpha = a
    with torch.no_grad():
        extra["alphas"] = torch.tensor(alphas)
        extra["logits_reweighted"] = model(x)
        extra["features_reweighted"] = model.forward_features(x)
    for b in model.blocks:
        b.alpha = 1.0
    # The same checkpoint at 48x48 (grid 4 -> 6): the position embedding resampled as timm does.
    big = VisionTransformer(image=48, patch=8, chans=3, dim=48, depth=3, heads=3, mlp_ratio=4, classes=10)
    sd = dict(model.state_dict())
    sd["pos_embed"] = resample_abs_pos_embed(sd["pos_embed"], 6)
    big.load_state_dict(sd)
    big.eval()
    x48 = torch.randn(4, 3, 48, 48)
    with torch.no_grad():
        extra["input_48"] = x48
        extra["logits_48"] = big(x48)
        extra["pos_embed_48"] = sd["pos_embed"]
    write("vit_micro", model, x, extra, pth=True)


def resnet(stem):
    torch.manual_seed(2)
    w, chans = 8, (1 if stem == "small" else 3)
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    # torchvision hard-codes widths 64..512; rebuild the layers at width w with its own _make_layer.
    model.inplanes = w
    if stem == "small":
        model.conv1 = nn.Conv2d(chans, w, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    else:
        model.conv1 = nn.Conv2d(chans, w, 7, 2, 3, bias=False)
    model.bn1 = nn.BatchNorm2d(w)
    model.layer1 = model._make_layer(BasicBlock, w, 2)
    model.layer2 = model._make_layer(BasicBlock, 2 * w, 2, stride=2)
    model.layer3 = model._make_layer(BasicBlock, 4 * w, 2, stride=2)
    model.layer4 = model._make_layer(BasicBlock, 8 * w, 2, stride=2)
    model.fc = nn.Linear(8 * w, 10)
    model.forward_features = lambda x: torch.flatten(model.avgpool(model.layer4(model.layer3(model.layer2(model.layer1(
        model.maxpool(model.relu(model.bn1(model.conv1(x))))))))), 1)
    randomise(model)
    size = 28 if stem == "small" else 64
    x = torch.randn(4, chans, size, size)
    write(f"resnet18_w{w}_{stem}", model, x, pth=(stem == "small"))


def mobilenet(stem):
    torch.manual_seed(3)
    wm, chans = 0.25, (1 if stem == "small" else 3)
    model = torchvision.models.MobileNetV2(num_classes=10, width_mult=wm)
    first = model.features[0][0]
    model.features[0][0] = nn.Conv2d(chans, first.out_channels, 3, 1 if stem == "small" else 2, 1, bias=False)
    model.forward_features = lambda x: torch.flatten(F.adaptive_avg_pool2d(model.features(x), (1, 1)), 1)
    randomise(model)
    size = 28 if stem == "small" else 64
    x = torch.randn(4, chans, size, size)
    write(f"mobilenet_v2_w025_{stem}", model, x)


class SmallCnn(nn.Module):
    """MiDistill's own small CNN (no PyTorch original): conv-bn-relu x2 per stage, widths w, 2w, 3w."""

    def __init__(self, w, chans, classes):
        super().__init__()
        layers, c = [], chans
        for stage, width in enumerate([w, 2 * w, 3 * w]):
            if stage > 0:
                layers.append(nn.MaxPool2d(2, 2))
            for _ in range(2):
                layers += [nn.Conv2d(c, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                c = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c, classes)

    def forward_features(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)

    def forward(self, x):
        return self.head(self.forward_features(x))


def small_cnn():
    torch.manual_seed(4)
    model = SmallCnn(8, 1, 10)
    randomise(model)
    write("cnn_small_w8", model, torch.randn(4, 1, 28, 28))


# ---- EfficientNetV2-B0 (timm layout) ----------------------------------------------------------
def make_divisible(v, divisor=8, round_limit=0.9):
    """timm.layers.make_divisible (min_value = divisor)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class BnAct(nn.BatchNorm2d):
    """timm's BatchNormAct2d: a BatchNorm2d (same state-dict keys) followed by SiLU when act."""

    def __init__(self, chs, act=True):
        super().__init__(chs)  # eps 1e-5, momentum 0.1: timm's non-tf EfficientNets
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(super().forward(x))


class SqueezeExcite(nn.Module):
    def __init__(self, chs, rd):
        super().__init__()
        self.conv_reduce = nn.Conv2d(chs, rd, 1, bias=True)
        self.act1 = nn.SiLU()
        self.conv_expand = nn.Conv2d(rd, chs, 1, bias=True)

    def forward(self, x):
        s = self.conv_expand(self.act1(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * s.sigmoid()


class ConvBnAct(nn.Module):
    """'cn' block: conv, bn1 (+SiLU), skip only when asked and shapes allow."""

    def __init__(self, cin, cout, k, stride, skip):
        super().__init__()
        self.has_skip = skip and stride == 1 and cin == cout
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False)
        self.bn1 = BnAct(cout)

    def forward(self, x):
        y = self.bn1(self.conv(x))
        return y + x if self.has_skip else y


class EdgeResidual(nn.Module):
    """'er' block (FusedMBConv): conv_exp kxk (stride), bn1 (+SiLU), conv_pwl 1x1, bn2."""

    def __init__(self, cin, cout, k, stride, exp):
        super().__init__()
        mid = make_divisible(cin * exp)
        self.has_skip = cin == cout and stride == 1
        self.conv_exp = nn.Conv2d(cin, mid, k, stride, (k - 1) // 2, bias=False)
        self.bn1 = BnAct(mid)
        self.conv_pwl = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn2 = BnAct(cout, act=False)

    def forward(self, x):
        y = self.bn2(self.conv_pwl(self.bn1(self.conv_exp(x))))
        return y + x if self.has_skip else y


class InvertedResidual(nn.Module):
    """'ir' block (MBConv): conv_pw 1x1, bn1, conv_dw kxk depthwise (stride), bn2, se, conv_pwl, bn3."""

    def __init__(self, cin, cout, k, stride, exp, se_ratio):
        super().__init__()
        mid = make_divisible(cin * exp)
        self.has_skip = cin == cout and stride == 1
        self.conv_pw = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = BnAct(mid)
        self.conv_dw = nn.Conv2d(mid, mid, k, stride, (k - 1) // 2, groups=mid, bias=False)
        self.bn2 = BnAct(mid)
        self.se = SqueezeExcite(mid, round(mid * (se_ratio / exp)))
        self.conv_pwl = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = BnAct(cout, act=False)

    def forward(self, x):
        y = self.se(self.bn2(self.conv_dw(self.bn1(self.conv_pw(x)))))
        y = self.bn3(self.conv_pwl(y))
        return y + x if self.has_skip else y


# (block type, repeats, kernel, stride, expansion, channels, se ratio), the decoded arch_def.
EFFNETV2_B0 = [("cn", 1, 3, 1, 1, 16, 0), ("er", 2, 3, 2, 4, 32, 0), ("er", 2, 3, 2, 4, 48, 0),
               ("ir", 3, 3, 2, 4, 96, 0.25), ("ir", 5, 3, 1, 6, 112, 0.25), ("ir", 8, 3, 2, 6, 192, 0.25)]


class EfficientNetV2(nn.Module):
    def __init__(self, width, chans, classes, stem_stride=2, repeats=None):
        super().__init__()
        rc = lambda c: make_divisible(c * width, round_limit=0.0)  # round_channels(round_limit=0.)
        c = rc(32)
        self.conv_stem = nn.Conv2d(chans, c, 3, stem_stride, 1, bias=False)
        self.bn1 = BnAct(c)
        stages = []
        for i, (kind, r, k, s, e, out, se) in enumerate(EFFNETV2_B0):
            blocks = []
            for j in range(repeats[i] if repeats else r):
                stride = s if j == 0 else 1
                if kind == "cn":
                    blocks.append(ConvBnAct(c, rc(out), k, stride, skip=True))
                elif kind == "er":
                    blocks.append(EdgeResidual(c, rc(out), k, stride, e))
                else:
                    blocks.append(InvertedResidual(c, rc(out), k, stride, e, se))
                c = rc(out)
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = nn.Conv2d(c, rc(1280), 1, bias=False)
        self.bn2 = BnAct(rc(1280))
        self.classifier = nn.Linear(rc(1280), classes)

    def forward_features(self, x):
        x = self.bn2(self.conv_head(self.blocks(self.bn1(self.conv_stem(x)))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        return self.classifier(self.forward_features(x))


EFFNET_FIXTURE_REPEATS = [1, 2, 2, 2, 2, 1]


def efficientnetv2(stem):
    torch.manual_seed(5)
    chans = 1 if stem == "small" else 3
    model = EfficientNetV2(0.25, chans, 10, stem_stride=1 if stem == "small" else 2, repeats=EFFNET_FIXTURE_REPEATS)
    randomise(model)
    with torch.no_grad():  # SE biases non-zero, so the gate is not a plain function of the weights
        for m in model.modules():
            if isinstance(m, nn.Conv2d) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
    size = 28 if stem == "small" else 40  # 40: odd map sizes (5, 3) on the way down; keeps the fixture small
    x = torch.randn(4, chans, size, size)
    write(f"efficientnetv2_b0_w025_{stem}", model, x)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    vit()
    resnet("small")
    resnet("imagenet")
    mobilenet("small")
    mobilenet("imagenet")
    small_cnn()
    efficientnetv2("small")
    efficientnetv2("imagenet")
