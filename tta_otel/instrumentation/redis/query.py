"""Redis query text with key names and no values, for the contrib redis instrumentation.

The contrib instrumentation records ``SET ? ?``; the distro gives it ``redis_request_hook``,
which rewrites the text to ``SET last-scene:? ?``: the kind of each key (its first segment,
chosen by the code), never what follows it (player ids) and never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.trace import Span


def _each(commands: str, spec: Any) -> dict[str, Any]:
    return dict.fromkeys(commands.split(), spec)


# Where Redis commands keep their keys (redis.io's key specifications, for the commands a
# service uses): (first, last, step) over the arguments after the command name, a negative
# last counting from the end; or the position of ``numkeys``, the keys following it.
_KEY_RANGES: dict[str, tuple[int, int, int]] = {
    **_each(
        "GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX APPEND STRLEN INCR INCRBY INCRBYFLOAT DECR DECRBY "
        "GETRANGE SETRANGE GETBIT SETBIT BITCOUNT BITPOS EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST TYPE "
        "HGET HSET HSETNX HMSET HMGET HDEL HEXISTS HGETALL HKEYS HVALS HLEN HINCRBY HINCRBYFLOAT HSTRLEN HSCAN "
        "LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT LPOS "
        "SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SSCAN "
        "ZADD ZREM ZSCORE ZMSCORE ZINCRBY ZCARD ZCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZRANK "
        "ZREVRANK ZREMRANGEBYRANK ZREMRANGEBYSCORE ZPOPMIN ZPOPMAX ZSCAN ZRANDMEMBER "
        "PFADD XADD XLEN XRANGE XREVRANGE XDEL XTRIM XACK XPENDING XCLAIM XAUTOCLAIM "
        "GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH",
        (1, 1, 1),
    ),
    **_each("MGET DEL UNLINK EXISTS TOUCH WATCH SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE", (1, -1, 1)),
    **_each("PFCOUNT PFMERGE", (1, -1, 1)),
    **_each("MSET MSETNX", (1, -1, 2)),
    **_each("RENAME RENAMENX RPOPLPUSH SMOVE LMOVE BLMOVE COPY ZRANGESTORE GEOSEARCHSTORE", (1, 2, 1)),
    **_each("BLPOP BRPOP BZPOPMIN BZPOPMAX", (1, -2, 1)),
}
_NUMKEYS_AT: dict[str, int] = {
    **_each("EVAL EVALSHA EVAL_RO EVALSHA_RO FCALL FCALL_RO BLMPOP BZMPOP", 2),
    **_each("ZUNION ZINTER ZDIFF ZINTERCARD SINTERCARD LMPOP ZMPOP", 1),
}
_QUERY_TEXT_MAX = 1000


def _text(argument: Any) -> str:
    if isinstance(argument, (bytes, bytearray, memoryview)):
        return bytes(argument).decode("utf-8", errors="replace")
    return str(argument)


def _key_positions(command: str, args: Sequence[Any]) -> range:
    if (spec := _KEY_RANGES.get(command)) is not None:
        first, last, step = spec
        return range(first, (last if last > 0 else len(args) + last) + 1, step)
    if (at := _NUMKEYS_AT.get(command)) is not None and at < len(args):
        try:
            return range(at + 1, at + 1 + int(_text(args[at])))
        except ValueError:
            return range(0)
    return range(0)  # a command not listed shows no argument at all


def key_shape(key: str) -> str:
    """``visits:?`` for ``visits:<player id>``: a key's first segment, which the code chose, and
    ``?`` for every later one, which may identify a player (ids of any form, hex, digits, e-mails).
    A key without a ``:`` is all identifier as far as we can tell: ``?``."""
    prefix, separator, rest = key.partition(":")
    return prefix + ":?" * (rest.count(":") + 1) if separator else "?"


def redis_query_text(args: Sequence[Any]) -> str:
    """``SET last-scene:? ?``: the command, the shape of its keys, and ``?`` for every other argument.

    Values never appear, nor does what follows a key's first segment; operators still see which
    kind of key (``visits``, ``last-scene``) is slow.
    """
    if not args:
        return ""
    command = _text(args[0]).upper()
    keys = _key_positions(command, args)
    text = " ".join(
        [command, *(key_shape(_text(arg)) if index in keys else "?" for index, arg in enumerate(args[1:], 1))]
    )
    return text if len(text) <= _QUERY_TEXT_MAX else text[: _QUERY_TEXT_MAX - 3] + "..."


def redis_request_hook(span: Span, instance: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Rewrites the query text the redis instrumentation recorded (``SET ? ?``) with the key shapes.

    Whichever of ``db.query.text`` and ``db.statement`` the semantic-convention mode made it
    record is rewritten; pipelines (whose hook sees no commands) keep ``SET ? ?``.
    """
    if not span.is_recording():
        return
    recorded = getattr(span, "attributes", None) or {}
    for key in ("db.query.text", "db.statement"):
        if key in recorded:
            span.set_attribute(key, redis_query_text(args))
