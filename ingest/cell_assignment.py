"""Put the values of a text-dump row back into their columns when the empty cells vanished.

A PDF text dump prints "208 05 01 归口管理的行政单位离退休 41,760 41,760": two values for a table
with three value columns (合计 / 基本支出 / 项目支出). Which columns they belong to follows from the
table's own arithmetic, so we solve for it instead of guessing:

1. values keep their printed left-to-right order (a placement is an increasing tuple of columns);
2. column identities hold in every row (合计 = 基本支出 + 项目支出; 三公 合计 = parts …);
3. a column empty in a parent row is empty in its children, and for every column the children sum
   to the parent (类 = Σ 款, 款 = Σ 项, 合计 row = Σ 类);
4. column totals known from elsewhere in the document (e.g. the 财务收支总表 says 其他收入 58,488)
   pin the root row;
5. a genuine tie goes to the placement that uses fewest "rare" columns (columns that are usually
   empty in Shanghai budgets: 事业收入, 事业单位经营收入, 政府性基金预算, 购置费), then to the
   leftmost columns.

When no placement satisfies the arithmetic (a typo in the source), each row falls back to its own
best placement (rules 1, 2, 5 and the parent's empty columns where possible) and a warning is logged.

    placements = assign_rows(rows, value_columns=[4, 5, 6], identities=[Identity(4, (5, 6))])
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

log = logging.getLogger(__name__)

Placement = tuple[int, ...]

# stop searching a subtree after this many partial combinations and fall back to row-by-row
_SEARCH_BUDGET = 200_000


@dataclass(frozen=True)
class Identity:
    """total column = sum of the part columns (column indices of the table)."""

    total: int
    parts: tuple[int, ...]


@dataclass
class RowValues:
    """The printed values of one row, in order, and the key of its parent row (None for a root)."""

    key: Hashable
    values: list[Decimal]
    parent: Hashable | None = None


@dataclass
class AssignmentProblem:
    """Column facts shared by all rows of one table (or of one side of a side-by-side table)."""

    value_columns: list[int]
    identities: list[Identity] = field(default_factory=list)
    rare_columns: set[int] = field(default_factory=set)
    # column -> known total of the root rows (None: the column is known to be empty)
    known_root: dict[int, Decimal | None] = field(default_factory=dict)


def candidate_placements(values: Sequence[Decimal], problem: AssignmentProblem) -> list[Placement]:
    """Order-preserving placements of `values` that satisfy the column identities, best first."""
    columns = problem.value_columns
    if len(values) > len(columns):
        return []
    found = []
    for placement in combinations(columns, len(values)):
        cells = dict(zip(placement, values))
        if all(_identity_holds(identity, cells, columns) for identity in problem.identities):
            found.append(placement)
    return sorted(found, key=lambda p: _preference(p, problem))


def _identity_holds(identity: Identity, cells: dict[int, Decimal], columns: Sequence[int]) -> bool:
    if identity.total not in columns:
        return True
    parts = sum((cells.get(col, Decimal(0)) for col in identity.parts), Decimal(0))
    return cells.get(identity.total, Decimal(0)) == parts


def _preference(placement: Placement, problem: AssignmentProblem) -> tuple[int, Placement]:
    return sum(1 for col in placement if col in problem.rare_columns), placement


def _matches_known(placement: Placement, values: Sequence[Decimal], known: dict[int, Decimal | None]) -> bool:
    cells = dict(zip(placement, values))
    for col, total in known.items():
        if (cells.get(col) or Decimal(0)) != (total or Decimal(0)):
            return False
    return True


class _Solver:
    """Depth-first search over placements, parent by parent, with per-column sum pruning."""

    def __init__(self, rows: list[RowValues], problem: AssignmentProblem) -> None:
        self.problem = problem
        self.rows = {row.key: row for row in rows}
        self.children: dict[Hashable, list[Hashable]] = {}
        for row in rows:
            if row.parent is not None and row.parent in self.rows:
                self.children.setdefault(row.parent, []).append(row.key)
        self.candidates = {row.key: candidate_placements(row.values, problem) for row in rows}
        self.nonnegative = all(v >= 0 for row in rows for v in row.values)
        self.budget = _SEARCH_BUDGET
        self.memo: dict[tuple[Hashable, Placement], dict[Hashable, Placement] | None] = {}

    def roots(self) -> list[Hashable]:
        return [key for key, row in self.rows.items() if row.parent is None or row.parent not in self.rows]

    def solve_root(self, key: Hashable, known: dict[int, Decimal | None]) -> dict[Hashable, Placement] | None:
        values = self.rows[key].values
        for placement in self.candidates[key]:
            if known and not _matches_known(placement, values, known):
                continue
            subtree = self.solve(key, placement)
            if subtree is not None:
                return {key: placement, **subtree}
        return None

    def solve(self, key: Hashable, placement: Placement) -> dict[Hashable, Placement] | None:
        """Placements for all descendants of `key`, given the placement of `key` itself."""
        memo_key = (key, placement)
        if memo_key not in self.memo:
            self.memo[memo_key] = self._solve_children(key, placement)
        return self.memo[memo_key]

    def _solve_children(self, key: Hashable, placement: Placement) -> dict[Hashable, Placement] | None:
        kids = self.children.get(key, [])
        if not kids:
            return {}
        target = dict(zip(placement, self.rows[key].values))
        options = [[p for p in self.candidates[kid] if set(p) <= set(placement)] for kid in kids]
        if any(not opts for opts in options):
            return None
        return self._search(kids, options, target, 0, {}, [])

    def _search(
        self, kids: list[Hashable], options: list[list[Placement]], target: dict[int, Decimal],
        depth: int, sums: dict[int, Decimal], chosen: list[Placement],
    ) -> dict[Hashable, Placement] | None:
        """First combination of the kids' placements (in preference order) that adds up to target."""
        self.budget -= 1
        if self.budget < 0:
            return None
        if depth == len(kids):
            if any(sums.get(col, Decimal(0)) != value for col, value in target.items()):
                return None
            result: dict[Hashable, Placement] = {}
            for kid, kid_placement in zip(kids, chosen):
                below = self.solve(kid, kid_placement)
                if below is None:
                    return None
                result[kid] = kid_placement
                result.update(below)
            return result
        values = self.rows[kids[depth]].values
        for placement in options[depth]:
            new_sums = dict(sums)
            for col, value in zip(placement, values):
                new_sums[col] = new_sums.get(col, Decimal(0)) + value
            if self.nonnegative and any(new_sums[col] > target.get(col, Decimal(0)) for col in placement):
                continue
            found = self._search(kids, options, target, depth + 1, new_sums, chosen + [placement])
            if found is not None:
                return found
        return None


