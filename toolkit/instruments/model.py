"""The shape of a questionnaire file: what an instrument declares, checked by pydantic.

An instrument is data, not code. This module says which fields exist and what each
may hold; ``checks.py`` verifies that the parts agree with each other (items named by
a scale exist, bands cover the possible scores, ...), and ``scoring.py`` reads the
result. Every text a participant may read is a language map with English required.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Typed reasons an item has no value. All of them count as unanswered when scoring.
MISSING_CODES = ("skipped", "prefer_not_to_say", "dont_know")

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN)]


def _require_english(texts: dict[str, str]) -> dict[str, str]:
    if "en" not in texts:
        raise ValueError("a text needs an English version under 'en' (other languages fall back to it)")
    for lang, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"the {lang!r} text is empty")
    return texts


Text = Annotated[dict[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")], str], AfterValidator(_require_english)]


#: The texts that can be an instrument's published wording; scale and band texts, notes and
#: descriptions are always the toolkit's own.
PublishedText = Literal["title", "instructions", "time_frame", "items.text", "items.help", "response_scales.options.label",
                        "response_scales.low_label", "response_scales.high_label", "licence.terms", "licence.attribution"]


def wording_path(loc: tuple) -> str:
    """``("items", 3, "text")`` as ``items.text``: the path a ``validated_wording`` entry names."""
    return ".".join(str(key) for key in loc if not isinstance(key, int))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Option(Strict):
    value: int | float
    label: Text | None = None


class ResponseScale(Strict):
    """A set of ordered options shared by items (Likert rows, choices, yes/no), or a slider range."""

    id: Id
    options: list[Option] = Field(default_factory=list)
    slider: tuple[float, float, float] | None = None  # (min, max, step) for sliders
    low_label: Text | None = None
    high_label: Text | None = None
    #: Show each option's number beside its label, for instructions that speak of the numbers (WHO-5).
    show_values: bool = False

    @property
    def values(self) -> list[float]:
        if self.slider is not None:
            lo, hi, step = self.slider
            n = int(round((hi - lo) / step))
            return [lo + i * step for i in range(n + 1)]
        return [o.value for o in self.options]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


ItemType = Literal["likert", "single_choice", "multiple_choice", "yes_no", "slider", "free_text"]


class Item(Strict):
    id: Id
    text: Text
    type: ItemType = "likert"
    response_scale: Id | None = None
    reverse: bool = False
    allow_dont_know: bool = False
    help: Text | None = None


class Band(Strict):
    """A score range with its own plain-language feedback. Bounds are inclusive unless said otherwise."""

    id: Id
    min: float
    max: float
    min_inclusive: bool = True
    max_inclusive: bool = True
    label: Text
    feedback: Text
    source: str

    def contains(self, x: float) -> bool:
        above = x >= self.min if self.min_inclusive else x > self.min
        below = x <= self.max if self.max_inclusive else x < self.max
        return above and below


class Norms(Strict):
    """Reference values used for the reliable change index (Jacobson & Truax, 1991)."""

    sd: float = Field(gt=0)
    reliability: float = Field(gt=0, lt=1)
    mean: float | None = None
    cutoff: float | None = None
    source: str


class Scale(Strict):
    id: Id
    label: Text
    items: list[Id] = Field(min_length=1)
    method: Literal["sum", "mean", "count"]
    factor: float = 1.0
    min_answered: int | None = Field(default=None, ge=1)
    min_answered_reason: str | None = None
    prorate: bool = False
    higher_is_better: bool | None = None
    bands: list[Band] = Field(default_factory=list)
    no_bands_reason: str | None = None
    norms: Norms | None = None
    description: Text | None = None

    @property
    def required(self) -> int:
        """How many of the scale's items must be answered for a score."""
        if self.min_answered is not None:
            return self.min_answered
        if self.method == "mean":
            return -(-len(self.items) * 4 // 5)  # ceil(0.8 n) without floating point
        return len(self.items)


class Condition(Strict):
    """``scale`` or ``item`` compared with ``value``; a rule fires when its condition holds."""

    scale: Id | None = None
    item: Id | None = None
    op: Literal["<", "<=", ">", ">=", "=="]
    value: float


class AnyOf(Strict):
    any: list[Condition | AnyOf] = Field(min_length=1)


Level = Literal["info", "check_in"]
LEVEL_ORDER = {"info": 1, "check_in": 2}


class SafetyRule(Strict):
    id: Id
    level: Level
    when: Condition | AnyOf
    source: str


class Licence(Strict):
    terms: Text
    commercial_use: Literal["allowed", "not_allowed", "unclear"]
    attribution: Text
    url: str | None = None


class Verification(Strict):
    fact: str
    status: Literal["verified", "secondary", "unverified"]
    note: str


class Instrument(Strict):
    id: Id
    version: str
    kind: Literal["validated", "reflection", "exercise"]
    title: Text
    instructions: Text
    adapted_wording_note: Text | None = None
    response_scales: list[ResponseScale] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    scales: list[Scale] = Field(default_factory=list)
    safety: list[SafetyRule] = Field(default_factory=list)
    licence: Licence
    citations: list[str] = Field(default_factory=list)
    verification: list[Verification] = Field(default_factory=list)
    time_frame: Text | None = None
    #: Which texts are the instrument's published wording, as dotted paths (``items.text``,
    #: ``response_scales.options.label``, ``instructions``, ...): shown as published and translated
    #: only from an official version. Every other text is the toolkit's own, translated like any other.
    validated_wording: list[PublishedText] = Field(default_factory=list)

    # Convenience views used by scoring and widgets (pure, computed on demand).
    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def scale(self, scale_id: str) -> Scale:
        return next(s for s in self.scales if s.id == scale_id)

    def response_scale_of(self, item: Item) -> ResponseScale | None:
        if item.response_scale is None:
            return None
        return next(r for r in self.response_scales if r.id == item.response_scale)

    def is_validated_wording(self, loc: tuple) -> bool:
        """Whether the text at ``loc`` (keys and list indexes into the file) is published wording."""
        return wording_path(loc) in self.validated_wording

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def scored_items(self) -> list[Item]:
        return [i for i in self.items if i.type not in ("free_text", "multiple_choice")]

    @property
    def languages(self) -> set[str]:
        return set(self.title)
