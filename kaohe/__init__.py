"""kaohe (考核): reproducible, auditable scoring of 政务公开/政务服务 annual assessments."""

__version__ = "0.1.0"