def assign_rows(rows: list[RowValues], problem: AssignmentProblem) -> dict[Hashable, Placement]:
    """Column placement for every row: the arithmetic-consistent one when it exists (see module doc)."""
    solver = _Solver(rows, problem)
    result: dict[Hashable, Placement] = {}
    if all(len(options) <= 1 for options in solver.candidates.values()):
        # nothing to decide: every row has at most one placement (e.g. one value column)
        columns = problem.value_columns
        return {key: (options[0] if options else tuple(columns[: len(solver.rows[key].values)]))
                for key, options in solver.candidates.items()}
    roots = solver.roots()
    for root in roots:
        known = problem.known_root if len(roots) == 1 else {}
        solved = solver.solve_root(root, known) if solver.budget > 0 else None
        if solved is None and known:
            solved = solver.solve_root(root, {})
        if solved is None:
            log.warning("no column placement of row %r and its children satisfies the sums; "
                        "placing rows one by one", root)
            solved = _greedy(solver, root, None)
        result.update(solved)
    return result


def _greedy(solver: _Solver, key: Hashable, parent_placement: Placement | None) -> dict[Hashable, Placement]:
    """Row-by-row fallback: the best placement within the parent's non-empty columns, if any."""
    row = solver.rows[key]
    options = solver.candidates[key]
    if parent_placement is not None:
        options = [p for p in options if set(p) <= set(parent_placement)] or options
    columns = solver.problem.value_columns
    placement = options[0] if options else tuple(columns[: len(row.values)])
    result = {key: placement}
    for kid in solver.children.get(key, []):
        result.update(_greedy(solver, kid, placement))
    return result
