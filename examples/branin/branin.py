#!/usr/bin/env python3
"""Branin: a command objective for ``paramscope run``; prints its result as one JSON line.

The Branin-Hoo function has three global minima, all of value 0.397887, at (-pi, 12.275),
(pi, 2.275) and (9.42478, 2.475). paramscope fills ``{x}`` and ``{y}`` in the study file's
command and reads the last JSON object this script prints::

    python3 branin.py --x 3.14 --y 2.27
    {"value": 0.3979...}
"""

from __future__ import annotations

import argparse
import json
import math


def branin(x: float, y: float) -> float:
    """The Branin-Hoo function on [-5, 10] x [0, 15].

    Example:
        >>> round(branin(math.pi, 2.275), 6)
        0.397887
    """
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    t = 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=float, required=True)
    parser.add_argument("--y", type=float, required=True)
    args = parser.parse_args()
    print(json.dumps({"value": branin(args.x, args.y)}))


if __name__ == "__main__":
    main()
