"""The small transformer's training step as a researcher would write it in PyTorch, for SPEED COMPARISON ONLY (not part
of the test suite): token embedding, sinusoidal positional encoding, post-LN nn.TransformerEncoderLayer layers
(multi-head attention with biases, ReLU MLP, dropout 0) with a causal mask, an unembedding without bias, mean
cross-entropy at every position, Adam; random tokens (what snapscope's bench-lm presets train on). One thread.

  /usr/bin/python3 tests/reference/transformer_torch.py --config bench-lm --dtype float32 --seconds 10

Shapes: bench-lm = 1 layer, 1 head, d 64, MLP 256; bench-lm-2l = 2 layers, 4 heads, d 128, MLP 512; both vocabulary
2000, sequences of 35, batch 32.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {  # layers, heads, d, ffn
    "bench-lm": (1, 1, 64, 256),
    "bench-lm-2l": (2, 4, 128, 512),
}
V, T, B = 2000, 35, 32


class Model(nn.Module):
    def __init__(self, layers, heads, d, ffn):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        pe = torch.zeros(T, d)
        pos = torch.arange(T).unsqueeze(1).double()
        div = torch.pow(10000.0, torch.arange(0, d, 2).double() / d)
        pe[:, 0::2] = torch.sin(pos / div)
        pe[:, 1::2] = torch.cos(pos / div)
        self.register_buffer("pe", pe)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, activation="relu", batch_first=True) for _ in range(layers))
        self.unembed = nn.Linear(d, V, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

    def forward(self, x):
        h = self.emb(x) + self.pe
        for layer in self.layers:
            h = layer(h, src_mask=self.mask)
        return self.unembed(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=CONFIGS, default="bench-lm")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dtype = torch.float32 if a.dtype == "float32" else torch.float64
    model = Model(*CONFIGS[a.config]).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        x = torch.randint(V, (B, T + 1))
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    for _ in range(2):
        step()
    steps, t0 = 0, time.perf_counter()
    while True:
        loss = step()
        steps += 1
        el = time.perf_counter() - t0
        if el >= a.seconds:
            break
    print(f"torch {a.config} {a.dtype} steps={steps} seconds={el:.3f} steps_per_second={steps / el:.6g} first_loss={first:.4f} "
          f"(ln V={math.log(V):.4f}) last_loss={loss:.4f} torch={torch.__version__} threads={a.threads}")


if __name__ == "__main__":
    main()
