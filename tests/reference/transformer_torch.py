"""The small transformer's training step as a researcher would write it in PyTorch, for SPEED COMPARISON ONLY (not part
of the test suite): token embedding, sinusoidal positional encoding, post-LN nn.TransformerEncoderLayer layers
(multi-head attention with biases, ReLU MLP, dropout 0) with a causal mask, an unembedding without bias, mean
cross-entropy at every position, Adam; random tokens (what snapscope's bench-lm presets train on). One thread.

  /usr/bin/python3 tests/reference/transformer_torch.py --config bench-lm --dtype float32 --seconds 10

Shapes: bench-lm = 1 layer, 1 head, d 64, MLP 256; bench-lm-2l = 2 layers, 4 heads, d 128, MLP 512; both vocabulary
2000, sequences of 35, batch 32.

fig7 and fig7-3l (the paper's Fig 7 model, as the presets of the same names): 1 or 3 layers, 1 head, d 200, MLP 200,
embedding scaled by sqrt(d), dropout 0.3, batch 20, windows of 35, SGD with learning rate 5 (10 for the MLP) and the
gradient norm clipped at 0.5, the vocabulary given by --vocab (the corpus's: `snapscope-cli run --preset fig7` prints
it), PyTorch's word-language-model example's training step.

  /usr/bin/python3 tests/reference/transformer_torch.py --config fig7 --vocab 2090 --threads 2 --seconds 10
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
    "fig7": (1, 1, 200, 200),
    "fig7-3l": (3, 1, 200, 200),
}
V, T, B = 2000, 35, 32
FIG7 = False


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
        self.scale = math.sqrt(d) if FIG7 else 1.0
        self.drop = nn.Dropout(0.3 if FIG7 else 0.0)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.3 if FIG7 else 0.0, activation="relu", batch_first=True)
            for _ in range(layers))
        self.unembed = nn.Linear(d, V, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

    def forward(self, x):
        h = self.drop(self.emb(x) * self.scale + self.pe)
        for layer in self.layers:
            h = layer(h, src_mask=self.mask)
        return self.unembed(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=CONFIGS, default="bench-lm")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=0, help="vocabulary (default 2000; fig7: the corpus's)")
    a = ap.parse_args()
    global V, B, FIG7
    FIG7 = a.config.startswith("fig7")
    if FIG7:
        B = 20
        V = a.vocab or 2090
    elif a.vocab:
        V = a.vocab
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dtype = torch.float32 if a.dtype == "float32" else torch.float64
    model = Model(*CONFIGS[a.config]).to(dtype)
    model.train()
    if FIG7:
        mlp = [p for n, p in model.named_parameters() if ".linear" in n]
        rest = [p for n, p in model.named_parameters() if ".linear" not in n]
        opt = torch.optim.SGD([{"params": rest, "lr": 5.0}, {"params": mlp, "lr": 10.0}])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        x = torch.randint(V, (B, T + 1))
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        if FIG7:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
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
          f"(ln V={math.log(V):.4f}) last_loss={loss:.4f} torch={torch.__version__} threads={a.threads} vocab={V} batch={B}")


if __name__ == "__main__":
    main()
