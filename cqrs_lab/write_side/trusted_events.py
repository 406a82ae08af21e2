"""Rebuilding events a store wrote itself, without running the domain's validators again.

Every event a store holds was validated twice before it was written: when it was built, and
by the store's append checks. Reading it back through pydantic validates it a third time, and
on a projector's catch-up that costs more than folding it. A :class:`TrustedBuilder` builds
the same objects from the JSON the store wrote: the fields as ``json.loads`` gives them,
strings turned back into ``UUID`` and ``datetime`` (each distinct string once per batch, as
a stream's events share their id and an append's events their time), nested models the same
way, and the model's internals set as pydantic's own ``model_construct`` sets them.

Trusted means *this exact text, written by this store, in today's shape*: the stores call it
only for rows whose stored checksum still matches their text and whose schema version is
today's (see :class:`~cqrs_lab.write_side.event_codec.EventCodec`). A row changed in the
database by hand, by a migration or by damage is validated in full, as before.

A class is built this way only when its fields are plain JSON values, UUIDs, datetimes,
enums or nested models of the same kind, and it has no custom serializer, alias, private
attribute or ``model_post_init`` (whose work a build would skip); any other class is always
validated. A dict whose keys are not exactly the class's fields is refused (``ValueError``),
so a shape change that forgot its schema version falls back to validation, never to a
half-built event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from uuid import UUID

from pydantic import BaseModel

_PLAIN = {"int", "float", "str", "bool"}
_new = object.__new__
_set = object.__setattr__

Convert = Callable[[object, dict], object]
"""Turns one stored JSON value into the field's value, with a per-batch cache."""


class TrustedBuilder:
    """Builds instances of one pydantic model class from the dicts its JSON dump gave.

    Use :meth:`for_class`, which returns None for a class that must always be validated.
    """

    def __init__(self, kind: type[BaseModel], converters: dict[str, Convert]) -> None:
        self.kind = kind
        self._fields = tuple(kind.model_fields)
        self._keys = set(self._fields)
        self._fields_set = set(self._fields)  # shared: pydantic copies it before a change
        self._converters = tuple(converters.items())

    @classmethod
    def for_class(cls, kind: type[BaseModel]) -> TrustedBuilder | None:
        """The builder of ``kind``, or None if ``kind`` must be validated on every read."""
        if kind.__private_attributes__ or kind.model_post_init is not BaseModel.model_post_init:
            return None
        schema = kind.__pydantic_core_schema__
        fields = schema.get("schema", {})
        if schema.get("type") != "model" or fields.get("type") != "model-fields":
            return None
        if fields.get("computed_fields") or _has_custom_serialization(schema):
            return None
        converters: dict[str, Convert] = {}
        for name, field in fields["fields"].items():
            if field.get("validation_alias") or field.get("serialization_alias"):
                return None
            convert = _converter(field["schema"])
            if convert is False:
                return None
            if convert is not None:
                converters[name] = convert
        return cls(kind, converters)

    def build(self, fields: dict, cache: dict) -> BaseModel:
        """The instance whose dump gave ``fields`` (a dict it takes over).

        Raises:
            ValueError: if the keys are not exactly the class's fields.
        """
        if fields.keys() != self._keys:
            raise ValueError(f"{self.kind.__name__}: stored fields {sorted(fields)} differ")
        for name, convert in self._converters:
            fields[name] = convert(fields[name], cache)
        event = _new(self.kind)
        _set(event, "__dict__", fields)
        _set(event, "__pydantic_fields_set__", self._fields_set)
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event


def _converter(schema: dict) -> Convert | None | bool:
    """How to rebuild a value of ``schema``: a function, None (as JSON gave it), False (no)."""
    kind = schema["type"]
    while kind in ("default", "function-after", "function-before", "function-wrap"):
        # Validators are what a trusted read skips; defaults never apply (dumps hold every field).
        schema = schema["schema"]
        kind = schema["type"]
    if kind in _PLAIN:
        return None
    if kind == "nullable":
        inner = _converter(schema["schema"])
        if inner is None or inner is False:
            return inner
        return lambda value, cache: None if value is None else inner(value, cache)
    if kind == "uuid":
        return _uuid
    if kind == "datetime":
        return _datetime
    if kind == "enum" and issubclass(schema["cls"], Enum):
        enum = schema["cls"]
        return lambda value, cache: enum(value)
    if kind == "model" and issubclass(schema["cls"], BaseModel):
        nested = TrustedBuilder.for_class(schema["cls"])
        if nested is None:
            return False
        return nested.build
    return False


def _uuid(value: str, cache: dict) -> UUID:
    found = cache.get(value)
    if found is None:
        found = cache[value] = UUID(value)
    return found


def _datetime(value: str, cache: dict) -> datetime:
    found = cache.get(value)
    if found is None:
        found = cache[value] = datetime.fromisoformat(value)
    return found


def _has_custom_serialization(schema: object) -> bool:
    """True if any part of a core schema dumps itself in its own way (a custom serializer)."""
    if isinstance(schema, dict):
        if "serialization" in schema:
            return True
        return any(_has_custom_serialization(value) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_custom_serialization(value) for value in schema)
    return False
