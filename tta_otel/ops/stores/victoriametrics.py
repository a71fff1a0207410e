"""VictoriaMetrics's snapshot API (the long-term metrics tier), for ``tta-otel archive``.

``/snapshot/create`` makes ``<-storageDataPath>/snapshots/<name>``: hard links of the parts at
that instant, consistent and cheap, behind the same basic auth as every other path;
``/snapshot/delete`` removes one (a snapshot pins its parts on disk until then).
"""

from __future__ import annotations

from tta_otel.ops.stores.http import StoreClient, StoreError


class VictoriaMetricsSnapshots(StoreClient):
    WHAT = "VictoriaMetrics (TTA_VICTORIAMETRICS_URL, TTA_VICTORIAMETRICS_CREDENTIALS_FILE)"

    def _ok(self, path: str, params: dict[str, str | int]) -> dict[str, str]:
        answer: dict[str, str] = self._get(path, params).json()
        if answer.get("status") != "ok":
            raise StoreError(f"{self.WHAT} at {self.url}{path}: {answer.get('msg', answer)}")
        return answer

    def create(self) -> str:
        """A new snapshot; its directory name under ``<-storageDataPath>/snapshots``."""
        return self._ok("/snapshot/create", {})["snapshot"]

    def delete(self, name: str) -> None:
        self._ok("/snapshot/delete", {"snapshot": name})


__all__ = ["VictoriaMetricsSnapshots"]
