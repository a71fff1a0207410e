"""Hardware telemetry under the OpenTelemetry hardware semantic conventions (``hw.*``).

Only NVIDIA GPUs for now, through NVML: see :mod:`tta_otel.hardware.gpu`. Importing this
package does not import ``pynvml``; :meth:`GpuReader.open` does, when it is called.
"""

from tta_otel.hardware.gpu import GpuReader, GpuSample, instrument_gpus

__all__ = ["GpuReader", "GpuSample", "instrument_gpus"]
