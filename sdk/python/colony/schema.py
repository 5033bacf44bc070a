"""Typed inputs: a handler whose first parameter is annotated with a dataclass or a pydantic
model gets its params as that type (a bad input fails with `bad_request` naming the field), and
its JSON Schema describes the capability to the bus. Plain `dict` (or no annotation) gets the
decoded JSON as it is.
"""
from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any, Callable, Optional

from .errors import ColonyError

_PRIMITIVES = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object", list: "array"}


def input_type(handler: Callable) -> Any:
    """The annotation of the handler's first parameter, resolved (None when absent)."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return None
    if not parameters:
        return None
    try:
        hints = typing.get_type_hints(handler)
    except Exception:
        hints = {}
    annotation = hints.get(parameters[0].name, parameters[0].annotation)
    return None if annotation is inspect.Parameter.empty else annotation


def is_model(tp: Any) -> bool:
    """Whether `tp` is a type the SDK builds from JSON (a dataclass or a pydantic model)."""
    return isinstance(tp, type) and (dataclasses.is_dataclass(tp) or hasattr(tp, "model_validate"))


def decode(tp: Any, value: Any, where: str = "params") -> Any:
    """`value` (decoded JSON) as `tp`; a ColonyError("bad_request") naming the field otherwise."""
    if not is_model(tp):
        return value
    if hasattr(tp, "model_validate"):
        try:
            return tp.model_validate(value)
        except Exception as error:  # pydantic.ValidationError: its text names each field
            raise ColonyError("bad_request", f"{where}: {error}") from None
    return _dataclass(tp, value, where)


def _dataclass(tp: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ColonyError("bad_request", f"{where}: expected an object, not {_kind(value)}")
    hints = typing.get_type_hints(tp)
    known = {item.name: item for item in dataclasses.fields(tp) if item.init}
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ColonyError("bad_request", f"{where}: unexpected field {unknown[0]!r}")
    arguments = {}
    for name, item in known.items():
        if name not in value:
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                raise ColonyError("bad_request", f"{where}: missing field {name!r}")
            continue
        arguments[name] = _field(hints.get(name, Any), value[name], f"{where}.{name}")
    return tp(**arguments)


def _field(tp: Any, value: Any, where: str) -> Any:
    origin, arguments = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        for option in (a for a in arguments if a is not type(None)):
            try:
                return _field(option, value, where)
            except ColonyError:
                continue
        raise ColonyError("bad_request", f"{where}: expected {_describe(tp)}, not {_kind(value)}")
    if is_model(tp):
        return decode(tp, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ColonyError("bad_request", f"{where}: expected an array, not {_kind(value)}")
        inner = arguments[0] if arguments else Any
        return [_field(inner, item, f"{where}[{index}]") for index, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ColonyError("bad_request", f"{where}: expected an object, not {_kind(value)}")
        inner = arguments[1] if len(arguments) == 2 else Any
        return {key: _field(inner, item, f"{where}.{key}") for key, item in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return int(value)  # JSON has one number type: 2.0 is an integer
    if tp in _PRIMITIVES:
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ColonyError("bad_request", f"{where}: expected {_PRIMITIVES[tp]}, not {_kind(value)}")
        return value
    return value


def to_json(value: Any) -> Any:
    """A handler's result as JSON values (dataclasses and pydantic models included)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def json_schema(tp: Any) -> Optional[dict]:
    """The JSON Schema of a handler's input type, where one can be derived."""
    if tp is None or tp is Any or tp is dict:
        return None
    if isinstance(tp, type) and hasattr(tp, "model_json_schema"):
        return tp.model_json_schema()
    schema = _schema(tp)
    return schema or None


def _schema(tp: Any) -> dict:
    origin, arguments = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        properties, required = {}, []
        for item in dataclasses.fields(tp):
            properties[item.name] = _schema(hints.get(item.name, Any))
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                required.append(item.name)
        out = {"type": "object", "title": tp.__name__, "properties": properties, "additionalProperties": False}
        if required:
            out["required"] = required
        return out
    if origin in (typing.Union, types.UnionType):
        options = [a for a in arguments if a is not type(None)]
        inner = _schema(options[0]) if len(options) == 1 else {"anyOf": [_schema(a) for a in options]}
        return {"anyOf": [inner, {"type": "null"}]} if type(None) in arguments else inner
    if origin is list:
        return {"type": "array", **({"items": _schema(arguments[0])} if arguments else {})}
    if origin is dict:
        return {"type": "object", **({"additionalProperties": _schema(arguments[1])} if len(arguments) == 2 else {})}
    if tp in _PRIMITIVES:
        return {"type": _PRIMITIVES[tp]}
    return {}


def _describe(tp: Any) -> str:
    return " or ".join(_PRIMITIVES.get(a, getattr(a, "__name__", str(a))) for a in typing.get_args(tp) if a is not type(None))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
