"""The Colony header frame (docs/PROTOCOL.md, "The Colony header frame").

A frame that starts with the magic bytes C0 43 4C 01, then tag-length-value records: a one-byte
tag, a LEB128 varint length, and the value. Numbers are LEB128 varints inside the value; texts
are UTF-8. Unknown tags are skipped; anything truncated or invalid is an error. Encoding writes
the fields in tag order (repeated fields in their order), as the Swift implementation does, so
both produce the same bytes for the same header.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Optional

MAGIC = bytes([0xC0, 0x43, 0x4C, 0x01])
UINT32_MAX = 0xFFFFFFFF
UINT64_MAX = 0xFFFFFFFFFFFFFFFF


class Status(IntEnum):
    OK = 0
    ERROR = 1


class HeaderError(ValueError):
    """A header frame that cannot be decoded: `kind` is missing_magic, truncated, invalid_utf8
    or invalid_value (the names the shared vectors use)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}{': ' + detail if detail else ''}")
        self.kind = kind


# (tag, attribute, kind): kind is "number", "number32", "text", "texts", "status" or "flag".
TAGS = [
    (1, "request_id", "number"),
    (2, "correlation_id", "text"),
    (3, "step", "text"),
    (4, "attempt", "number32"),
    (5, "idempotency_key", "text"),
    (6, "deadline_ms", "number"),
    (7, "status", "status"),
    (8, "error_code", "text"),
    (9, "error_message", "text"),
    (10, "agent", "text"),
    (11, "capabilities", "texts"),
    (12, "capacity", "number32"),
    (13, "process_id", "number32"),
    (14, "timestamp_ms", "number"),
    (15, "capability", "text"),
    (16, "skipped_failed", "number"),
    (17, "skipped_cancelled", "number"),
    (18, "instance", "text"),
    (19, "target_instance", "text"),
    (20, "groups", "texts"),
    (21, "term", "number"),
    (22, "redelivered_after_loss_of", "text"),
    (23, "lease_expires_at_ms", "number"),
    (24, "dispatched_to", "text"),
    (25, "preferred_instance", "text"),
    (26, "wants_dispatch_notice", "flag"),
    (27, "descriptions", "text"),
]
BY_TAG = {tag: (name, kind) for tag, name, kind in TAGS}
# The Swift encoder writes fields in this order (tag order, except the texts of tag 11 and 20,
# which follow their neighbours as declared there); keep the two identical.
ENCODING_ORDER = list(range(1, 28))


@dataclass
class ColonyHeader:
    request_id: Optional[int] = None
    correlation_id: Optional[str] = None
    step: Optional[str] = None
    attempt: Optional[int] = None
    idempotency_key: Optional[str] = None
    deadline_ms: Optional[int] = None
    status: Optional[Status] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    agent: Optional[str] = None
    capabilities: list = field(default_factory=list)
    capacity: Optional[int] = None
    process_id: Optional[int] = None
    timestamp_ms: Optional[int] = None
    capability: Optional[str] = None
    skipped_failed: Optional[int] = None
    skipped_cancelled: Optional[int] = None
    instance: Optional[str] = None
    target_instance: Optional[str] = None
    groups: list = field(default_factory=list)
    term: Optional[int] = None
    redelivered_after_loss_of: Optional[str] = None
    lease_expires_at_ms: Optional[int] = None
    dispatched_to: Optional[str] = None
    preferred_instance: Optional[str] = None
    wants_dispatch_notice: bool = False
    descriptions: Optional[str] = None

    # ----- encoding

    def encode(self) -> bytes:
        out = bytearray(MAGIC)

        def put(tag: int, value: bytes) -> None:
            out.append(tag)
            out.extend(varint(len(value)))
            out.extend(value)

        for tag in ENCODING_ORDER:
            name, kind = BY_TAG[tag]
            value = getattr(self, name)
            if kind in ("number", "number32"):
                if value is not None:
                    limit = UINT32_MAX if kind == "number32" else UINT64_MAX
                    if not 0 <= value <= limit:
                        raise ValueError(f"{name} {value} is out of range 0...{limit}")
                    put(tag, varint(value))
            elif kind == "text":
                if value is not None:
                    put(tag, value.encode("utf-8"))
            elif kind == "texts":
                for item in value:
                    put(tag, item.encode("utf-8"))
            elif kind == "status":
                if value is not None:
                    put(tag, bytes([int(value)]))
            elif kind == "flag":
                if value:
                    put(tag, varint(1))
        return bytes(out)

    # ----- decoding

    @staticmethod
    def is_header(frame: bytes) -> bool:
        return len(frame) >= 4 and frame[:4] == MAGIC

    @classmethod
    def decode(cls, frame: bytes) -> "ColonyHeader":
        if not cls.is_header(frame):
            raise HeaderError("missing_magic")
        header = cls()
        offset = 4
        while offset < len(frame):
            tag = frame[offset]
            offset += 1
            length, offset = read_varint(frame, offset)
            if length > len(frame) - offset:
                raise HeaderError("truncated", f"record of tag {tag} at offset {offset}")
            value = frame[offset:offset + length]
            offset += length
            known = BY_TAG.get(tag)
            if known is None:
                continue
            name, kind = known
            if kind in ("number", "number32", "flag"):
                number, end = read_varint(value, 0)
                if end != len(value):
                    raise HeaderError("invalid_value", f"tag {tag}")
                if kind == "number32" and number > UINT32_MAX:
                    raise HeaderError("invalid_value", f"tag {tag}")
                setattr(header, name, number != 0 if kind == "flag" else number)
            elif kind in ("text", "texts"):
                try:
                    text = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise HeaderError("invalid_utf8", f"tag {tag}") from None
                if kind == "texts":
                    getattr(header, name).append(text)
                else:
                    setattr(header, name, text)
            elif kind == "status":
                if len(value) != 1 or value[0] not in (0, 1):
                    raise HeaderError("invalid_value", f"tag {tag}")
                header.status = Status(value[0])
        return header

    def as_fields(self) -> dict:
        """The fields that are set, under the names the shared vectors use."""
        result = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == [] or value is False:
                continue
            result[item.name] = "ok" if value is Status.OK else "error" if value is Status.ERROR else value
        return result

    @classmethod
    def from_fields(cls, values: dict) -> "ColonyHeader":
        values = dict(values)
        if "status" in values:
            values["status"] = Status.OK if values["status"] == "ok" else Status.ERROR
        return cls(**values)


def varint(value: int) -> bytes:
    """LEB128: 7 bits a byte, low bits first."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if offset >= len(data):
            raise HeaderError("truncated", f"varint at offset {offset}")
        byte = data[offset]
        offset += 1
        if shift >= 64:
            raise HeaderError("truncated", f"varint longer than 64 bits at offset {offset}")
        result |= (byte & 0x7F) << shift
        if result > UINT64_MAX:
            raise HeaderError("truncated", f"varint beyond 64 bits at offset {offset}")
        if byte & 0x80 == 0:
            return result, offset
        shift += 7
