"""tta_otel's privacy prefilter, compiled: ``Prefilter(patterns).hits(text)`` and ``.dirty(texts)``.

Used by ``tta_otel.privacy.prefilter`` when installed; see that module for the contract.
"""

from tta_otel_prefilter._prefilter import Prefilter

__all__ = ["Prefilter"]
