"""Dense PyTorch reference baseline for the "Scan and Snap" 1-layer transformer
training loop (Tian et al. 2023; cf. luckmatters ssl/real-dataset/decoder_only.py,
Model2/Dataset2). Written independently, for BENCHMARK COMPARISON ONLY: it is
not part of the test suite.

Run with the Debian torch:  /usr/bin/python3 dense_torch.py --config fig4 --steps 5000
Single thread, float64, dense one-hot tokens, two SGD(momentum 0.9, lr 1) optimizers.
"""
import argparse, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F

# The shapes and the data generator are official_torch.py's (one table for every reference).
from official_torch import CONFIGS, NUM_COMMON, NUM_UNIQUE, Data as _Data  # noqa: E402,F401


class Data(_Data):
    """official_torch's generator, with the official code's per-row sampling as an option."""

    def batch(self, B, L, per_row=False):
        if not per_row:  # single batched multinomial call
            return super().batch(B, L)
        cls = torch.randint(self.C, (B,))  # one multinomial call per sample, like the official code
        seq = torch.stack([torch.multinomial(self.probs[c], L - 1, replacement=True) for c in cls.tolist()])
        x = torch.cat([seq, self.query[cls].unsqueeze(1)], dim=1)
        return x, self.next[cls]


class Model(nn.Module):
    def __init__(self, M, zero_init):
        super().__init__()
        self.M = M
        self.K2 = nn.Linear(M, M, bias=False)  # Z
        self.K1 = nn.Linear(M, M, bias=False)  # Y
        if zero_init:
            nn.init.zeros_(self.K2.weight)
            nn.init.zeros_(self.K1.weight)

    def forward(self, x):
        X = F.one_hot(x, self.M).double()           # [B, L, M]
        X_key = X[:, :-1, :]
        inner = torch.bmm(self.K2(X_key), X[:, -1, :].unsqueeze(2)).squeeze(2)
        attns = torch.softmax(inner, dim=1)
        combined = torch.bmm(attns.unsqueeze(1), X_key).squeeze(1)
        combined = combined / combined.norm(dim=1, keepdim=True)
        return self.K1(combined)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=CONFIGS, default="fig4")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--per-row", action="store_true", help="sample per row (official style)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(a.seed)
    num_last, nnpl, L, B, zero_init = CONFIGS[a.config]
    steps = a.steps or (5000 if a.config == "fig4" else 20)

    data = Data(num_last, nnpl)
    model = Model(data.M, zero_init)
    opts = [torch.optim.SGD([p], lr=1.0, momentum=0.9) for p in (model.K2.weight, model.K1.weight)]
    crit = nn.CrossEntropyLoss()

    def step():
        x, y = data.batch(B, L, a.per_row)
        t0 = time.perf_counter()
        for o in opts:
            o.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        for o in opts:
            o.step()
        return loss.item(), time.perf_counter() - t0

    losses = [step()[0] for _ in range(a.warmup)]
    if a.config == "fig4" and zero_init:
        print(f"sanity: loss[0]={losses[0]:.4f} (ln M={math.log(data.M):.4f}) "
              f"warmup losses={[round(l, 4) for l in losses]}")
    model_t = 0.0
    t0 = time.perf_counter()
    for _ in range(steps):
        loss, dt = step()
        model_t += dt
    sec = time.perf_counter() - t0
    print(f"{a.config} M={data.M} steps={steps} seconds={sec:.3f} steps/s={steps / sec:.4g} "
          f"(model-only steps/s={steps / model_t:.4g}) sampler={'per-row' if a.per_row else 'batched'} "
          f"final_loss={loss:.3g} torch={torch.__version__}")


if __name__ == "__main__":
    main()
