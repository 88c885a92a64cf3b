"""Building framework pydantic models on the hot path without changing what callers get.

Both frameworks make every reply and stream chunk a pydantic model (LangChain ``AIMessage``,
``ChatGeneration``; LlamaIndex ``ChatResponse``, ``TextBlock``), and validating them is a large part
of an adapter's own cost per call. The adapters build them from values the package produced
itself, so two shortcuts are safe, each checked once per class rather than trusted:

- :func:`plain_constructor`: ``model_construct`` without pydantic's per-field Python work, for
  models with no aliases, validators' side effects, private state or extras.
- :class:`ValidatedTemplate`: for models whose validators run but leave inputs of the given types
  unchanged; one sample is validated and each instance is built the way that validation built it.

:func:`private` reads a private attribute without pydantic's slow attribute fallback.

Pydantic-only: the core never imports a framework, and neither does this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["ValidatedTemplate", "plain_constructor", "private"]

M = TypeVar("M", bound=BaseModel)
_IMMUTABLE = (str, int, float, bool, bytes, type(None))
_setattr = object.__setattr__
_UNSET: Any = object()


def private(model: BaseModel, name: str) -> Any:
    """A pydantic private attribute, read without pydantic's Python-level ``__getattr__``
    (~1 µs each, and adapters read a few on every request)."""
    state = model.__pydantic_private__
    assert state is not None
    return state[name]


def plain_constructor(cls: type[M]) -> Callable[..., M]:
    """``cls.model_construct`` without its per-call work, for plain models.

    Same result as ``model_construct`` (values in field order, defaults filled, ``model_fields_set``
    = the names given, no extras, no private state). Pydantic's version resolves aliases and
    defaults field by field in Python (~1.5 µs a model). Models with aliases, private attributes,
    post-init hooks or extras get ``model_construct`` itself.
    """
    fields = cls.model_fields
    plain = (
        not cls.__private_attributes__
        and not cls.__pydantic_post_init__
        and not cls.__pydantic_root_model__
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in fields.values())
    )
    if not plain:
        return cls.model_construct
    # Every field in order: its immutable default where it has one, else a marker resolved per call
    # (a default factory, or left out when required and not given, as ``model_construct`` does).
    template = {
        name: f.default
        if not f.is_required() and f.default_factory is None and isinstance(f.default, _IMMUTABLE)
        else _UNSET
        for name, f in fields.items()
    }
    resolved = tuple(name for name, value in template.items() if value is _UNSET)
    # ``default_factory_takes_validated_data`` exists from pydantic 2.10, when factories of the
    # data so far arrived; before, no factory takes data.
    takes_data = frozenset(
        name for name in resolved if getattr(fields[name], "default_factory_takes_validated_data", False)
    )
    new = cls.__new__

    def construct(**values: Any) -> M:
        data = {**template, **values}
        for name in resolved:
            if data[name] is _UNSET:
                field = fields[name]
                if field.is_required():
                    del data[name]
                elif name in takes_data:  # a factory of the data so far, as in ``model_construct``
                    before = {k: v for k, v in data.items() if v is not _UNSET}
                    data[name] = field.get_default(call_default_factory=True, validated_data=before)
                else:
                    data[name] = field.get_default(call_default_factory=True)
        model = new(cls)
        _setattr(model, "__dict__", data)
        _setattr(model, "__pydantic_fields_set__", set(values))
        _setattr(model, "__pydantic_extra__", None)
        _setattr(model, "__pydantic_private__", None)
        return model

    return construct


class ValidatedTemplate(Generic[M]):
    """Instances of ``cls`` for one set of keyword names, built as validation builds them.

    ``sample`` is validated once. The template is *usable* only if validation kept every given
    value as given (so its validators have nothing to do for values of these types), set exactly
    the given fields, produced no extras beyond an empty dict and no private state, and left every
    other field immutable or an empty container. A call with exactly those names then copies the
    sample's state, puts the given values in and gives each instance fresh empty containers;
    any other call (or an unusable template, e.g. under another framework version) validates.

    Callers pass values of the sample's types (e.g. ``str`` content, never blocks); values that a
    validator would rewrite must take the validating path.
    """

    __slots__ = ("_build", "cls", "data", "extra", "fresh", "names", "usable")

    def __init__(self, cls: type[M], **sample: Any) -> None:
        self.cls = cls
        self.names = frozenset(sample)
        model = cls(**sample)
        self.data = dict(model.__dict__)
        extra = model.__pydantic_extra__
        self.extra = extra
        others = {name: value for name, value in self.data.items() if name not in self.names}
        self.fresh = tuple(
            (name, type(value)) for name, value in others.items() if type(value) in (list, dict)
        )
        self.usable = (
            set(model.model_fields_set) == self.names
            and extra in (None, {})
            and model.__pydantic_private__ is None
            and all(name in self.data and self.data[name] == value for name, value in sample.items())
            and all(
                (type(value) in (list, dict) and not value) or isinstance(value, _IMMUTABLE)
                for value in others.values()
            )
        )
        self._build = self._builder()

    def _builder(self) -> Callable[[dict[str, Any]], M]:
        """The per-instance work with everything it needs bound locally (this runs per chunk)."""
        cls, base, names, fresh, with_extra = (
            self.cls,
            self.data,
            self.names,
            self.fresh,
            self.extra is not None,
        )
        new, setattr_ = cls.__new__, _setattr

        def build(values: dict[str, Any]) -> M:
            data = {**base, **values}
            for name, kind in fresh:
                data[name] = kind()
            model = new(cls)
            setattr_(model, "__dict__", data)
            setattr_(model, "__pydantic_fields_set__", set(names))
            setattr_(model, "__pydantic_extra__", {} if with_extra else None)
            setattr_(model, "__pydantic_private__", None)
            return model

        return build

    def __call__(self, **values: Any) -> M:
        if not self.usable or values.keys() != self.names:
            return self.cls(**values)
        return self._build(values)

    def build(self, values: dict[str, Any]) -> M:
        """:meth:`__call__` with the values in a dict whose keys are exactly the sample's names
        (checked once by the caller, e.g. a loop over many records): no keyword packing per model."""
        return self._build(values) if self.usable else self.cls(**values)
