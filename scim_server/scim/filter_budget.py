"""What a filter may cost: a budget in units that follow what the database does.

The parser's caps (4,096 characters, 200 comparisons, 16 brackets deep) bound the text,
not the work: 159 `emails[value co "..."]` terms joined by `and` passed them and took
PostgreSQL 8.5-20 s, most of it planning one sub-query per term. Terms on one
multi-valued attribute are now merged into one sub-query (see `filters.py`), and what
is left is priced here:

- a comparison costs 1; `co` and `ew` cost 3, since no index serves them and every
  candidate value is scanned;
- a comparison on an attribute kept only in the resource's JSON document (`title`,
  `name.givenName`, extension attributes) costs 2 more: the document is read and
  parsed for every candidate row (30 `name.givenName co` terms took 2-3 s on 20,000
  users);
- a comparison inside a merged `and` costs 1 more (one more aggregate per owner);
- each sub-query on the values of a multi-valued User attribute (`emails`,
  `phoneNumbers`, ...) or on a Group's `members` costs 10;
- each walk of `groups` (a recursive query through nested groups) costs 25.

A filter over `FILTER_BUDGET` is refused with `invalidFilter` and a detail that says
what it cost and why; split it into several requests or make it narrower.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidFilter

FILTER_BUDGET = 100
COMPARISON = 1
SCAN_COMPARISON = 3
DOCUMENT_READ = 2
MERGED_AND_TERM = 1
VALUE_SUBQUERY = 10
GROUP_WALK = 25
_SCANS = ("co", "ew")


@dataclass
class FilterCost:
    """The units a filter has spent so far, with what spent them (for the error detail)."""

    budget: int = FILTER_BUDGET
    spent: int = 0
    comparisons: int = 0
    subqueries: dict[str, int] = field(default_factory=dict)

    def comparison(self, op: str) -> None:
        self.comparisons += 1
        self.spent += SCAN_COMPARISON if op in _SCANS else COMPARISON

    def document_read(self) -> None:
        self.spent += DOCUMENT_READ

    def merged_and(self, terms: int) -> None:
        self.spent += MERGED_AND_TERM * terms

    def subquery(self, attribute: str, *, walk: bool = False) -> None:
        self.subqueries[attribute] = self.subqueries.get(attribute, 0) + 1
        self.spent += GROUP_WALK if walk else VALUE_SUBQUERY

    def check(self) -> None:
        """Refuse the filter when it costs more than the budget (RFC 7644 §3.4.2.2 leaves
        the limits to the service provider; §3.12 names `invalidFilter` for it)."""
        if self.spent <= self.budget:
            return
        queries = ", ".join(f"{name} ×{count}" for name, count in sorted(self.subqueries.items()))
        raise InvalidFilter(
            f"the filter is too expensive: it costs {self.spent} units and the budget is "
            f"{self.budget} ({self.comparisons} comparisons at 1 each, co/ew at "
            f"{SCAN_COMPARISON}, {DOCUMENT_READ} more on attributes without a column; sub-queries on multi-valued attributes at {VALUE_SUBQUERY}, "
            f"groups at {GROUP_WALK}: {queries or 'none'}). Conditions on one multi-valued "
            "attribute in one and/or chain share a sub-query; narrow the filter or split it "
            "into several requests")
