"""kaohe (考核): reproducible, auditable scoring of 政务公开/政务服务 annual assessments.

The two entry points are importable from the package: ``kaohe.score(rubric, roster, evidence)`` and
``kaohe.compare(a, b, roster, evidence)``. They load lazily, so ``import kaohe`` stays cheap.
"""

__version__ = "0.1.0"
__all__ = ["compare", "score"]


def __getattr__(name: str):
    if name == "score":
        from .scoring import score
        return score
    if name == "compare":
        from .comparison import compare
        return compare
    raise AttributeError(f"module 'kaohe' has no attribute {name!r}")
