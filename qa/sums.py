"""Sums with the arithmetic shown and every addend cited: named items ("养老保险缴费和职业年金缴费"),
quoted projects ("“A”和“B”两个项目"), and every row of one table printed with one name
("名称为「审计业务经费」的几个项目合计").

    class Computations(Sums): …     answer = self._sum(query, catalog, departments)
"""

from __future__ import annotations

import re
from decimal import Decimal

from budgetqa.models import Answer
from qa.answer import Evidence, cite, convert, described, fmt, refuse, round2
from qa.concepts import clean_label, quoted_names
from qa.cues import COLUMN_WORDS, complete_parts
from qa.gate import fits_codes, item_absent, named_codes
from qa.lookup import ItemResolver
from qa.resolve import FactLookup
from qa.understand import Catalog, Query


class Sums(FactLookup):
    """Sum answers (mixed into the Answerer through Computations)."""

    def _sum(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        body = re.split(r"一共|合计|总共|加起来|加在一起|之和|共计|总和", query.item_text)[0]
        scope = " ".join(re.findall(r"[（(][^）)]*表[^）)]*[）)]", query.item_text))  # "（部门收入预算总表口径）"
        hint = ItemResolver(scope).table_cue if scope else None
        bracket = re.search(rf"[（(]((?:{COLUMN_WORDS})(?:(?:加上?|和|与|\+)(?:{COLUMN_WORDS}))+)[）)]", query.item_text)
        if bracket:  # "物业管理费一共多少（基本支出加项目支出）": the item in each column the brackets list
            body = "和".join(body + column for column in re.split(r"加上?|和|与|\+", bracket.group(1)))
        # (read in the question as asked: a period such as 2025-2026年 is part of the names)
        listed = re.search(r"[两二三四五六七八九十\d]+个([^（(，,的]{2,16}?)[（(]([^（）()]+?(?:和|与|及|、)[^（）()]+?)[）)]", query.text)
        if listed:  # "两个信息化运维项目（2025-2026年和2026-2027年）": each bracketed name completed by the noun
            body = "和".join(p.strip() + listed.group(1) for p in re.split(r"和|与|及|、", listed.group(2)))
        spread = re.match(r"^(.*?)在(.{2,12}?)(?:和|与|及)(.{2,12}?)(?:中|里|两项中|两部分中)?$", body)
        if spread:  # "物业管理费（30209）在基本支出和项目支出中合计": one item read in two places
            body = f"{spread.group(1)}{spread.group(2)}和{spread.group(1)}{spread.group(3)}"
        # "基本支出决算里，物业管理费、电费和水费": the scope before the list is every addend's
        scoped = re.match(r"^[＃的\s]*(.{2,16}?)(?:里|中(?![心央间]))([，,]?)(.+)$", body)
        if scoped and re.search(r"[和与及、]", scoped.group(3)) and not re.search(r"[和与及、]", scoped.group(1)):
            body = scoped.group(3)
            if scoped.group(2):  # (a table the scope names, set off by a comma, is where every addend is read)
                hint = hint or ItemResolver(scoped.group(1)).table_cue
        quoted = quoted_names(body)
        # quoted names are the parts ("“气象设施维护及科普”和“专业系统维护及科普”"), whatever words they hold
        targets = self._targets(query, catalog, departments)
        # (and so are the names the documents print with 和/与/及 inside: "社会保障和就业支出和卫生健康支出")
        parts = quoted if len(quoted) >= 2 else complete_parts(_split_parts(body, self._joined_labels(catalog, targets)))
        quarters = re.search(r"(全年)?(四个|各个?|每个?|所有)季度的?(.{2,12})$", body)
        if quarters and len(parts) < 2:  # "四个季度用款计划合计": 第一季度…第四季度 of that plan, each printed once
            parts = [f"第{n}季度{quarters.group(3)}" for n in "一二三四"]
        several = re.search(r"几个|各个?|所有|全部|多个|这些", body)
        called = re.search(r"(?:叫做?|名为|名称为|名叫)(.{2,20}?)的(?:几个|各个|所有|多个)", body)
        if len(targets) == 1 and (len(quoted) == 1 or called and not quoted) and several:
            # "名称为「审计业务经费」的几个项目", "叫审计业务经费的几个项目"
            return self._sum_same_name(query, catalog, targets[0], quoted[0] if quoted else called.group(1), hint)  # type: ignore[union-attr]
        codes = named_codes(body)
        if len(targets) == 1 and not quoted and len(codes) == 1 and several:
            # "行政运行（2040601）几个预算单位加起来": every row of one table printed with that code
            return self._sum_same_name(query, catalog, targets[0], body, hint, code=codes.pop())
        if len(targets) != 1 or len(parts) < 2:
            return refuse(query.question, "请指明一个部门、一个年度和要相加的项目。")
        dep, year = targets[0]
        items = [self._amount(query, catalog, dep, year, ItemResolver(
            f"“{p}”" if len(quoted) >= 2 else p, table_hint=hint)) for p in parts]
        if any(e is None for e in items) or len({(e.facts[0].table_index, e.facts[0].row_index, e.facts[0].row_label, e.facts[0].column_path)
                                                 for e in items}) < len(items):  # type: ignore[union-attr]
            return refuse(query.question, "没有找到每个要相加的项目。")
        if quarters and any(sum(f.row_label == e.facts[0].row_label for f in self.facts([e.doc])) > 1  # type: ignore[union-attr]
                            for e in items):
            return refuse(query.question, "文档中有不止一处季度用款计划，无法确定是哪个项目的。")
        for text, e in zip(parts, items):
            if item_absent(text, [described(f) for f in e.facts], {}):  # type: ignore[union-attr]
                return refuse(query.question, f"没有找到要相加的“{text.strip('＃，, ')}”。")
        if hint and any(e.facts[0].table_kind != hint for e in items):  # type: ignore[union-attr]
            return refuse(query.question, f"问题指明按{hint}口径相加，但没有在该表中找到每个项目。")
        codes = named_codes(query.item_text)
        if codes and not all(fits_codes(e.facts[0], codes) for e in items):  # type: ignore[union-attr]
            return refuse(query.question, f"问题指明了科目{'、'.join(sorted(codes))}，但找到的相加项目不全是该科目。")
        unit = "元" if all(e.unit == "元" for e in items) else "万元"  # type: ignore[union-attr]
        values = [convert(e.value, e.unit, unit) for e in items]  # type: ignore[union-attr]
        total = sum(values, Decimal(0))
        wan = round2(convert(total, unit, "万元"))
        citations = [cite(f, e.doc) for e in items for f in e.facts]  # type: ignore[union-attr]
        computation = " + ".join(fmt(v) for v in values) + f" = {fmt(total)}{unit}"
        same = len({e.item for e in items}) < len(items)  # one item read in two tables: say which  # type: ignore[union-attr]
        text = "、".join(f"{e.item}{'（' + e.facts[0].table_kind + '）' if same else ''}{fmt(v, unit)}"  # type: ignore[union-attr]
                        for e, v in zip(items, values)) + f"，合计{fmt(total, unit)}"  # type: ignore[union-attr]
        if unit == "元":
            text += f"（约{fmt(wan)}万元）"
        return Answer(query.question, text + "。", True, "compute", total, unit, citations, computation=computation)

    def _joined_labels(self, catalog: Catalog, targets: list[tuple[str, int | None]]) -> set[str]:
        """Row labels of the asked documents that hold 和, 与 or 及 (商品和服务支出, 社会保障和就业支出)."""
        if len(targets) != 1:
            return set()
        docs = catalog.docs_for(targets[0][0], targets[0][1], None)
        return {label for f in self.facts(docs) if f.table_index >= 0
                for label in [clean_label(f.row_label)] if len(label) >= 5 and _JOIN.search(label[1:-1])}

    def _amount(self, query: Query, catalog: Catalog, dep: str, year: int | None,
                resolver: ItemResolver) -> Evidence | None:
        """The item's amount: a project's row may also print sentences (绩效目标), never an addend."""
        found = self.evidence(query, catalog, dep, year, resolver)
        if found is None or found.value is not None:
            return found
        match = resolver.best([f for f in self.facts(catalog.docs_for(dep, year, query.kind), query)
                               if f.value is not None and f.unit in ("元", "万元", "亿元")])
        return Evidence.of(match, found.doc) if match is not None and match.fact.document_id == found.doc.document_id \
            else None

    def _sum_same_name(self, query: Query, catalog: Catalog, target: tuple[str, int | None], name: str,
                       hint: str | None, code: str | None = None) -> Answer:
        """"名称为「审计业务经费」的几个项目合计" (or "（2040601）几个预算单位"): every row of one table printed with
        that name (or code), in the column the name's best row is read from."""
        dep, year = target
        resolver = ItemResolver(name if code else f"“{name}”", table_hint=hint)
        first = self.evidence(query, catalog, dep, year, resolver, several=True)
        if first is None or (first.facts[0].row_code != code if code else
                             clean_label(first.facts[0].row_label) != clean_label(name)):
            return refuse(query.question, f"没有找到名称为“{code or name}”的项目。")
        fact = first.facts[0]
        name = fact.row_label if code else name
        rows = [f for f in self.facts([first.doc], query) if f.table_index == fact.table_index
                and f.column_path == fact.column_path and f.value is not None
                and (f.row_code == code if code else clean_label(f.row_label) == clean_label(name))]
        if len({f.row_index for f in rows}) < 2:
            return refuse(query.question, f"表中只有一个名称为“{name}”的项目，没有可相加的多个项目。")
        total = sum((f.value for f in rows), Decimal(0))  # type: ignore[misc]
        unit = first.unit
        computation = " + ".join(fmt(f.value) for f in rows) + f" = {fmt(total)}{unit}"  # type: ignore[arg-type]
        text = (f"{first.doc.department}{year or ''}年{fact.table_title}中名称为“{name}”的{len(rows)}个项目"
                f"（{fact.column}）：{computation}。")
        return Answer(query.question, text, True, "compute", total, unit, [cite(f, first.doc) for f in rows],
                      computation=computation)


_JOIN = re.compile(r"和|与|及|加上|、|加")


def _split_parts(body: str, printed: set[str]) -> list[str]:
    """The addends a question lists, split at 和/与/及/、 except inside a name the documents print whole."""
    kept: list[str] = []
    for name in sorted(printed, key=len, reverse=True):
        if name in body:
            body = body.replace(name, f"\0{len(kept)}\0")
            kept.append(name)
    parts = [p for p in _JOIN.split(body) if p]
    return [re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], p) for p in parts]
