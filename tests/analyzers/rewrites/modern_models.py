"""Small models built in code in the shapes of ResNet, ViT and Swin blocks, written as model
files so that trnport analyses their PyTorch form and their torch.onnx (dynamo) export alike."""

RESNET_STYLE = '''
import torch
from torch import nn


class Bottleneck(nn.Module):
    def __init__(self, channels, width):
        super().__init__()
        self.reduce = nn.Conv2d(channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.expand = nn.Conv2d(width, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.reduce(x)))
        y = torch.relu(self.bn2(self.conv(y)))
        return torch.relu(x + self.bn3(self.expand(y)))


class ResNetStyle(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 7, stride=2, padding=3, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.blocks = nn.Sequential(Bottleneck(16, 8), Bottleneck(16, 8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


model = ResNetStyle().eval()
example_inputs = (torch.randn(1, 3, 32, 32),)
'''

VIT_STYLE = '''
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads) \\
            .permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, dim=-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class ViTStyle(nn.Module):
    def __init__(self, dim=32, patch=8):
        super().__init__()
        self.patches = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, 17, dim))
        self.encoder = nn.Sequential(Encoder(dim), Encoder(dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, images):
        x = self.patches(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.encoder(x))[:, 0])


model = ViTStyle().eval()
example_inputs = (torch.randn(1, 3, 32, 32),)
'''

WINDOWED_ATTENTION = '''
import torch
from torch import nn


class WindowAttention(nn.Module):
    """A shifted-window attention block as in Swin: roll, split into windows, attend with
    a relative position bias, merge back."""

    def __init__(self, dim=16, window=4, heads=2, shift=2):
        super().__init__()
        self.window, self.heads, self.shift = window, heads, shift
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.bias = nn.Parameter(torch.zeros(heads, window * window, window * window))

    def forward(self, x):
        b, h, w, c = x.shape
        s, win = self.shift, self.window
        y = torch.roll(self.norm(x), shifts=(-s, -s), dims=(1, 2))
        y = y.view(b, h // win, win, w // win, win, c).permute(0, 1, 3, 2, 4, 5) \\
            .reshape(-1, win * win, c)
        q, k, v = self.qkv(y).reshape(y.shape[0], win * win, 3, self.heads, c // self.heads) \\
            .permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1) * (c // self.heads) ** -0.5 + self.bias,
                             dim=-1)
        y = self.proj((attn @ v).transpose(1, 2).reshape(-1, win * win, c))
        y = y.view(b, h // win, w // win, win, win, c).permute(0, 1, 3, 2, 4, 5) \\
            .reshape(b, h, w, c)
        return x + torch.roll(y, shifts=(s, s), dims=(1, 2))


model = WindowAttention().eval()
example_inputs = (torch.randn(1, 8, 8, 16),)
'''

MODELS = {"resnet_style": RESNET_STYLE, "vit_style": VIT_STYLE,
          "windowed_attention": WINDOWED_ATTENTION}
