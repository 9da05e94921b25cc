"""The Scan-and-Snap training step as the official code computes it (facebookresearch/luckmatters,
ssl/real-dataset/decoder_only.py: Model2.forward, two SGD optimisers with momentum), in float64 on one thread, with
the batch drawn in one batched torch.multinomial call per step (the official Dataset2 draws per row in Python; that
Python loop is not what is being compared). Written independently from the description, for SPEED COMPARISON ONLY:
it is not part of the test suite. Whole loop timed: sampling, forward, backward, both optimiser steps.

  /usr/bin/python3 tests/reference/official_torch.py --config fig4 --seconds 10
  /usr/bin/python3 tests/reference/official_torch.py --config large --seconds 20

Shapes (theory.md): fig4 = num_last 2, num_next_per_last 1, num_common_per_last 0, L 128, batch 128, zero init (M 34);
large = num_last 20, num_next_per_last 5, L 512, batch 256, uniform init (M 1130).
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {  # num_last, num_next_per_last, L, B, zero_init
    "fig4": (2, 1, 128, 128, True),
    "large": (20, 5, 512, 256, False),
}
NUM_COMMON, NUM_UNIQUE = 10, 10


class Data:
    """Tokens [common | distinct per class | queries | next tokens]; P(l|n): common weight 1, distinct linspace(0.1, 1)."""

    def __init__(self, num_last, num_next_per_last):
        self.C = num_last * num_next_per_last
        q0 = NUM_COMMON + self.C * NUM_UNIQUE
        n0 = q0 + num_last
        self.M = n0 + self.C
        probs = torch.zeros(self.C, self.M)
        uniq = torch.linspace(0.1, 1.0, NUM_UNIQUE)
        for c in range(self.C):
            probs[c, :NUM_COMMON] = 1.0
            s = NUM_COMMON + c * NUM_UNIQUE
            probs[c, s:s + NUM_UNIQUE] = uniq
        self.probs = probs / probs.sum(dim=1, keepdim=True)
        cls = torch.arange(self.C)
        self.query = q0 + cls // num_next_per_last
        self.next = n0 + cls

    def batch(self, B, L):
        cls = torch.randint(self.C, (B,))
        seq = torch.multinomial(self.probs[cls], L - 1, replacement=True)
        x = torch.cat([seq, self.query[cls].unsqueeze(1)], dim=1)
        return x, self.next[cls]


class Model2(nn.Module):
    """Model2 of decoder_only.py with normalize on, residual off, the query not a key (the paper's runs)."""

    def __init__(self, M, zero_init):
        super().__init__()
        self.M = M
        self.K1 = nn.Linear(M, M, bias=False)  # Y
        self.K2 = nn.Linear(M, M, bias=False)  # Z
        if zero_init:
            with torch.no_grad():
                self.K1.weight[:] = 0
                self.K2.weight[:] = 0
        self.loss_func = nn.CrossEntropyLoss()

    def forward(self, x, label):
        """The same mathematics with index operations instead of one-hot products (the fair baseline):
        K2(X_key) X_last = K2.weight[query, key] (a gather), attns^T X_key = scatter-add of attns into M columns."""
        x_key, q = x[:, :-1], x[:, -1]
        inner_prod = self.K2.weight[q.unsqueeze(1), x_key]
        attns = F.softmax(inner_prod, dim=1)
        combined = torch.zeros(x.size(0), self.M).scatter_add(1, x_key, attns)
        combined = combined / combined.norm(dim=1, keepdim=True)
        logits = self.K1(combined)
        return self.loss_func(logits, label)

    def forward_mixed(self, x, label):
        """A gather for the attention logits, and the one-hot product of Model2 for the pooled vector."""
        x_key, q = x[:, :-1], x[:, -1]
        inner_prod = self.K2.weight[q.unsqueeze(1), x_key]
        attns = F.softmax(inner_prod, dim=1)
        X_key = F.one_hot(x_key, num_classes=self.M).double()
        combined = torch.bmm(attns.unsqueeze(1), X_key).squeeze(1)
        combined = combined / combined.norm(dim=1, keepdim=True)
        logits = self.K1(combined)
        return self.loss_func(logits, label)

    def forward_onehot(self, x, label):
        """Model2.forward verbatim (dense one-hot tensors of batch x L x M)."""
        X = F.one_hot(x, num_classes=self.M).double()
        X_key = X[:, :-1, :]
        inner_prod = torch.bmm(self.K2(X_key), X[:, -1, :].unsqueeze(2)).squeeze(2)
        attns = F.softmax(inner_prod, dim=1)
        combined = torch.bmm(attns.unsqueeze(1), X_key).squeeze(1)
        combined = combined / combined.norm(dim=1, keepdim=True)
        logits = self.K1(combined)
        return self.loss_func(logits, label)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=CONFIGS, default="fig4")
    ap.add_argument("--seconds", type=float, default=10.0, help="time to measure (after warm-up)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--impl", choices=["gather", "mixed", "onehot"], default="gather",
                    help="gather: index operations (the fastest, the fair baseline); mixed: a gather for the logits and "
                         "Model2's one-hot product for the pooled vector; onehot: Model2.forward verbatim")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(a.seed)
    num_last, nnpl, L, B, zero_init = CONFIGS[a.config]
    data = Data(num_last, nnpl)
    model = Model2(data.M, zero_init)
    opt_y = torch.optim.SGD([model.K1.weight], lr=1.0, momentum=0.9)
    opt_z = torch.optim.SGD([model.K2.weight], lr=1.0, momentum=0.9)

    def step():
        x, y = data.batch(B, L)
        opt_y.zero_grad()
        opt_z.zero_grad()
        fwd = {"gather": model.forward, "mixed": model.forward_mixed, "onehot": model.forward_onehot}[a.impl]
        loss = fwd(x, y)
        loss.backward()
        opt_y.step()
        opt_z.step()
        return loss.item()

    first = step()
    for _ in range(2):
        step()
    steps = 0
    t0 = time.perf_counter()
    while True:
        loss = step()
        steps += 1
        el = time.perf_counter() - t0
        if el >= a.seconds:
            break
    print(f"torch-{a.impl} {a.config} M={data.M} steps={steps} seconds={el:.3f} steps_per_second={steps / el:.6g} "
          f"first_loss={first:.4f} (ln M={math.log(data.M):.4f}) last_loss={loss:.3g} torch={torch.__version__} threads=1")


if __name__ == "__main__":
    main()
