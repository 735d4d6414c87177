"""Train a small CNN on scikit-learn's bundled 8x8 digits with s2sgrad, PyTorch-style.

Usage: python examples/train_digits.py [--epochs N] (or S2SGRAD_DIGITS_EPOCHS=N).
Prints a text progress bar per epoch and the final test accuracy (about 97-99% after the
default 12 epochs, in well under two minutes on two cores). Needs scikit-learn for the
data only.
"""
import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import s2sgrad as torch
from s2sgrad import nn


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 2 * 2, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def progress(epoch, epochs, done, total, loss, width=30):
    filled = int(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    sys.stdout.write(f"\repoch {epoch:2d}/{epochs} [{bar}] {done:4d}/{total} loss {loss:.4f}")
    sys.stdout.flush()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(torch.tensor(x)).argmax(1).numpy()
    model.train()
    return float((pred == y).mean())


def main(epochs: int, batch_size: int = 32, seed: int = 0) -> float:
    torch.manual_seed(seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]     # (N, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed,
                                                        stratify=y)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(torch.tensor(x_train[idx])), torch.tensor(y_train[idx]))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            done = min(i + batch_size, len(order))
            if sys.stdout.isatty() or done == len(order):     # one line per epoch in logs
                progress(epoch, epochs, done, len(order), total / done)
        print(f"  test accuracy {accuracy(model, x_test, y_test):.4f}")
    acc = accuracy(model, x_test, y_test)
    print(f"final test accuracy: {acc:.4f} ({time.perf_counter() - start:.1f} s)")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int,
                        default=int(os.environ.get("S2SGRAD_DIGITS_EPOCHS", "12")))
    main(parser.parse_args().epochs)
