"""Simulated players for load: many players at once, each playing the example service over HTTP
and its WebSocket as a person would, with think times between actions and synthetic personal
data (``traffic.PlantedData``, Faker) in every place a player can put it: query strings,
headers, request bodies and the words sent over the stream.

Each interaction (one HTTP request, or one WebSocket session) carries a ``traceparent`` with a
trace id the player chose. The service keeps an inbound trace id (it does not trust the remote
sampled flag, but it samples everything by default), so the recorded trace ids are exactly the
traces the stores must end up holding: loss is counted, not estimated.

The load model: a player starts, then repeats an action drawn from ``LoadModel.mix`` followed by
a think time drawn from a log-normal distribution (median ``think_median_s``; people mostly
answer within a few seconds and sometimes take much longer), until it is told to stop. A stream
sends ``stream_messages`` lines, with a think time before each but the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from examples.tta_service.traffic import PlantedData, planted_headers

DEFAULT_MIX: Mapping[str, float] = {
    "scene": 0.35,
    "choice": 0.20,
    "narrate": 0.15,
    "stream": 0.20,
    "fail": 0.05,
    "crash": 0.05,
}
"""What players do, by weight: mostly reading scenes and answering, sometimes a model-written
scene or a stream, and now and then a request that fails (503, logged) or crashes (500)."""

STREAM = "stream"
WEBSOCKET_OPENED = 101
"""The status recorded for a stream that was opened, played and closed."""


@dataclass(frozen=True)
class LoadModel:
    think_median_s: float = 2.0
    think_sigma: float = 0.6
    """Of the log-normal think time: 0.6 puts nine in ten think times within 0.4x-2.7x the median."""
    stream_messages: int = 3
    mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    timeout_s: float = 30.0

    def think_time(self, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(self.think_median_s), self.think_sigma)

    def next_action(self, rng: random.Random) -> str:
        return rng.choices(list(self.mix), weights=list(self.mix.values()))[0]


@dataclass(frozen=True)
class Interaction:
    """One request or stream session: its kind, the trace id it carried, the HTTP status it got
    (``WEBSOCKET_OPENED`` for a stream played to its end; None when no answer came, with the
    ``error`` that says why) and when it started and ended (``time.monotonic``)."""

    kind: str
    trace_id: str
    status: int | None
    started: float
    ended: float
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None


def new_traceparent() -> tuple[str, str]:
    """A fresh trace id and the W3C ``traceparent`` header that carries it (sampled)."""
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


class Player:
    """One simulated player of the service at ``client.base_url``."""

    def __init__(self, planted: PlantedData, model: LoadModel, rng: random.Random, client: httpx.AsyncClient) -> None:
        self.planted = planted
        self.model = model
        self.rng = rng
        self.client = client
        self.path = f"/players/{planted.player_id}"

    async def play_until(self, stop: asyncio.Event, record: Callable[[Interaction], None]) -> None:
        """Act, think, act again, until ``stop`` is set; a think time ends early when it is."""
        while not stop.is_set():
            record(await self.act(self.model.next_action(self.rng)))
            await _sleep_unless(stop, self.model.think_time(self.rng))

    async def act(self, kind: str) -> Interaction:
        trace_id, traceparent = new_traceparent()
        headers = {**planted_headers(self.planted), "traceparent": traceparent}
        started = time.monotonic()
        try:
            status = await (self._stream(headers) if kind == STREAM else self._request(kind, headers))
        except (httpx.HTTPError, WebSocketException, OSError, TimeoutError) as error:
            return Interaction(kind, trace_id, None, started, time.monotonic(), f"{type(error).__name__}: {error}")
        return Interaction(kind, trace_id, status, started, time.monotonic())

    async def _request(self, kind: str, headers: dict[str, str]) -> int:
        planted, path = self.planted, self.path
        if kind == "scene":
            response = await self.client.get(
                f"{path}/scene", params={"email": planted.email, "ssn": planted.ssn}, headers=headers
            )
        elif kind == "choice":
            response = await self.client.post(f"{path}/choices", json={"choice": planted.choice_text}, headers=headers)
        elif kind == "narrate":
            response = await self.client.post(f"{path}/narrate", json={"prompt": planted.choice_text}, headers=headers)
        elif kind in ("fail", "crash"):
            response = await self.client.get(f"{path}/{kind}", params={"email": planted.email}, headers=headers)
        else:
            raise ValueError(f"unknown action {kind!r}: one of {', '.join(DEFAULT_MIX)}")
        return response.status_code

    async def _stream(self, headers: dict[str, str]) -> int:
        url = str(self.client.base_url).replace("http://", "ws://").rstrip("/") + f"{self.path}/stream"
        async with asyncio.timeout(self.model.timeout_s + self.model.stream_messages * 10 * self.model.think_median_s):
            async with connect(url, additional_headers=headers, open_timeout=self.model.timeout_s) as websocket:
                for message in range(self.model.stream_messages):
                    if message:
                        await asyncio.sleep(self.model.think_time(self.rng))
                    await websocket.send(self.planted.choice_text)
                    await websocket.recv()
        return WEBSOCKET_OPENED


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def play_load(
    service_url: str,
    planted: list[PlantedData],
    model: LoadModel,
    ramp_s: float,
    hold_s: float,
    seed: int,
    record: Callable[[Interaction], None],
    on_hold: Callable[[str], None] = lambda phase: None,
) -> None:
    """Every player of ``planted`` plays the service: the players start one after the other over
    ``ramp_s``, then all play for ``hold_s``, then each stops after its current action.
    ``on_hold("start")`` and ``on_hold("end")`` mark the hold, where throughput is measured."""
    stop = asyncio.Event()

    async def player(number: int, data: PlantedData) -> None:
        await _sleep_unless(stop, ramp_s * number / max(1, len(planted)))
        async with _client(service_url, model) as client:
            await Player(data, model, random.Random(seed * 100_003 + number), client).play_until(stop, record)

    tasks = [asyncio.create_task(player(number, data)) for number, data in enumerate(planted)]
    await asyncio.sleep(ramp_s)
    on_hold("start")
    await asyncio.sleep(hold_s)
    on_hold("end")
    stop.set()
    await asyncio.gather(*tasks)


def _client(service_url: str, model: LoadModel) -> httpx.AsyncClient:
    """A player's own HTTP client, as each person has their own browser: its connections are its own.

    Shared by all players, a connection the service closes after a response (uvicorn does after
    a 500 from an unhandled exception) was taken by the next player before the close arrived, and
    that request failed with a ReadError no person would get. An idle connection is also dropped
    after 2 s, before uvicorn's 5 s keep-alive closes it under a request."""
    limits = httpx.Limits(max_connections=4, keepalive_expiry=2.0)
    return httpx.AsyncClient(base_url=service_url, timeout=model.timeout_s, limits=limits)
