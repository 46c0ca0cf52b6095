"""How the call queue orders contacts.

Every reason scores ``weight × urgency``:

- *weight* is per kind of reason, from ``settings.WARMLINE_CALL_WEIGHTS`` (each entry has
  an environment override, e.g. ``WARMLINE_CALL_WEIGHT_CALLBACK=120``). Defaults:

  ========== ====== ==============================================================
  key        weight why
  ========== ====== ==============================================================
  question   100    a customer asked and is waiting for a human
  case       90     a service case breached its SLA: call before they call you
  callback   80     you promised to call at this time
  lead       60     a new lead nobody has spoken to yet: speed matters
  date       50     birthday / anniversary today or tomorrow
  reconnect  30     no personal touch for longer than the contact's cadence
  ========== ====== ==============================================================

  A provider whose key is not in the setting uses its own ``default_weight``. Questions
  (portal) and cases (service) come from those apps' providers; callbacks, reconnects,
  dates and new leads from ``providers.py`` here.
- *urgency* (0 to 2, clamped) is set by the provider: 1 is "normal"; a callback that is
  running late, a reconnect far past its cadence or a birthday today go higher, up to 2.

A contact's score is its best reason's score plus a tenth of the other reasons' scores,
so two reasons beat one of the same kind, but a pile of weak reasons never beats a strong
one. Ties go to the reason that arose first, then to the lower contact id (stable order).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from warmline.core.registries.reasons import Reason, reason_provider_list

OTHER_REASONS_FACTOR = 0.1
MAX_URGENCY = 2.0


def weights_current() -> dict[str, int]:
    """Provider defaults overlaid with the configured weights."""
    weights = {p.key: p.default_weight for p in reason_provider_list()}
    weights.update(getattr(settings, "WARMLINE_CALL_WEIGHTS", {}))
    return weights


def reason_score(reason: Reason, weights: Mapping[str, int]) -> float:
    urgency = min(max(reason.urgency, 0.0), MAX_URGENCY)
    return weights.get(reason.key, 50) * urgency


@dataclass(frozen=True)
class ScoredReason:
    reason: Reason
    score: float

    @property
    def text(self) -> str:
        return self.reason.text

    @property
    def key(self) -> str:
        return self.reason.key


@dataclass(frozen=True)
class RankedContact:
    contact_id: int
    score: float
    reasons: tuple[ScoredReason, ...]  # best first

    @property
    def first_at(self) -> dt.datetime | None:
        times = [r.reason.at for r in self.reasons if r.reason.at is not None]
        return min(times) if times else None

    @property
    def newest_at(self) -> dt.datetime | None:
        times = [r.reason.at for r in self.reasons if r.reason.at is not None]
        return max(times) if times else None


def contact_score(scores: Iterable[float]) -> float:
    ordered = sorted(scores, reverse=True)
    if not ordered:
        return 0.0
    return ordered[0] + OTHER_REASONS_FACTOR * sum(ordered[1:])


_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def reasons_rank(
    reasons: Iterable[Reason], *, weights: Mapping[str, int] | None = None
) -> list[RankedContact]:
    """Group reasons by contact and order the contacts, best first."""
    weights = weights_current() if weights is None else weights
    by_contact: dict[int, list[ScoredReason]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    for reason in reasons:
        identity = (reason.contact_id, reason.key, reason.ref or reason.text)
        if identity in seen:  # the same cause reported twice counts once
            continue
        seen.add(identity)
        by_contact[reason.contact_id].append(ScoredReason(reason, reason_score(reason, weights)))
    ranked = []
    for contact_id, scored in by_contact.items():
        scored.sort(key=lambda s: (-s.score, s.reason.at or _FAR_FUTURE))
        ranked.append(
            RankedContact(
                contact_id=contact_id,
                score=round(contact_score(s.score for s in scored), 3),
                reasons=tuple(scored),
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.first_at or _FAR_FUTURE, r.contact_id))
    return ranked
